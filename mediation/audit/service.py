"""Writing case events and administration log entries (sealed onto the global chain by
audit.chain), and the diffs the timeline keeps."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from mediation.audit import chain
from mediation.extensions import db
from mediation.models import (
    AdminEvent,
    Agreement,
    Case,
    CaseEvent,
    CaseStatus,
    DeskAction,
    DeskEntry,
    DeskEvent,
    EventKind,
    User,
)
from mediation.models.base import LOCAL_TZ, Labelled
from mediation.models.case import OUTCOME_ACTIONS
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
    """Append an event to the case's timeline, in the caller's transaction. It records the
    status and version the case has once the caller's changes are flushed."""
    event = CaseEvent(
        case_id=case.id,
        user_id=user.id,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details or {},
    )
    chain.append(event)
    if action in OUTCOME_ACTIONS:
        _keep_outcome(case, action, event.at)
    if kind == EventKind.TRANSITION:
        # The referring body is told of every change of status, in this same transaction.
        from mediation.api.outbox import status_changed

        status_changed(case, event)
    return event


def record_desk_event(
    entry: DeskEntry,
    user: User,
    action: DeskAction,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> DeskEvent:
    """Append a step to a desk entry's history (受理窗口), in the caller's transaction."""
    event = DeskEvent(
        entry_id=entry.id, user_id=user.id, action=action, reason=reason, details=details or {}
    )
    chain.append(event)
    return event


def _keep_outcome(case: Case, action: str, at: datetime) -> None:
    """The case keeps the time of its outcome events for the statistics (Case.agreed_at ...),
    written with the event and at its time. Written past the ORM: these columns are copies
    of the timeline, not an edit of the case, so the case's version (which its newest event
    records) stays as it is."""
    values: dict[str, Any] = {OUTCOME_ACTIONS[action]: at, "outcome_at": at}
    if action == "reach_agreement" and case.agreed_on is None:
        values["agreed_on"] = db.session.scalar(
            select(func.min(Agreement.reached_on)).where(Agreement.case_id == case.id)
        )
    db.session.execute(
        update(Case.__table__)
        .where(Case.id == case.id)
        .values(updated_at=Case.updated_at, **values)
    )
    for name, value in values.items():
        set_committed_value(case, name, value)


def record_admin_event(
    user: User | None, action: str, target: str, summary: str, changes: dict[str, Any]
) -> AdminEvent:
    """Append an entry to the administration log, in the caller's transaction."""
    entry = AdminEvent(
        user_id=user.id if user else None,
        action=action,
        target=target,
        summary=summary,
        details=changes,
    )
    chain.append(entry)
    return entry


def verify_chain(case_id: int) -> list[str]:
    """Problems found in one case's timeline, in Chinese; empty when every event still
    carries its keyed hash. Gaps and removed cases: `flask audit-verify`."""
    key = chain.audit_key()
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
    )
    return [
        f"记录 {e.seq} 的内容被修改，记录可能被篡改。"
        for e in events
        if e.compute_hash(key) != e.hash
    ]


def verify_admin_page(entries: list[AdminEvent]) -> list[str]:
    """The administration log checked across the entries shown."""
    return chain.verify_window(entries)


def events_since(case: Case, version: int) -> list[CaseEvent]:
    """Events that changed the case after the given version: what a stale form missed."""
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.case_version > version)
            .order_by(CaseEvent.seq)
        )
    )
