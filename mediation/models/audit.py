"""The case timeline (one event per thing done to a case) and the administration log (one
entry per change to accounts or the organisation tree), each hash-chained so edits show."""

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import CaseStatus, EventKind
from mediation.models.user import User

GENESIS = "0" * 64


class Chained:
    """An entry of a hash chain: its hash covers its content and the previous entry's hash."""

    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        raise NotImplementedError

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()


class CaseEvent(Chained, Base):
    __tablename__ = "case_events"
    # The statistics ask which cases have anything on their timeline since a period began.
    # ... and, per case, the last time of each workflow action (an index-only lookup).
    __table_args__ = (
        Index("ix_case_events_at", "at", "case_id"),
        Index("ix_case_events_case_action", "case_id", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    action: Mapped[str] = mapped_column(String(40), default="")  # the workflow action name
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    # What changed, as {"field label": [old, new]}, and other particulars of the event.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The case version this event produced: a stale form can list the events it missed.
    case_version: Mapped[int | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped["Case"] = relationship(back_populates="events")  # noqa: F821
    user: Mapped[User] = relationship(lazy="joined")

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything that says what happened, who did it and when."""
        return {
            "case_id": self.case_id,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "kind": str(self.kind),
            "action": self.action,
            "from": str(self.from_status) if self.from_status else None,
            "to": str(self.to_status) if self.to_status else None,
            "reason": self.reason,
            "details": self.details,
        }


class AdminEvent(Chained, Base):
    """A change to an account or a unit of the tree, by an administrator or (user None) the
    command line. One chain for the whole system; the unique previous hash keeps two writers
    from forking it."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))  # create_user, update_user, ...
    target: Mapped[str] = mapped_column(String(40))  # "user:5", "org:3"
    summary: Mapped[str] = mapped_column(String(200))
    # What changed, as {"field label": [old, new]}; passwords only as "已重置".
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))

    user: Mapped[User | None] = relationship(lazy="joined")

    def content(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "user_id": self.user_id, "action": self.action,
            "target": self.target, "summary": self.summary, "details": self.details,
        }  # fmt: skip
