"""The mediation agreement (调解协议, Art. 28-30), follow-up visits (回访, Art. 31) and court
confirmation (司法确认, Art. 33)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import (
    AgreementKind,
    AgreementStatus,
    ConfirmationResult,
    Performance,
    Satisfaction,
)
from mediation.models.user import User

# Art. 33: both parties may apply for court confirmation within 30 days of effect.
CONFIRMATION_DAYS = 30


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(enum_column(AgreementKind))
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    reached_on: Mapped[date]
    # Written: the main facts, the points in dispute, each party's responsibility (Art. 29).
    facts: Mapped[str] = mapped_column(Text, default="")
    disputed_points: Mapped[str] = mapped_column(Text, default="")
    responsibility: Mapped[str] = mapped_column(Text, default="")
    # Oral: the content as the mediator recorded it (Art. 28).
    oral_content: Mapped[str] = mapped_column(Text, default="")
    # The parties' agents (代理人) as the agreement names them, one a line; empty when none.
    agents: Mapped[str] = mapped_column(Text, default="")
    effective_on: Mapped[date | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped["Case"] = relationship(back_populates="agreements")  # noqa: F821
    terms: Mapped[list["AgreementTerm"]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementTerm.position"
    )
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_effective(self) -> bool:
        return self.status == AgreementStatus.EFFECTIVE

    @property
    def confirmation_deadline(self) -> date | None:
        if self.effective_on is None:
            return None
        return self.effective_on + timedelta(days=CONFIRMATION_DAYS)


class AgreementTerm(Base):
    """One agreed obligation: who owes what to whom, how, and by when."""

    __tablename__ = "agreement_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    obligor: Mapped[str] = mapped_column(String(100))
    obligee: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # yuan
    manner: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date]
    place: Mapped[str] = mapped_column(String(200), default="")  # 履行地点

    agreement: Mapped[Agreement] = relationship(back_populates="terms")


class FollowUp(Base):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    visited_on: Mapped[date]
    visitor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visited: Mapped[str] = mapped_column(String(200))  # who was visited
    satisfaction: Mapped[Satisfaction] = mapped_column(enum_column(Satisfaction))
    opinions: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(200), default="")  # 回访事由
    risks: Mapped[str] = mapped_column(Text, default="")  # risks of a new dispute found
    measures: Mapped[str] = mapped_column(Text, default="")  # what was done about them
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped["Case"] = relationship(back_populates="follow_ups")  # noqa: F821
    agreement: Mapped[Agreement] = relationship()
    visitor: Mapped[User] = relationship()
    # Loaded with the visits: every page that shows a visit shows its performances.
    performances: Mapped[list["TermPerformance"]] = relationship(
        back_populates="follow_up",
        cascade="all, delete-orphan",
        order_by="TermPerformance.id",
        lazy="selectin",
    )

    @property
    def all_performed(self) -> bool:
        return all(p.status == Performance.PERFORMED for p in self.performances)


class TermPerformance(Base):
    __tablename__ = "term_performances"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("agreement_terms.id"))
    status: Mapped[Performance] = mapped_column(enum_column(Performance))
    note: Mapped[str] = mapped_column(Text, default="")

    follow_up: Mapped[FollowUp] = relationship(back_populates="performances")
    term: Mapped[AgreementTerm] = relationship()


class CourtConfirmation(Base):
    __tablename__ = "court_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    applied_on: Mapped[date]
    court: Mapped[str] = mapped_column(String(100))
    result: Mapped[ConfirmationResult] = mapped_column(enum_column(ConfirmationResult))
    decided_on: Mapped[date | None]
    reference: Mapped[str] = mapped_column(String(100), default="")  # the court's case number
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped["Case"] = relationship(back_populates="confirmations")  # noqa: F821

    __mapper_args__ = {"version_id_col": version}
