"""The justice office's oversight of case files: the review of a closed file (案卷评查), its
rounds of verdicts and the committee's answers, and the quarterly random samples (抽查)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, Labelled, UTCDateTime, enum_column, utcnow
from mediation.models.org import Org
from mediation.models.user import User


class Verdict(Labelled):
    """What the auditor finds a file to be."""

    PASSED = "passed", "合格"
    BASIC = "basic", "基本合格"
    RETURNED = "returned", "不合格（退回补正）"


class ReviewStatus(Labelled):
    """Where a file's review stands: returned files wait for the committee, answered ones for
    the auditor; 合格 and 基本合格 end it."""

    RETURNED = "returned", "退回补正"
    RESUBMITTED = "resubmitted", "已补正待复查"
    PASSED = "passed", "合格"
    BASIC = "basic", "基本合格"


class CaseReview(Base):
    """One case file's review, over all its rounds (at most one per case)."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    verdicts: Mapped[list["ReviewVerdict"]] = relationship(
        back_populates="review", order_by="ReviewVerdict.id", cascade="all, delete-orphan"
    )
    answers: Mapped[list["ReviewAnswer"]] = relationship(
        back_populates="review", order_by="ReviewAnswer.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_final(self) -> bool:
        return self.status in (ReviewStatus.PASSED, ReviewStatus.BASIC)

    @property
    def latest_verdict(self) -> "ReviewVerdict | None":
        return self.verdicts[-1] if self.verdicts else None

    def history(self) -> list["ReviewVerdict | ReviewAnswer"]:
        """Verdicts and answers in the order they were given."""
        return sorted([*self.verdicts, *self.answers], key=lambda e: (e.at, e.kind_order))


class ReviewVerdict(Base):
    """One round's verdict, with the auditor's comments per checklist item and what the
    checklist showed when it was given."""

    __tablename__ = "review_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("case_reviews.id"), index=True)
    round: Mapped[int]
    verdict: Mapped[Verdict] = mapped_column(enum_column(Verdict))
    comment: Mapped[str] = mapped_column(Text, default="")
    # {checklist key: comment}, only the items commented on.
    item_comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # {checklist key: true/false/null}: the checklist as the auditor saw it.
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[CaseReview] = relationship(back_populates="verdicts")
    auditor: Mapped[User] = relationship(lazy="joined")

    kind_order = 0


class ReviewAnswer(Base):
    """The committee's answer to a returned file (补正说明), which resubmits it."""

    __tablename__ = "review_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("case_reviews.id"), index=True)
    round: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[CaseReview] = relationship(back_populates="answers")
    user: Mapped[User] = relationship(lazy="joined")

    kind_order = 1


class ReviewSample(Base):
    """A quarter's random draw of closed files per committee below a unit; the seed is kept so
    anyone can draw it again and get the same files."""

    __tablename__ = "review_samples"
    __table_args__ = (UniqueConstraint("org_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    year: Mapped[int]
    quarter: Mapped[int]
    per_committee: Mapped[int]
    seed: Mapped[str] = mapped_column(String(40))
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Org] = relationship(lazy="joined")
    drawn_by: Mapped[User] = relationship(lazy="joined")
    cases: Mapped[list["SampleCase"]] = relationship(
        back_populates="sample", order_by="SampleCase.id", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"


class SampleCase(Base):
    __tablename__ = "review_sample_cases"
    __table_args__ = (UniqueConstraint("sample_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("review_samples.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))

    sample: Mapped[ReviewSample] = relationship(back_populates="cases")
