"""Every post is done once. Each form carries a one-time submission token (the `csrf()`
macro draws it); the first post with a token claims it and does the work, and any repeat of
that post (a double click, Back and submit again, a retry after a timeout), even one that
arrives while the first is still running, does nothing again and is sent where the first was
sent, with the first one's message. A post the app turned back gives its claim up, so the
corrected form can be sent again. Posts without a token (API-like clients) run as before.

A repeat does not depend on the token alone: Back onto a page the browser draws anew (no
page cache, no JavaScript) gives the same form a new token. So a successful post also keeps
a fingerprint of what was posted, and the same content posted again by the same person to
the same place within SAME_CONTENT is answered as a repeat too.

The claim is its own small transaction, taken before the view runs: a duplicate then waits
on the token's unique key, not on whatever rows the work happens to touch, and never starts
the work at all (so a second 受理 cannot be refused as "already accepted")."""

import hashlib
import json
import secrets
import time
from datetime import timedelta
from functools import wraps

from flask import Flask, current_app, flash, redirect, request, session
from flask_login import current_user
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict

from mediation.extensions import db
from mediation.models.base import utcnow
from mediation.models.submission import Submission

FIELD = "submission"

# Posts whose repeat simply runs again, and why: nothing they do is worth keeping a token
# for, and running them twice gives the same answer as running them once.
REPEATABLE = {
    "auth.login": "a repeat logs in again (the session is replaced, nothing else is made)",
    "auth.logout": "logging out twice is logging out",
    "portal.lookup": "a resident's lookup reads a case; each failed try must count",
    "portal.leave": "leaving twice is leaving",
    "documents.verify": "checks an uploaded copy against the stored hash, writes nothing",
    # The JSON API has no forms and no cookies (token auth, CSRF-exempt): a referral is done
    # once by its (client, reference number), a repeat answering with the same case.
    "api.refer": "idempotent by the client's reference number (api.service.refer_case)",
}

WAIT_SECONDS = 20  # how long a repeat waits for the first post to finish
KEEP = timedelta(days=2)  # a form older than this was re-rendered long ago
ABANDONED = timedelta(minutes=5)  # a claim never finished nor given up
SAME_CONTENT = timedelta(minutes=10)  # the same content again this soon is a repeat
_table = Submission.__table__


class StillRunning(Conflict):
    description = "您刚才的提交仍在处理中，请稍候刷新页面查看结果，不要重复提交。"


class NotYours(Conflict):
    description = "该表单不是为您生成的，请刷新页面后重新填写提交。"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _owner() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    if "visitor" not in session:
        session["visitor"] = secrets.token_urlsafe(12)
    return f"visitor:{session['visitor']}"


def submission_token() -> str:
    """A fresh token for the form being drawn (binds a visitor id into the session first,
    so a resident's token is theirs alone)."""
    _owner()
    return new_token()


def init_app(app: Flask) -> None:
    """Wrap every view that takes a POST (call after all blueprints are registered)."""
    app.jinja_env.globals["submission_token"] = submission_token
    wrapped: set[str] = set()
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "POST" not in (rule.methods or ()) or endpoint in REPEATABLE or endpoint in wrapped:
            continue
        app.view_functions[endpoint] = _once(endpoint, app.view_functions[endpoint])
        wrapped.add(endpoint)


def _once(endpoint: str, view):
    @wraps(view)
    def once(*args, **kwargs):
        token = request.form.get(FIELD, "") if request.method == "POST" else ""
        if not token or len(token) > 64:
            return view(*args, **kwargs)
        owner = _owner()
        fingerprint = _fingerprint(owner, endpoint, kwargs)
        first, same_content = _claim_or_wait(token, owner, endpoint, fingerprint)
        if first is not None:
            if same_content:
                flash("您刚才已提交过内容相同的表单，系统未重复保存。", "info")
            return _replay(first)
        flashed = len(session.get("_flashes", []))
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()  # SQLite: the failed work's lock, before the release below
            _release(token)
            raise
        # The work is committed or undone by now; nothing left open may hold SQLite's
        # write lock while the token is written on another connection.
        db.session.rollback()
        if response.status_code in (301, 302, 303) and response.location:
            messages = [list(m) for m in session.get("_flashes", [])[flashed:]]
            _finish(token, response.location, messages)
        else:
            # Turned back (the form is shown again to correct) or a page that only shows
            # something (the personal-data reveal): a repeat runs again.
            _release(token)
        return response

    return once


def _fingerprint(owner: str, endpoint: str, view_args: dict) -> str:
    """What this post says, whatever its tokens: who sends it where, every field but the
    tokens, and the digest of every file."""
    fields = sorted(
        (key, value)
        for key, values in request.form.lists()
        if key not in (FIELD, "csrf_token")
        for value in values
    )
    files = []
    for key, upload in sorted(request.files.items(multi=True)):
        data = upload.stream.read()
        upload.stream.seek(0)
        files.append((key, upload.filename or "", hashlib.sha256(data).hexdigest()))
    posted = [owner, endpoint, sorted((k, str(v)) for k, v in view_args.items()), fields, files]
    return hashlib.sha256(json.dumps(posted, ensure_ascii=False).encode()).hexdigest()


def _claim_or_wait(token: str, owner: str, endpoint: str, fingerprint: str):
    """(None, False) once this request holds the token and no post of the same content was
    done lately; else (the first post's finished row, whether it was another form with the
    same content). Two posts of the same content cannot both be under way: the unfinished
    rows' fingerprints are unique, so the second waits for the first like a repeat."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with db.engine.begin() as conn:
                conn.execute(
                    insert(_table).values(
                        token=token, owner=owner, endpoint=endpoint, created_at=utcnow(),
                        done=False, messages=[], fingerprint=fingerprint,
                    )
                )  # fmt: skip
        except IntegrityError:
            pass
        else:
            earlier = _done_with_same_content(fingerprint, token)
            if earlier is None:
                return None, False
            _release(token)
            return earlier, True
        with db.engine.connect() as conn:
            row = conn.execute(select(_table).where(_table.c.token == token)).first()
            if row is None:  # another form with the same content under way?
                row = conn.execute(
                    select(_table).where(
                        _table.c.fingerprint == fingerprint, _table.c.done.is_(False)
                    )
                ).first()
                if row is None:
                    continue  # gone meanwhile: try the claim again
        if row.owner != owner:
            raise NotYours()
        if row.done:
            return row, row.token != token
        if row.created_at < utcnow() - ABANDONED:  # its process died: start afresh
            _release(row.token)
            continue
        if time.monotonic() > deadline:
            raise StillRunning()
        time.sleep(0.05)


def _done_with_same_content(fingerprint: str, token: str):
    """A post of the same content by the same person to the same place, done lately."""
    with db.engine.connect() as conn:
        return conn.execute(
            select(_table)
            .where(
                _table.c.fingerprint == fingerprint,
                _table.c.done.is_(True),
                _table.c.token != token,
                _table.c.created_at > utcnow() - SAME_CONTENT,
            )
            .order_by(_table.c.id.desc())
            .limit(1)
        ).first()


def _finish(token: str, location: str, messages: list) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(_table)
            .where(_table.c.token == token)
            .values(done=True, location=location[:500], messages=messages)
        )
        conn.execute(delete(_table).where(_table.c.created_at < utcnow() - KEEP))


def _release(token: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(_table).where(_table.c.token == token, _table.c.done.is_(False)))


def _replay(row):
    for category, message in row.messages or []:
        flash(message, category)
    return redirect(row.location)
