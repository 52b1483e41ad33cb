"""Server-side sessions. The browser's cookie carries only a random session id; the row in
user_sessions (which keeps its hash) decides on every request whether it still signs anyone
in. Logging out, changing the password, an administrator's 强制下线 or disabling the account
end rows here, and a copied cookie dies with its row."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from mediation.audit.security import record_security_event
from mediation.extensions import db
from mediation.models import User, UserSession
from mediation.models.base import utcnow

# The key in Flask's (signed) session under which the session id travels.
SID = "sid"
# last_seen_at is written at most this often per session: a plain UPDATE, not one per request.
TOUCH_EVERY = timedelta(minutes=1)


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, address: str, agent: str) -> str:
    """A new session for `user` (a new random id at every login, so a session id planted
    before the login is worth nothing); returns the id for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            token_hash=_hashed(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            address=address[:64],
            agent=agent[:200],
        )
    )
    # Around the versioned row: a login must not conflict with another login or an edit.
    db.session.execute(
        update(User.__table__).where(User.__table__.c.id == user.id).values(last_login_at=now)
    )
    record_security_event("login", user=user, target=f"user:{user.id}", detail={"address": address})
    db.session.commit()
    return token


def current(token: str | None) -> tuple[UserSession | None, str | None]:
    """The live session this id names, or (None, why not: "idle" or "absolute" when it has
    just passed a limit, "ended" when it had ended before).
    A session past a limit is ended here, on the server; the cookie's own expiry is not
    trusted."""
    if not token:
        return None, None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hashed(token)))
    if row is None:
        return None, None
    if row.ended_at is not None or not row.user.active:
        return None, "ended"
    now = utcnow()
    config = current_app.config
    reason = None
    if now - row.created_at > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]):
        reason = "absolute"
    elif now - row.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        reason = "idle"
    if reason:
        _end(UserSession.id == row.id, reason, now)
        record_security_event(
            "session_expired",
            user=row.user,
            target=f"user:{row.user_id}",
            detail={"reason": reason},
        )
        db.session.commit()
        return None, reason
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
            .values(last_seen_at=now)
        )
        db.session.commit()
    return row, None


def _end(condition, reason: str, now) -> int:
    result = db.session.execute(
        update(UserSession)
        .where(condition, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def end(token: str | None, user: User | None) -> None:
    """Logging out: this browser's session ends on the server."""
    if not token:
        return
    _end(UserSession.token_hash == _hashed(token), "logout", utcnow())
    if user is not None:
        record_security_event("logout", user=user, target=f"user:{user.id}")
    db.session.commit()


def end_all(user: User, reason: str, keep: str | None = None) -> int:
    """End every session of `user` (but the one whose id is `keep`); the caller commits.
    Returns how many were open."""
    condition = UserSession.user_id == user.id
    if keep:
        condition = condition & (UserSession.token_hash != _hashed(keep))
    return _end(condition, reason, utcnow())


def open_sessions(user: User) -> int:
    """How many sessions of `user` are open (not ended, not yet found past a limit)."""
    return db.session.scalar(
        select(func.count()).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )
