"""Pushing status changes to the clients that referred the cases: an outbox row written in
the transaction of the change (audit.service.record_event calls status_changed for every
transition, the one place transitions are recorded), and the worker (`flask api-deliver`)
that posts each row, signed, until the receiver takes it.

Exactly once per change across restarts: a row is claimed by one worker at a time (a
compare-and-set on claimed_at, the same on both databases), marked delivered only after the
receiver answered 2xx, and a claim whose worker died is taken over after LEASE. A worker that
dies after the receiver took the message but before marking it sends it again: the
Idempotency-Key header (the row's key, the same on every try) lets the receiver drop it."""

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from mediation.extensions import db
from mediation.models import ApiClient, ApiOutbox, ApiReferral, Case, CaseEvent
from mediation.models.base import LOCAL_TZ, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claim older than this belongs to a worker that died
FIRST_RETRY = timedelta(seconds=30)  # then 1, 2, 4 … minutes, at most MAX_DELAY
MAX_DELAY = timedelta(hours=6)
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Mediation-Signature"
KEY_HEADER = "Idempotency-Key"


def status_changed(case: Case, event: CaseEvent) -> None:
    """Queue the change for the client that referred the case, if it has a callback URL; in
    the caller's transaction, so the change and its message commit or vanish together."""
    row = db.session.execute(
        select(ApiReferral.client_id, ApiReferral.reference, ApiClient.callback_url)
        .join(ApiClient, ApiClient.id == ApiReferral.client_id)
        .where(ApiReferral.case_id == case.id)
    ).first()
    if row is None or not row.callback_url:
        return
    at = utcnow()
    payload = {
        "event": "case.status_changed",
        "case_id": case.id,
        "case_number": case.number,
        "reference_number": row.reference,
        "action": event.action,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
        "to_status_label": event.to_status.label if event.to_status else None,
        "at": at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
    }
    db.session.add(
        ApiOutbox(
            client_id=row.client_id,
            case_id=case.id,
            idempotency_key=secrets.token_hex(16),
            payload=payload,
            created_at=at,
            next_attempt_at=at,
        )
    )


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the exact body under the client's
    signing secret, hex, prefixed with the algorithm."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delay_after(attempts: int) -> timedelta:
    """Exponential back-off: 30 s after the first failure, doubling, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


@dataclass
class Round:
    delivered: int = 0
    failed: int = 0


def _due() -> list[int]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(ApiOutbox.id)
            .where(
                ApiOutbox.delivered_at.is_(None),
                ApiOutbox.next_attempt_at <= now,
                or_(ApiOutbox.claimed_at.is_(None), ApiOutbox.claimed_at < now - LEASE),
            )
            .order_by(ApiOutbox.id)
            .limit(100)
        )
    )


def claim(row_id: int, worker: str) -> bool:
    """Take the row for this worker, if nobody holds a live claim and it is undelivered: one
    UPDATE whose WHERE is the check, so of two workers only one changes the row."""
    now = utcnow()
    taken = db.session.execute(
        update(ApiOutbox)
        .where(
            ApiOutbox.id == row_id,
            ApiOutbox.delivered_at.is_(None),
            or_(ApiOutbox.claimed_at.is_(None), ApiOutbox.claimed_at < now - LEASE),
        )
        .values(claimed_at=now, claimed_by=worker)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def _post(row: ApiOutbox, client: ApiClient) -> tuple[int | None, str]:
    body = json.dumps(row.payload, ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(client.callback_url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header(SIGNATURE_HEADER, sign(client.signing_secret, body))
    request.add_header(KEY_HEADER, row.idempotency_key)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, timed out, a bad URL
        return None, str(error)[:500]


def deliver(row_id: int, worker: str) -> bool | None:
    """Post one claimed row and record the answer: True delivered, False to be tried again,
    None when the row was no longer this worker's."""
    row = db.session.get(ApiOutbox, row_id)
    if row is None or row.claimed_by != worker or row.delivered_at is not None:
        return None
    client = row.client
    status, error = _post(row, client) if client.callback_url else (None, "未设置回调地址")
    mine = and_(ApiOutbox.id == row_id, ApiOutbox.claimed_by == worker)
    now = utcnow()
    if status is not None and 200 <= status < 300:
        values = {"delivered_at": now, "last_status": status, "last_error": ""}
        ok = True
    else:
        attempts = row.attempts + 1
        values = {
            "attempts": attempts,
            "next_attempt_at": now + delay_after(attempts),
            "claimed_at": None,
            "claimed_by": "",
            "last_status": status,
            "last_error": error,
        }
        ok = False
    db.session.execute(
        update(ApiOutbox).where(mine).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return ok


def deliver_due(worker: str | None = None, limit: int | None = None) -> Round:
    """One round of the worker: every row due now, claimed one by one and posted."""
    worker = worker or f"worker-{secrets.token_hex(6)}"
    done = Round()
    for row_id in _due():
        if limit is not None and done.delivered + done.failed >= limit:
            break
        if not claim(row_id, worker):
            continue
        result = deliver(row_id, worker)
        if result:
            done.delivered += 1
        elif result is False:
            done.failed += 1
    return done
