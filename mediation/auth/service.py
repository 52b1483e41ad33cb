"""Authentication rules: one answer for every refused login, the same work for unknown and
known usernames, throttled guessing, demo passwords refused in production."""

from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from mediation.audit.security import record_security_event
from mediation.auth import sessions, throttle
from mediation.auth.throttle import TooManyAttempts
from mediation.config import is_production
from mediation.extensions import db
from mediation.models import User

DEMO_PASSWORD = "demo12345"
# Unknown user, wrong password, disabled account: the page cannot tell them apart.
REFUSED = "用户名或密码不正确，或账户暂时无法登录。请核对后重试，仍无法登录请联系系统管理员。"

__all__ = ["REFUSED", "LoginRefused", "TooManyAttempts", "authenticate", "change_password"]


class LoginRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs next to


@cache
def _dummy_hash(method: str) -> str:
    """A hash no password matches, made the same way as real ones, so that an unknown
    username costs the same time as a known one."""
    return generate_password_hash("no account has this password", method=method)


def authenticate(username: str, password: str, address: str, known_device: bool) -> User:
    """The user for these credentials; LoginRefused (REFUSED, whatever the reason) or
    TooManyAttempts (wait before trying again)."""
    username = username.strip()
    attempt = throttle.begin(username, address, known_device)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        right = False
    else:
        right = user.check_password(password)
    if not right or not user.active:
        throttle.refuse_guess(attempt)
        target = f"user:{user.id}" if user else ""
        record_security_event(
            "login_failed", user=user, username=username, target=target, detail={"address": address}
        )
        if throttle.failed(username):
            record_security_event(
                "lockout", user=user, username=username, target=target, detail={"address": address}
            )
        db.session.commit()
        raise LoginRefused(REFUSED)
    throttle.succeeded(attempt, username)
    db.session.commit()
    if is_production(current_app) and password == DEMO_PASSWORD:
        # Only the right password reaches this: it tells nothing a guesser did not know.
        raise LoginRefused("生产环境不允许使用演示密码登录，请联系系统管理员重置密码。")
    return user


def password_problem(user: User, password: str) -> str | None:
    if len(password) < 8:
        return "新密码至少8位。"
    if password.isdigit() or password.isalpha():
        return "新密码须同时包含字母和数字。"
    if password == user.username:
        return "新密码不能与用户名相同。"
    if password == DEMO_PASSWORD:
        return "不能使用演示密码。"
    return None


def change_password(user: User, current: str, new: str, keep_session: str | None) -> int:
    """A new password; every other session of the user ends (whoever held a copy of it is
    signed out), the one with the id `keep_session` stays. Returns how many ended."""
    if not user.check_password(current):
        raise LoginRefused("当前密码不正确。", field="current")
    problem = password_problem(user, new)
    if problem:
        raise LoginRefused(problem, field="new")
    user.set_password(new)
    ended = sessions.end_all(user, "password_changed", keep=keep_session)
    record_security_event(
        "password_changed", user=user, target=f"user:{user.id}", detail={"sessions_ended": ended}
    )
    db.session.commit()
    return ended
