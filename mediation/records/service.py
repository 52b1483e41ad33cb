"""Use cases of the mediation records (Art. 27): sessions, investigations, their attachments
and the people invited to take part (Art. 20)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from mediation import workflow
from mediation.audit.service import apply_changes, record_event
from mediation.calendar.service import mark_held, when
from mediation.extensions import db
from mediation.models import (
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    EventKind,
    InvestigationRecord,
    Participant,
    ParticipantKind,
    SessionRecord,
    User,
)
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.records.attachments import store_attachment
from mediation.workflow import WorkflowError

# Field labels: the forms show them, refusals and the timeline's diffs name fields with them.
SESSION_LABELS = {
    "held_at": "调解时间",
    "place": "调解地点",
    "mediators": "调解员",
    "attendees": "当事人及其他参加人",
    "course": "调解经过",
    "result": "调解结果",
}
INVESTIGATION_LABELS = {
    "held_at": "调查时间",
    "place": "调查地点",
    "investigator": "调查人",
    "person_questioned": "被调查人",
    "content": "调查内容",
}
PARTICIPANT_LABELS = {
    "name": "姓名",
    "kind": "关系或身份",
    "organisation": "工作单位",
    "consented": "已征得双方当事人同意",
    "consent": "当事人同意的方式和时间",
}
# Art. 20: whoever is invited, the parties agreed to it; every participant row says so.
CONSENT = "经双方当事人同意"

Record = SessionRecord | InvestigationRecord


class RecordConflictError(WorkflowError):
    """Someone saved the record since the form was opened. `events` are their edits, `record`
    is what is saved now; the form keeps what this user typed."""

    def __init__(self, record: Record, events: list[CaseEvent]):
        who = "、".join(sorted({e.user.name for e in events})) or "其他人"
        super().__init__(
            f"您打开本页后，{who}已修改了这份{record_title(record)}，您的保存未生效。"
            "您填写的内容都还在；只有对方改过的栏目已换成对方保存的内容，"
            "双方都改过的栏目下方注明了对方保存的内容，请核对后再保存。"
        )
        self.record = record
        self.events = events


def record_title(record: Record) -> str:
    return "调解记录" if isinstance(record, SessionRecord) else "调查记录"


def record_ref(record: Record) -> str:
    """Names the record in its timeline events' `action`, which the timeline does not show:
    it lets a stale form find exactly the edits it missed."""
    kind = "session" if isinstance(record, SessionRecord) else "investigation"
    return f"{kind}_record:{record.id}"


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _check_fields(fields: dict[str, Any], labels: dict[str, str], optional=()) -> None:
    """Required fields and the time, checked before anything is changed, so a refusal leaves
    nothing half-written in the session."""
    for name, label in labels.items():
        value = fields.get(name)
        if name not in optional and (
            value is None or (isinstance(value, str) and not value.strip())
        ):
            raise WorkflowError(f"请填写{label}。", status=400, field=name)
    held_at = fields.get("held_at")
    if held_at is not None:
        if held_at.tzinfo is None:
            raise ValueError("held_at must be timezone-aware")
        if held_at > utcnow():
            raise WorkflowError(f"{labels['held_at']}不能晚于现在。", status=400, field="held_at")


def _clean(fields: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    cleaned = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if k in labels
    }
    if cleaned.get("held_at") is not None:  # records are kept to the minute, as typed
        cleaned["held_at"] = cleaned["held_at"].astimezone(UTC).replace(second=0, microsecond=0)
    return cleaned


def _flush_new(case: Case) -> None:
    """A record also touches its case (the version a stale case form checks); a case saved
    by someone else at this very moment is a refusal to retry, not a server error."""
    case.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(
            "就在您保存时，其他人也修改了本案件，您的记录未保存。您填写的内容都还在，请再次提交。"
        ) from None


def check_may_record_session(case: Case, user: User) -> None:
    workflow.ensure_handler(case, user, "填写调解记录")
    if case.status not in workflow.SESSIONS:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能填写调解记录。")


def check_may_investigate(case: Case, user: User) -> None:
    workflow.ensure_handler(case, user, "填写调查记录")


def check_may_edit(record: Record, user: User) -> None:
    workflow.ensure_handler(record.case, user, f"修改{record_title(record)}")


def record_session(case: Case, user: User, fields: dict[str, Any]) -> SessionRecord:
    """Add a mediation session record: when, where, who, what was said and done, outcome."""
    workflow.hold(case)
    check_may_record_session(case, user)
    _check_fields(fields, SESSION_LABELS)
    record = SessionRecord(case=case, created_by_id=user.id, **_clean(fields, SESSION_LABELS))
    db.session.add(record)
    _flush_new(case)
    details = {"时间": _local(record.held_at), "地点": record.place}
    appointment = mark_held(case, fields.get("appointment_id"), record)
    if appointment is not None:
        details["调解安排"] = when(appointment)
    record_event(case, user, EventKind.SESSION, action=record_ref(record), details=details)
    db.session.commit()
    return record


def record_investigation(case: Case, user: User, fields: dict[str, Any]) -> InvestigationRecord:
    """Add an investigation record (调查记录): who was questioned, by whom, when, where, what."""
    workflow.hold(case)
    check_may_investigate(case, user)
    _check_fields(fields, INVESTIGATION_LABELS)
    record = InvestigationRecord(
        case=case, created_by_id=user.id, **_clean(fields, INVESTIGATION_LABELS)
    )
    db.session.add(record)
    _flush_new(case)
    record_event(
        case, user, EventKind.INVESTIGATION, action=record_ref(record),
        details={"时间": _local(record.held_at), "地点": record.place,
                 "被调查人": record.person_questioned},
    )  # fmt: skip
    db.session.commit()
    return record


def missed_edits(record: Record, version: int) -> list[CaseEvent]:
    """The edits of the record saved after the form showed `version`: every edit through
    _update bumps the version by one and writes one event, in order."""
    ref = record_ref(record)
    edits = [e for e in record.case.events if e.kind == EventKind.RECORD_EDITED and e.action == ref]
    return edits[max(version - 1, 0) :]


def _update(record: Record, user: User, version: int, fields: dict[str, Any], labels) -> Record:
    case = record.case
    check_may_edit(record, user)
    if record.version != version:
        raise RecordConflictError(record, missed_edits(record, version))
    _check_fields(fields, labels)
    changes = apply_changes(record, _clean(fields, labels), labels)
    if not changes:
        return record
    case.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(record)
        raise RecordConflictError(record, missed_edits(record, version)) from None
    title = f"{record_title(record)}（{_local(record.held_at)}）"
    record_event(
        case, user, EventKind.RECORD_EDITED, action=record_ref(record),
        details={"记录": title, "changes": changes},
    )  # fmt: skip
    db.session.commit()
    return record


def update_session(
    record: SessionRecord, user: User, version: int, fields: dict[str, Any]
) -> SessionRecord:
    """Correct a session record while the case is worked. `version` is the record version the
    form was opened at: if someone saved since, nothing is written (RecordConflictError)."""
    return _update(record, user, version, fields, SESSION_LABELS)


def update_investigation(
    record: InvestigationRecord, user: User, version: int, fields: dict[str, Any]
) -> InvestigationRecord:
    """Correct an investigation record; same version check as update_session."""
    return _update(record, user, version, fields, INVESTIGATION_LABELS)


def attach_to_record(
    record: Record, user: User, upload: FileStorage | None, kind: AttachmentKind
) -> Attachment:
    """Keep an evidence file, photo or scan with a record. A signed agreement is confirmed on
    the agreement itself (it makes the agreement effective), never slipped in here."""
    workflow.ensure_handler(record.case, user, "上传附件")
    if kind == AttachmentKind.SIGNED_AGREEMENT:
        raise WorkflowError("签字盖章的协议书请在“调解协议”处上传。", status=400, field="kind")
    link = (
        {"session_record_id": record.id}
        if isinstance(record, SessionRecord)
        else {"investigation_record_id": record.id}
    )
    return store_attachment(record.case, user, upload, kind, **link)


def invite_participant(case: Case, user: User, fields: dict[str, Any]) -> Participant:
    """Record someone invited to take part in the mediation (relative, neighbour, expert,
    lawyer ...). Only with the parties' consent, and how they gave it is kept (Art. 20)."""
    workflow.ensure_handler(case, user, "邀请其他人员参与调解")
    _check_fields(fields, PARTICIPANT_LABELS, optional=("organisation", "consented"))
    if not fields.get("consented"):
        raise WorkflowError(
            "邀请其他人员参与调解须经双方当事人同意（《人民调解法》第二十条）。",
            status=400,
            field="consented",
        )
    how = fields["consent"].strip()
    participant = Participant(
        case_id=case.id,
        name=fields["name"].strip(),
        kind=ParticipantKind(fields["kind"]),
        organisation=(fields.get("organisation") or "").strip(),
        consent=how if how.startswith(CONSENT) else f"{CONSENT}：{how}",
        invited_by_id=user.id,
    )
    case.participants.append(participant)
    _flush_new(case)
    details = {"姓名": participant.name, "身份": participant.kind.label}
    if participant.organisation:
        details["单位"] = participant.organisation
    # The consent is a sentence: the timeline shows the reason as wrapped prose.
    record_event(case, user, EventKind.PARTICIPANT, reason=participant.consent, details=details)
    db.session.commit()
    return participant
