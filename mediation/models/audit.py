"""The audit trail: the case timeline (one event per thing done to a case), the
administration log (changes to accounts and the organisation tree) and the security log
(sign-ins, refusals, downloads, exports). All three form ONE chain over the whole system:
every entry has a global sequence number without gaps and a keyed hash (HMAC-SHA256, the key
kept outside the database) over its content, its number and the previous entry's hash."""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import CaseStatus, EventKind
from mediation.models.user import User

GENESIS = "0" * 64


def seal(key: bytes, seq: int, prev_hash: str, content: dict[str, Any]) -> str:
    """The keyed hash of an entry: without the key, an edited entry cannot be re-sealed."""
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    message = f"{seq}\n{prev_hash}\n{payload}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class Chained:
    """An entry of the global chain."""

    id: Mapped[int]
    seq: Mapped[int]
    prev_hash: Mapped[str]
    hash: Mapped[str]

    def content(self) -> dict[str, Any]:
        raise NotImplementedError

    def compute_hash(self, key: bytes) -> str:
        return seal(key, self.seq, self.prev_hash, self.content())


class AuditHead(Base):
    """The one row that says where the chain ends. Every append first updates it, which
    serialises writers on both databases (a row lock on PostgreSQL, the write lock on
    SQLite) before anyone reads the head; verification compares it with the entries."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class CaseEvent(Chained, Base):
    __tablename__ = "case_events"
    # The statistics ask which cases have anything on their timeline since a period began.
    # ... and, per case, the last time of each workflow action (an index-only lookup).
    __table_args__ = (
        Index("ix_case_events_at", "at", "case_id"),
        Index("ix_case_events_case_action", "case_id", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
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
    # The case's version and status once this event was written: a stale form lists the
    # events it missed, and verification checks the case row against its newest event.
    case_version: Mapped[int | None]
    case_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped["Case"] = relationship(back_populates="events")  # noqa: F821
    user: Mapped[User] = relationship(lazy="joined")

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything that says what happened, who did it and when,
        and the state it left the case in."""
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
            "case_version": self.case_version,
            "case_status": str(self.case_status) if self.case_status else None,
        }


class AdminEvent(Chained, Base):
    """A change to an account or a unit of the tree, by an administrator or (user None) the
    command line."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
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
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "action": self.action,
            "target": self.target,
            "summary": self.summary,
            "details": self.details,
        }


class SecurityEvent(Chained, Base):
    """Something the security officer reviews: a sign-in or a failed one, a lockout, a case
    URL refused, a download, an export. Never an ID number or a phone number."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # login, download, ...
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(80), default="")  # as typed, or the account's
    address: Mapped[str] = mapped_column(String(64), default="")
    target: Mapped[str] = mapped_column(String(120), default="")  # "case:5", "document:3"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    user: Mapped[User | None] = relationship(lazy="joined")

    def content(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "username": self.username,
            "address": self.address,
            "target": self.target,
            "detail": self.detail,
        }
