"""Slowing down password guessing without letting a stranger lock out a real user.

Every attempt is written down (login_failures, by keyed hashes of the username typed and of
the client's address) before its answer is checked, and taken back if it succeeds. Attempts
still in flight count against a wrong guess (parallel guesses cannot run past the limit),
but never against the right password: only settled failures can hold that back. Past a
number of failures, the next try must wait, the wait doubling up to a cap: per username
(known or not, so the answer says nothing about which exist) and per address. The
username's wait does not apply to a browser that has signed in to that account before, so
the owner's right password still passes while a stranger hammers the account."""

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from mediation.extensions import db
from mediation.models import LoginFailure
from mediation.models.base import utcnow

# Failures are counted within this window, and kept for a day.
WINDOW = timedelta(hours=1)
KEPT = timedelta(days=1)


class TooManyAttempts(Exception):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        return f"登录尝试过于频繁，请{minutes}分钟后再试。如忘记密码，请联系系统管理员。"


def _hashed(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return f"{kind}:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def account_key(username: str) -> str:
    return _hashed("account", username.strip().lower())


def address_key(address: str) -> str:
    return _hashed("address", address)


def _rules(known_device: bool) -> list[tuple[str, int, timedelta]]:
    """(which key, failures before waiting, first wait) for each limit that applies."""
    config = current_app.config
    rules = [("address", config["LOGIN_ADDRESS_FAILURES"], timedelta(seconds=1))]
    if not known_device:
        rules.append(("account", config["LOGIN_MAX_FAILURES"], timedelta(minutes=1)))
    return rules


def _cap() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def _wait(count: int, last: datetime | None, free: int, first: timedelta, now: datetime) -> int:
    """Seconds still to wait after `count` failures, the latest at `last`."""
    if count < free or last is None:
        return 0
    delay = min(first * 2 ** min(count - free, 20), _cap())
    return max(0, math.ceil((last + delay - now).total_seconds()))


def _failures(
    key: str, now: datetime, exclude: list[int], settled_only: bool = False
) -> tuple[int, datetime | None]:
    query = select(func.count(), func.max(LoginFailure.at)).where(
        LoginFailure.key == key,
        LoginFailure.at >= now - WINDOW,
        LoginFailure.id.not_in(exclude),
    )
    if settled_only:
        query = query.where(LoginFailure.settled.is_(True))
    return db.session.execute(query).one()


class Attempt:
    """A login attempt written down: its records' ids, and how long a wrong guess would have
    to wait counting the attempts still in flight (`wait`)."""

    def __init__(self, ids: list[int], wait: int):
        self.ids = ids
        self.wait = wait


def begin(username: str, address: str, known_device: bool) -> Attempt:
    """Write this attempt down and return it; TooManyAttempts (the attempt taken back) when
    settled failures make it wait, before any password is checked. Written first and
    counted with the others, so parallel guesses cannot run past the limit: `wait` counts
    the attempts in flight too, and refuse_guess applies it to a wrong password."""
    now = utcnow()
    keys = {"account": account_key(username), "address": address_key(address)}
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEPT))
    attempt = [LoginFailure(key=key, at=now) for key in keys.values()]
    db.session.add_all(attempt)
    db.session.flush()
    # Read before the commit expires them: a parallel success may delete these rows.
    ours = [record.id for record in attempt]
    db.session.commit()
    in_flight = 0
    for kind, free, first in _rules(known_device):
        wait = _wait(*_failures(keys[kind], now, ours, settled_only=True), free, first, now)
        if wait:
            _take_back(ours)
            db.session.commit()
            raise TooManyAttempts(wait)
        in_flight = max(in_flight, _wait(*_failures(keys[kind], now, ours), free, first, now))
    return Attempt(ours, in_flight)


def refuse_guess(attempt: Attempt) -> None:
    """A wrong password: TooManyAttempts (taken back) when the attempts in flight already
    reach the limit, else it is settled as a failure."""
    if attempt.wait:
        _take_back(attempt.ids)
        db.session.commit()
        raise TooManyAttempts(attempt.wait)
    db.session.execute(
        update(LoginFailure)
        .where(LoginFailure.id.in_(attempt.ids))
        .values(settled=True)
        .execution_options(synchronize_session=False)
    )


def _take_back(ours: list[int]) -> None:
    # By statement, not session.delete: a parallel login may have removed them already.
    db.session.execute(
        delete(LoginFailure)
        .where(LoginFailure.id.in_(ours))
        .execution_options(synchronize_session=False)
    )


def failed(username: str) -> bool:
    """After a failed attempt (whose records stay): True when this failure starts the
    username's wait, for the security log."""
    now = utcnow()
    count, _ = _failures(account_key(username), now, [], settled_only=True)
    return count == current_app.config["LOGIN_MAX_FAILURES"]


def succeeded(attempt: Attempt, username: str) -> None:
    """The right password: the attempt is taken back and the username's failures forgiven,
    in one statement (two in a row could deadlock with a parallel login doing the same)."""
    db.session.execute(
        delete(LoginFailure)
        .where(LoginFailure.id.in_(attempt.ids) | (LoginFailure.key == account_key(username)))
        .execution_options(synchronize_session=False)
    )


def clear_account(username: str) -> None:
    """Forget the username's failures (an administrator's 解除登录锁定)."""
    db.session.execute(
        delete(LoginFailure)
        .where(LoginFailure.key == account_key(username))
        .execution_options(synchronize_session=False)
    )


def waiting_accounts(usernames: list[str]) -> set[str]:
    """Which of these usernames must wait before their next try from an unknown browser."""
    now = utcnow()
    keys = {account_key(name): name for name in usernames}
    rows = db.session.execute(
        select(LoginFailure.key, func.count(), func.max(LoginFailure.at))
        .where(
            LoginFailure.key.in_(keys),
            LoginFailure.at >= now - WINDOW,
            LoginFailure.settled.is_(True),
        )
        .group_by(LoginFailure.key)
    ).all()
    free = current_app.config["LOGIN_MAX_FAILURES"]
    return {
        keys[key]
        for key, count, last in rows
        if _wait(count, last, free, timedelta(minutes=1), now)
    }
