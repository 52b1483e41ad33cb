"""The security log: sign-ins, lockouts, refused case URLs, downloads and exports, sealed
onto the same keyed chain as the case timelines. Other features call record_security_event."""

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from mediation.audit import chain
from mediation.extensions import db
from mediation.models import SecurityEvent
from mediation.models.base import LOCAL_TZ

KINDS = {
    "login": "登录",
    "login_failed": "登录失败",
    "lockout": "账户锁定",
    "logout": "退出",
    "logout_all": "退出所有会话",
    "password_changed": "修改密码",
    "session_expired": "会话超时",
    "case_refused": "拒绝访问案件",
    "download": "下载文件",
    "export": "导出统计表",
    "api_call": "接口调用",
}

# A run of digits as long as a phone or an ID number: the log never keeps one whole.
_LONG_NUMBER = re.compile(r"\d{7,}[\dXx]?")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _LONG_NUMBER.sub(lambda m: m.group()[:3] + "****" + m.group()[-2:], value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def record_security_event(
    kind: str, *, user=None, username: str = "", target: str = "", detail: dict | None = None
) -> None:
    """Add an entry to the security log in the caller's db.session (the caller commits).
    In a request, the client's address is taken from it (behind PROXY_COUNT proxies,
    ProxyFix has put the forwarded address there)."""
    if user is not None and getattr(user, "is_authenticated", True):
        user_id, username = user.id, username or user.username
    else:
        user_id = None
    address = (request.remote_addr or "") if has_request_context() else ""
    chain.append(
        SecurityEvent(
            kind=kind,
            user_id=user_id,
            username=_scrub(username)[:80],
            address=address[:64],
            target=_scrub(target)[:120],
            detail=_scrub(detail or {}),
        )
    )


def log_now(kind: str, **fields: Any) -> None:
    """Record and commit at once, in a transaction of its own: for reads (downloads,
    exports) and refusals, where nothing else is saved. Whatever the session held that
    was not committed is dropped first; callers use it before they change anything."""
    db.session.rollback()
    record_security_event(kind, **fields)
    db.session.commit()


def search(filters: dict[str, Any], before: int | None, limit: int) -> list[SecurityEvent]:
    """Security-log entries matching the filters (kind, part of a username, the start of
    an address, local dates from/to), newest first, older than number `before` if given."""
    query = select(SecurityEvent).order_by(SecurityEvent.seq.desc()).limit(limit)
    if before:
        query = query.where(SecurityEvent.seq < before)
    if filters.get("kind"):
        query = query.where(SecurityEvent.kind == filters["kind"])
    if filters.get("username"):
        query = query.where(
            SecurityEvent.username.contains(filters["username"].strip(), autoescape=True)
        )
    if filters.get("address"):
        query = query.where(
            SecurityEvent.address.startswith(filters["address"].strip(), autoescape=True)
        )
    if filters.get("date_from"):
        query = query.where(SecurityEvent.at >= _local_midnight(filters["date_from"]))
    if filters.get("date_to"):
        query = query.where(SecurityEvent.at < _local_midnight(filters["date_to"] + timedelta(1)))
    return list(db.session.scalars(query))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)
