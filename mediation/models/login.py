"""What a login leaves on the server: the signed-in sessions (revocable, one row per browser)
and the failed attempts that slow down password guessing."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.user import User


class UserSession(Base):
    """One signed-in browser. The cookie carries a random id; only its hash is kept here, so
    this table cannot be used to sign in. A session counts only while ended_at is empty and it
    has been used within the idle limit and began within the absolute limit. Not versioned:
    last_seen_at is written with a plain UPDATE, which two requests may do at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout, logout_all, password_changed, disabled, idle, absolute
    end_reason: Mapped[str | None] = mapped_column(String(24))
    address: Mapped[str] = mapped_column(String(64), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginFailure(Base):
    """A failed (or not yet checked) login attempt, counted per key: a keyed hash of the
    username typed ("account:...") or of the client's address ("address:..."). Neither can be
    read back, and an unknown username is counted exactly like a real one."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # False while its answer is still being worked out, True once it turned out wrong. An
    # attempt still in flight holds back a wrong guess, never the right password.
    settled: Mapped[bool] = mapped_column(default=False)
