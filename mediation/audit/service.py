"""Writing case events and administration log entries, and checking that their hash chains
are unbroken."""

from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import select

from mediation.extensions import db
from mediation.models import AdminEvent, Case, CaseEvent, CaseStatus, EventKind, User
from mediation.models.audit import GENESIS, Chained
from mediation.models.base import LOCAL_TZ, Labelled, utcnow
from mediation.privacy import mask_id_number, mask_phone


def timeline_value(field: str, value: Any) -> Any:
    """A value as the timeline's diffs keep it: labels for enums, masks for personal data,
    times in Beijing time to the minute."""
    if value is None or value == "":
        return ""
    if field == "id_number":
        return mask_id_number(value)
    if field == "phone":
        return mask_phone(value)
    if isinstance(value, Labelled):
        return value.label
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply_changes(obj: Any, fields: dict[str, Any], labels: dict[str, str], prefix: str = ""
                  ) -> dict[str, list[Any]]:  # fmt: skip
    """Set the labelled fields on obj; return what changed as {label: [old, new]}, the diff
    every edit event carries. Compared as stored, so a change hidden by a mask still counts."""
    changes = {}
    for name, new in fields.items():
        if name not in labels:
            continue
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes[prefix + labels[name]] = [timeline_value(name, old), timeline_value(name, new)]
    return changes


def record_event(
    case: Case,
    user: User,
    kind: EventKind,
    *,
    action: str = "",
    from_status: CaseStatus | None = None,
    to_status: CaseStatus | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append an event to the case's timeline. Call after flushing the case change, so the
    event carries the version the change produced."""
    # Lock the case row so two writers cannot both chain onto the same previous event.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    prev = db.session.scalar(
        select(CaseEvent.hash)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    event = CaseEvent(
        case_id=case.id,
        user_id=user.id,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details or {},
        case_version=case.version,
        prev_hash=prev or GENESIS,
    )
    event.at = utcnow()
    event.hash = event.compute_hash()
    db.session.add(event)
    return event


def verify_chain(case_id: int) -> list[str]:
    """Problems found in one case's timeline, in Chinese; an empty list means it is intact."""
    return _problems(db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ))  # fmt: skip


def verify_admin_chain() -> list[str]:
    """Problems found in the administration log, in Chinese; empty when it is intact."""
    return _problems(db.session.scalars(select(AdminEvent).order_by(AdminEvent.id)))


def verify_all_cases() -> dict[int, list[str]]:
    """Every case's timeline checked, reading all events in one pass: {case id: problems}
    for the cases whose chain is broken."""
    events = db.session.scalars(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.id))
    found = {}
    for case_id, chain in groupby(events, key=lambda e: e.case_id):
        problems = _problems(chain)
        if problems:
            found[case_id] = problems
    return found


def verify_admin_page(entries: list[AdminEvent]) -> list[str]:
    """The administration log checked across the entries shown (newest first) and down to
    the entry just before them; `flask audit-verify` checks the whole log."""
    if not entries:
        return []
    before = db.session.scalar(
        select(AdminEvent.hash).where(AdminEvent.id < entries[-1].id)
        .order_by(AdminEvent.id.desc()).limit(1)
    )  # fmt: skip
    return _problems(reversed(entries), start=before or GENESIS)


def _problems(entries: Iterable[Chained], start: str = GENESIS) -> list[str]:
    problems = []
    prev = start
    for entry in entries:
        if entry.prev_hash != prev:
            problems.append(f"记录 {entry.id} 的前序哈希不符，记录可能被删改。")
        if entry.compute_hash() != entry.hash:
            problems.append(f"记录 {entry.id} 的内容与哈希不符，记录可能被篡改。")
        prev = entry.hash
    return problems


def record_admin_event(
    user: User | None, action: str, target: str, summary: str, changes: dict[str, Any]
) -> AdminEvent:
    """Append an entry to the administration log, in the caller's transaction."""
    prev = db.session.scalar(select(AdminEvent.hash).order_by(AdminEvent.id.desc()).limit(1))
    entry = AdminEvent(
        user_id=user.id if user else None, action=action, target=target, summary=summary,
        details=changes, prev_hash=prev or GENESIS,
    )  # fmt: skip
    entry.at = utcnow()
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    return entry


def events_since(case: Case, version: int) -> list[CaseEvent]:
    """Events that changed the case after the given version: what a stale form missed."""
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.case_version > version)
            .order_by(CaseEvent.id)
        )
    )
