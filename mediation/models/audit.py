"""The case timeline: one event per thing done to a case, hash-chained so edits show."""

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import CaseStatus, EventKind
from mediation.models.user import User

GENESIS = "0" * 64


class CaseEvent(Base):
    __tablename__ = "case_events"

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

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()
