"""Use cases of the mediation records (Art. 27)."""

from datetime import datetime
from typing import Any

from mediation import access, workflow
from mediation.audit.service import record_event
from mediation.extensions import db
from mediation.models import Case, CaseStatus, EventKind, SessionRecord, User
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.workflow import WorkflowError

RECORDABLE = (CaseStatus.MEDIATING, CaseStatus.AGREED, CaseStatus.FOLLOWED_UP)


def record_session(case: Case, user: User, fields: dict[str, Any]) -> SessionRecord:
    """Add a mediation session record: when, where, who, what was said and done, outcome."""
    workflow.ensure_working(case, "填写调解记录")
    if not access.may(user, case, access.HANDLER):
        raise WorkflowError("只有本案调解员或调委会主任可以填写调解记录。", status=403)
    if case.status not in RECORDABLE:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能填写调解记录。")
    held_at: datetime = fields["held_at"]
    if held_at > utcnow():
        raise WorkflowError("调解时间不能晚于现在。", status=400, field="held_at")
    record = SessionRecord(case=case, created_by_id=user.id, **fields)
    db.session.add(record)
    case.updated_at = utcnow()
    db.session.flush()
    when = held_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    record_event(case, user, EventKind.SESSION, details={"时间": when, "地点": record.place})
    db.session.commit()
    return record
