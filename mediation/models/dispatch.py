"""The justice office's window (一口受理、归口办理、并口回复): a dispute registered at the desk
of a 司法所 or the 司法局, dispatched (交办) to a committee or sent to a body outside the
system, and the one reply to whoever brought it. Its history is part of the audit chain."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from mediation.models.audit import Chained
from mediation.models.base import Base, UTCDateTime, enum_column, local_today, utcnow
from mediation.models.case import Case
from mediation.models.enums import (
    CaseStatus,
    Category,
    DeskAction,
    DeskSource,
    RiskLevel,
)
from mediation.models.org import Org
from mediation.models.user import User

# Labels of the desk fields: forms show them, the history names changes with them.
DESK_LABELS = {
    "source": "来源方式",
    "source_name": "来访人或来文单位",
    "source_phone": "联系电话",
    "source_address": "联系地址",
    "category": "纠纷类型",
    "dispute_place": "纠纷发生地",
    "summary": "纠纷简要情况",
    "request": "当事人诉求",
    "risk_level": "风险等级",
    "registered_on": "登记日期",
}

# A dispatched case has ended for the reply to its source (并口回复) in these states.
ENDED = frozenset(
    {
        CaseStatus.CLOSED,
        CaseStatus.ARCHIVED,
        CaseStatus.REJECTED,
        CaseStatus.WITHDRAWN,
        CaseStatus.TERMINATED,
    }
)


class DeskEntry(Base):
    """受理窗口登记: what was brought to the desk, by whom, and where it went. Exactly one of
    `case` (交办 to a committee inside the system) or `outside_body` is set once it has
    been handed on; the reply closes it."""

    __tablename__ = "desk_entries"
    __table_args__ = (Index("ix_desk_entries_office", "office_id", "registered_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_on: Mapped[date] = mapped_column(default=local_today)
    source: Mapped[DeskSource] = mapped_column(enum_column(DeskSource))
    source_name: Mapped[str] = mapped_column(String(100))
    # The source's contact, for the one reply (并口回复).
    source_phone: Mapped[str] = mapped_column(String(20), default="")
    source_address: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[Category] = mapped_column(enum_column(Category))
    dispute_place: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    request: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel), default=RiskLevel.LOW)
    # The parties as the intake's party rows give them (cases.forms.PartyForm.to_dict, dates
    # as ISO strings); they become the case's parties when it is dispatched.
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # 交办: the case it became in the committee's list, and the dispatch's particulars.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_on: Mapped[date | None]
    instructions: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None]  # 办理期限 set by the dispatcher
    # Sent to a body outside the system (court, police, a department), and its answer.
    outside_body: Mapped[str] = mapped_column(String(100), default="")
    outside_on: Mapped[date | None]
    outside_how: Mapped[str] = mapped_column(String(100), default="")
    outside_answer_on: Mapped[date | None]
    outside_answer: Mapped[str] = mapped_column(Text, default="")
    # 并口回复: the one reply to the source.
    replied_on: Mapped[date | None]
    reply_how: Mapped[str] = mapped_column(String(50), default="")
    reply_text: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    office: Mapped[Org] = relationship(foreign_keys=[office_id], lazy="joined")
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    committee: Mapped[Org | None] = relationship(foreign_keys=[committee_id])
    dispatched_by: Mapped[User | None] = relationship(foreign_keys=[dispatched_by_id])
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])
    # case.desk_entry: the case page and the committee's list say who dispatched it.
    case: Mapped[Case | None] = relationship(backref=backref("desk_entry", uselist=False))
    events: Mapped[list["DeskEvent"]] = relationship(
        back_populates="entry", order_by="DeskEvent.seq"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        return f"窗口{self.registered_on.year}-{self.id:04d}"

    @property
    def is_dispatched(self) -> bool:
        return self.case_id is not None

    @property
    def is_outside(self) -> bool:
        return bool(self.outside_body)

    @property
    def is_handed_on(self) -> bool:
        return self.is_dispatched or self.is_outside

    @property
    def is_replied(self) -> bool:
        return self.replied_on is not None

    @property
    def has_ended(self) -> bool:
        """Whether there is an outcome to reply with: the case ended, or the body answered."""
        if self.case is not None:
            return self.case.status in ENDED
        return self.outside_answer_on is not None

    @property
    def reply_due(self) -> bool:
        return self.has_ended and not self.is_replied

    @property
    def is_overdue(self) -> bool:
        """Past the dispatcher's 办理期限 with no outcome yet."""
        return self.due_on is not None and not self.has_ended and self.due_on < local_today()

    @property
    def state(self) -> str:
        if self.is_replied:
            return "已答复来源"
        if self.reply_due:
            return "待答复来源"
        if self.is_dispatched:
            return "已交办"
        if self.is_outside:
            return "已转其他机关"
        return "待交办"


class DeskEvent(Chained, Base):
    """One step of a desk entry (登记, 交办, 转其他机关, 答复 ...), sealed on the global audit
    chain like the case timeline: an entry that never became a case has a history too."""

    __tablename__ = "desk_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("desk_entries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[DeskAction] = mapped_column(enum_column(DeskAction))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    entry: Mapped[DeskEntry] = relationship(back_populates="events")
    user: Mapped[User] = relationship(lazy="joined")

    def content(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "action": str(self.action),
            "reason": self.reason,
            "details": self.details,
        }
