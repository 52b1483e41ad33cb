"""The case (案件) aggregate root, its numbering counter and its mediators."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, local_today, utcnow
from mediation.models.enums import (
    AgreementStatus,
    CaseStatus,
    Category,
    OtherAuthority,
    PartyRole,
    Publicity,
    RiskLevel,
    Source,
)
from mediation.models.org import Org
from mediation.models.user import User

# Labels of the intake fields: forms show them, and the timeline names changes with them.
CASE_LABELS = {
    "category": "纠纷类型",
    "source": "案件来源",
    "source_detail": "移交/委派单位",
    "dispute_place": "纠纷发生地",
    "summary": "纠纷简要情况",
    "request": "当事人申请事项",
    "risk_level": "风险等级",
    "is_group": "群体性纠纷",
    "involves_key_person": "涉及重点人员",
    "may_escalate": "可能激化（民转刑风险）",
    "is_major": "重大疑难",
    "other_authority": "是否已由其他机关受理或处理",
    "registered_on": "登记日期",
}

# The workflow actions whose last time the case keeps (Case.agreed_at ...): the endings a
# statistic counts, and 重新调解, which undoes an agreement's ending.
OUTCOME_ACTIONS = {
    "reach_agreement": "agreed_at",
    "terminate": "terminated_at",
    "withdraw": "withdrawn_at",
    "reopen": "reopened_at",
}

# States in which the one-month deadline runs (rule 11).
OPEN_STATUSES = frozenset({CaseStatus.ACCEPTED, CaseStatus.MEDIATING})
# An open case whose deadline is this many days away or fewer is due soon.
DUE_SOON_DAYS = 3


class CaseNumberCounter(Base):
    """Last running number used per committee and year; only ever counts up, so never reused."""

    __tablename__ = "case_number_counters"

    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("committee_id", "year", "seq"),
        # The list pages read newest first inside a committee; keyset pagination walks these.
        Index("ix_cases_committee_registered", "committee_id", "registered_on", "id"),
        Index("ix_cases_registered", "registered_on", "id"),
        # The statistics read the cases accepted in a period (migration 0014, from EXPLAIN).
        Index("ix_cases_accepted", "accepted_on", "committee_id"),
        # The case list's search by part of a case number (migration 0020; PostgreSQL only).
        Index(
            "ix_cases_number_trgm",
            "number",
            postgresql_using="gin",
            postgresql_ops={"number": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # ... and those whose outcome changed since a period began (migration 0021).
        Index("ix_cases_outcome_at", "outcome_at", "committee_id"),
        # 抽查 draws from the cases closed in a quarter (migration 0021).
        Index("ix_cases_closed", "closed_on", "committee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    # active_history: a transfer knows the committee the case leaves (its statistics change).
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), active_history=True)
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus), default=CaseStatus.SUBMITTED, index=True
    )
    category: Mapped[Category] = mapped_column(enum_column(Category), index=True)
    source: Mapped[Source] = mapped_column(enum_column(Source), index=True)
    # Who referred it (court, police station, petition office ...), for referred cases.
    source_detail: Mapped[str] = mapped_column(String(100), default="")
    # Rule 3: where the dispute arose, one ground of the committee's competence.
    dispute_place: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    request: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel), default=RiskLevel.LOW)
    is_group: Mapped[bool] = mapped_column(default=False)  # 群体性: five or more on one side
    involves_key_person: Mapped[bool] = mapped_column(default=False)  # 涉及重点人员
    may_escalate: Mapped[bool] = mapped_column(default=False)  # 可能激化/民转刑
    is_major: Mapped[bool] = mapped_column(default=False)  # 重大疑难
    other_authority: Mapped[OtherAuthority] = mapped_column(
        enum_column(OtherAuthority), default=OtherAuthority.NONE
    )
    registered_on: Mapped[date] = mapped_column(default=local_today)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    accepted_on: Mapped[date | None]
    deadline: Mapped[date | None] = mapped_column(index=True)
    closed_on: Mapped[date | None]
    archived_on: Mapped[date | None]
    # Rule 11: the deadline may be extended once, with a reason and the parties' consent.
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_consent: Mapped[str] = mapped_column(Text, default="")
    # Rule 15 (Art. 23): the 权利义务告知书 acknowledged before acceptance, the parties' choice
    # of public or private mediation, and their consent when the committee took it up itself.
    rights_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rights_notice_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    publicity: Mapped[Publicity | None] = mapped_column(enum_column(Publicity))
    initiative_consent: Mapped[str] = mapped_column(Text, default="")
    # Rule 17 (Art. 25): why a risky case needed neither a measure nor a police report.
    risk_reason: Mapped[str] = mapped_column(Text, default="")
    # The outcome as the statistics count it, kept from the timeline by
    # audit.service.record_event (OUTCOME_ACTIONS), so a year's figures are one pass over the
    # year's cases: the first agreement's day, the last time of each ending and of 重新调解,
    # and the latest of those four (which cases' outcome changed since a period began).
    agreed_on: Mapped[date | None]
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    committee: Mapped[Org] = relationship(lazy="joined")
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    rights_notice_by: Mapped[User | None] = relationship(foreign_keys=[rights_notice_by_id])
    parties: Mapped[list["Party"]] = relationship(  # noqa: F821
        back_populates="case", cascade="all, delete-orphan", order_by="Party.position"
    )
    mediators: Mapped[list["CaseMediator"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMediator.id"
    )
    events: Mapped[list["CaseEvent"]] = relationship(  # noqa: F821
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    session_records: Mapped[list["SessionRecord"]] = relationship(  # noqa: F821
        back_populates="case", order_by="SessionRecord.held_at", cascade="all, delete-orphan"
    )
    investigation_records: Mapped[list["InvestigationRecord"]] = relationship(  # noqa: F821
        back_populates="case", order_by="InvestigationRecord.held_at", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(  # noqa: F821
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    participants: Mapped[list["Participant"]] = relationship(  # noqa: F821
        back_populates="case", order_by="Participant.id", cascade="all, delete-orphan"
    )
    relations: Mapped[list["MediatorRelation"]] = relationship(  # noqa: F821
        order_by="MediatorRelation.id", cascade="all, delete-orphan"
    )
    recusals: Mapped[list["Recusal"]] = relationship(  # noqa: F821
        order_by="Recusal.id", cascade="all, delete-orphan"
    )
    risk_measures: Mapped[list["RiskMeasure"]] = relationship(  # noqa: F821
        order_by="RiskMeasure.id", cascade="all, delete-orphan"
    )
    police_reports: Mapped[list["PoliceReport"]] = relationship(  # noqa: F821
        order_by="PoliceReport.id", cascade="all, delete-orphan"
    )
    transfers: Mapped[list["Transfer"]] = relationship(  # noqa: F821
        order_by="Transfer.id", cascade="all, delete-orphan"
    )
    joint_committees: Mapped[list["JointCommittee"]] = relationship(  # noqa: F821
        order_by="JointCommittee.id", cascade="all, delete-orphan"
    )
    agreements: Mapped[list["Agreement"]] = relationship(  # noqa: F821
        back_populates="case", order_by="Agreement.id", cascade="all, delete-orphan"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(  # noqa: F821
        back_populates="case", order_by="FollowUp.visited_on", cascade="all, delete-orphan"
    )
    confirmations: Mapped[list["CourtConfirmation"]] = relationship(  # noqa: F821
        back_populates="case", order_by="CourtConfirmation.id", cascade="all, delete-orphan"
    )
    reminders: Mapped[list["Reminder"]] = relationship(  # noqa: F821
        order_by="Reminder.id", cascade="all, delete-orphan"
    )
    # A referred case's referral (models/referral.py); None for the other sources.
    referral: Mapped["Referral | None"] = relationship(  # noqa: F821
        back_populates="case", cascade="all, delete-orphan", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.status}>"

    @property
    def applicants(self):
        return [p for p in self.parties if p.role == PartyRole.APPLICANT]

    @property
    def respondents(self):
        return [p for p in self.parties if p.role == PartyRole.RESPONDENT]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < local_today()

    @classmethod
    def overdue_on(cls, day: date):
        """The SQL condition of is_overdue, for queries."""
        return and_(cls.status.in_(OPEN_STATUSES), cls.deadline < day)

    @property
    def is_due_soon(self) -> bool:
        left = self.days_left
        return left is not None and 0 <= left <= DUE_SOON_DAYS

    @property
    def days_left(self) -> int | None:
        if not self.is_open or self.deadline is None:
            return None
        return (self.deadline - local_today()).days

    @property
    def agreement(self) -> "Agreement | None":  # noqa: F821
        """The agreement in force or awaiting signature (an earlier one may be superseded)."""
        current = [a for a in self.agreements if a.status != AgreementStatus.SUPERSEDED]
        return current[-1] if current else None

    def last_event(self, action: str) -> "CaseEvent | None":  # noqa: F821
        """The newest timeline event of a workflow action (e.g. the termination)."""
        return next((e for e in reversed(self.events) if e.action == action), None)

    @property
    def latest_follow_up(self) -> "FollowUp | None":  # noqa: F821
        """The newest visit about the current agreement (an earlier agreement's visits are
        not about what is to be performed now)."""
        agreement = self.agreement
        visits = [f for f in self.follow_ups if agreement and f.agreement_id == agreement.id]
        return visits[-1] if visits else None

    def unread_reminders(self, user) -> list["Reminder"]:  # noqa: F821
        return [r for r in self.reminders if r.to_id == user.id and r.read_at is None]

    @property
    def is_archived(self) -> bool:
        return self.status == CaseStatus.ARCHIVED

    @property
    def active_mediators(self) -> list["CaseMediator"]:
        return [m for m in self.mediators if m.removed_at is None]

    @property
    def flags(self) -> list[str]:
        names = {
            "is_group": "群体性",
            "involves_key_person": "涉及重点人员",
            "may_escalate": "可能激化",
            "is_major": "重大疑难",
        }
        return [label for attr, label in names.items() if getattr(self, attr)]


class CaseMediator(Base):
    """A mediator on a case (Art. 19); removal keeps the row, so reassignment keeps history."""

    __tablename__ = "case_mediators"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(default=False)
    chosen_by_parties: Mapped[bool] = mapped_column(default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="mediators")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
