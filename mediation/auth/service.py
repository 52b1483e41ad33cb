"""Authentication rules: lockout after repeated failures, demo passwords refused in production."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from mediation.config import is_production
from mediation.extensions import db
from mediation.models import User
from mediation.models.base import LOCAL_TZ, utcnow

DEMO_PASSWORD = "demo12345"


class LoginRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs next to


def authenticate(username: str, password: str) -> User:
    """The user for these credentials, or LoginRefused with the message the page shows."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is None:
        raise LoginRefused("用户名或密码不正确。")
    if user.is_locked(now):
        until = user.locked_until.astimezone(LOCAL_TZ).strftime("%H:%M")
        raise LoginRefused(f"密码连续输错次数过多，账户已锁定，请于 {until} 后再试。")
    if not user.check_password(password):
        user.failed_logins += 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            minutes = current_app.config["LOGIN_LOCK_MINUTES"]
            user.locked_until = now + timedelta(minutes=minutes)
            user.failed_logins = 0
            db.session.commit()
            until = user.locked_until.astimezone(LOCAL_TZ).strftime("%H:%M")
            raise LoginRefused(
                f"密码已连续输错{limit}次，账户已锁定{minutes}分钟，请于 {until} 后再试。"
            )
        db.session.commit()
        left = limit - user.failed_logins
        raise LoginRefused(f"用户名或密码不正确。再输错{left}次账户将被锁定。")
    if not user.active:
        raise LoginRefused("该账户已停用，请联系系统管理员。")
    if is_production(current_app) and password == DEMO_PASSWORD:
        raise LoginRefused("生产环境不允许使用演示密码登录，请联系系统管理员重置密码。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
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


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise LoginRefused("当前密码不正确。", field="current")
    problem = password_problem(user, new)
    if problem:
        raise LoginRefused(problem, field="new")
    user.set_password(new)
    db.session.commit()
