"""How a case is handled around the mediation itself: mediators' relations to parties and
recusals (Art. 19), risk measures and police reports (Art. 25), transfers between committees
and joint acceptance (rule 3), and the director's reminders (rule 11)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import RecusalDecision, TransferKind, TransferStatus
from mediation.models.org import Org
from mediation.models.user import User


class MediatorRelation(Base):
    """A mediator related to a party (kin, interest ...): that mediator may not be assigned."""

    __tablename__ = "mediator_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    relation: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    party: Mapped["Party"] = relationship()  # noqa: F821


class Recusal(Base):
    """A party's request that a mediator step aside (回避), and the decision on it."""

    __tablename__ = "recusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[RecusalDecision] = mapped_column(
        enum_column(RecusalDecision), default=RecusalDecision.PENDING
    )
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    mediator: Mapped[User] = relationship(foreign_keys=[mediator_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    party: Mapped["Party"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}


class RiskMeasure(Base):
    """Preventive steps taken where a dispute may escalate (Art. 25)."""

    __tablename__ = "risk_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    measures: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User] = relationship()


class PoliceReport(Base):
    """A report to the police of a dispute that may turn into a public-order or criminal case."""

    __tablename__ = "police_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_to: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User] = relationship()


class Transfer(Base):
    """A case handed to another committee, or escalated to the town's committee (rule 3)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[TransferKind] = mapped_column(enum_column(TransferKind))
    from_committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    to_committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[TransferStatus] = mapped_column(
        enum_column(TransferStatus), default=TransferStatus.PENDING
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    from_committee: Mapped[Org] = relationship(foreign_keys=[from_committee_id])
    to_committee: Mapped[Org] = relationship(foreign_keys=[to_committee_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}


class JointCommittee(Base):
    """A second committee accepting the case jointly: its members see and work it too."""

    __tablename__ = "joint_committees"
    __table_args__ = (UniqueConstraint("case_id", "committee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee: Mapped[Org] = relationship()


class Reminder(Base):
    """催办: the director presses a mediator about a case; shown to the mediator until read."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sender: Mapped[User] = relationship(foreign_keys=[from_id])
    recipient: Mapped[User] = relationship(foreign_keys=[to_id])
