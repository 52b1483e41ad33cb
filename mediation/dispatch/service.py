"""Use cases of the justice office's window (一口受理、归口办理、并口回复): register a dispute
brought to the desk, dispatch it (交办) to a committee, or record that it went to a body
outside the system and that body's answer; press the committee (催办); reply once to the
source when it has ended. Each step is one entry of the desk entry's history, and, once the
dispute is a case, one event of the case's timeline, in the same commit."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from mediation import access, workflow
from mediation.audit.service import apply_changes, record_desk_event, record_event
from mediation.cases.service import check_parties, new_case
from mediation.channels.service import suggest_committee
from mediation.documents.service import documents_of
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    DeskAction,
    DeskEntry,
    DeskSource,
    DocumentKind,
    EventKind,
    GeneratedDocument,
    Org,
    PartyKind,
    PartyRole,
    Reminder,
    Role,
    Sex,
    Source,
    User,
)
from mediation.models.base import local_today
from mediation.models.dispatch import DESK_LABELS
from mediation.privacy import mask_phone, phone_problem
from mediation.workflow import WorkflowError

# How a desk source becomes the case's source (DOMAIN §4): a party who came or called
# applied through the window; a petition or a department's letter was handed on to us.
CASE_SOURCE = {
    DeskSource.VISIT: Source.APPLICATION,
    DeskSource.CALL: Source.APPLICATION,
    DeskSource.PETITION: Source.PETITION,
    DeskSource.DEPARTMENT: Source.DEPARTMENT,
    DeskSource.OTHER: Source.DEPARTMENT,
}
# The 办理期限 a dispatch proposes: the committee's one month (rule 11) plus the days a
# director needs to decide on acceptance.
DEFAULT_DUE_DAYS = 35
REPLY_MANNERS = ("电话告知", "当面告知", "书面答复", "短信告知", "邮寄答复")
OUTSIDE_MANNERS = ("函件移送", "电话联系", "当面移交", "信访系统流转", "其他")


def _office_staff(user: User, entry: DeskEntry | None = None) -> None:
    if not access.can_use_desk(user):
        raise WorkflowError("受理窗口由司法所、司法局工作人员使用。", status=403)
    if entry is not None and entry.office_id != user.org_id:
        raise WorkflowError("这条登记不是本单位窗口受理的。", status=404)


def _saved(entry: DeskEntry) -> None:
    """Flush the entry's change; a simultaneous change by a colleague is a 409."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(
            "您打开本页后，同事已处理了这条登记，您的操作未执行。请查看最新情况。", status=409
        ) from None


def _stored_party(data: dict[str, Any]) -> dict[str, Any]:
    """A party row as kept on the entry (JSON): enum values and ISO dates."""
    out = {k: v for k, v in data.items() if k != "id"}
    if isinstance(out.get("birth_date"), date):
        out["birth_date"] = out["birth_date"].isoformat()
    return {k: (str(v) if hasattr(v, "label") else v) for k, v in out.items()}


def case_party(stored: dict[str, Any]) -> dict[str, Any]:
    """A kept party row as the intake's party data (cases.service.new_case)."""
    data = dict(stored)
    data["role"] = PartyRole(data["role"])
    data["kind"] = PartyKind(data.get("kind") or PartyKind.PERSON)
    data["sex"] = Sex(data["sex"]) if data.get("sex") else None
    birth = data.get("birth_date")
    data["birth_date"] = date.fromisoformat(birth) if birth else None
    return data


def register_entry(user: User, fields: dict[str, Any], parties: list[dict[str, Any]]) -> DeskEntry:
    """受理窗口登记: who came, about what, between whom; the source's contact for the reply."""
    _office_staff(user)
    check_parties(parties)
    if not (fields.get("source_name") or "").strip():
        raise WorkflowError("请填写来访人姓名或来文单位。", status=400, field="source_name")
    problem = phone_problem(fields.get("source_phone") or "") if fields.get("source_phone") else ""
    if problem:
        raise WorkflowError(problem, status=400, field="source_phone")
    entry = DeskEntry(office_id=user.org_id, registered_by_id=user.id)
    apply_changes(entry, fields, DESK_LABELS)
    entry.parties = [_stored_party(p) for p in parties]
    db.session.add(entry)
    db.session.flush()
    names = "、".join(p["name"] for p in parties)
    record_desk_event(
        entry,
        user,
        DeskAction.REGISTERED,
        details={
            "来源": f"{entry.source.label} {entry.source_name}",
            "当事人": names,
            "纠纷类型": entry.category.label,
            "联系电话": mask_phone(entry.source_phone) if entry.source_phone else "",
        },
    )
    db.session.commit()
    return entry


def suggested_committee(user: User, entry: DeskEntry) -> Org | None:
    """The committee the place names (channels' suggestion), when it is the window's to
    dispatch to."""
    found = suggest_committee(entry.dispute_place)
    if found is None:
        return None
    return found if any(c.id == found.id for c in access.dispatch_committees(user)) else None


def default_due_on() -> date:
    return local_today() + timedelta(days=DEFAULT_DUE_DAYS)


def _ensure_open(entry: DeskEntry) -> None:
    if entry.is_dispatched:
        raise WorkflowError(f"这条登记已交办{entry.committee.name}。")
    if entry.is_outside:
        raise WorkflowError(f"这条登记已转{entry.outside_body}办理。")


def case_fields(entry: DeskEntry) -> dict[str, Any]:
    """THE mapping from a desk entry to the case's intake fields."""
    detail = f"{entry.office.name}交办（{entry.source.label}：{entry.source_name}）"
    return {
        "category": entry.category,
        "source": CASE_SOURCE[entry.source],
        "source_detail": detail[:100],
        "dispute_place": entry.dispute_place,
        "summary": entry.summary,
        "request": entry.request,
        "risk_level": entry.risk_level,
        "registered_on": local_today(),
    }


def referral(entry: DeskEntry, today: date, due_on: date) -> dict[str, Any]:
    """A petition or a department's letter handed on by the window is a referral to the
    committee (rule 1): from the office that dispatched it, under the window's number, with
    the 办理期限 as the deadline for the committee's feedback; the office then answers the
    source once (并口回复). Other sources carry none (referrals.service ignores it)."""
    return {
        "body_name": entry.office.name,
        "reference_number": entry.number,
        "referred_on": today,
        "feedback_due": due_on,
    }


def dispatch(
    entry: DeskEntry, user: User, committee_id: int | None, instructions: str, due_on: date | None
) -> Case:
    """交办: the dispute becomes a case in the committee's list (申请), as an online application
    arrives, with the dispatch on its timeline; its director accepts or declines it as any
    other. The dispatcher reads it through their scope and never edits it."""
    _office_staff(user, entry)
    _ensure_open(entry)
    committee = next((c for c in access.dispatch_committees(user) if c.id == committee_id), None)
    if committee is None:
        raise WorkflowError(
            "请从列表中选择本单位管辖范围内的人民调解委员会。", status=400, field="committee_id"
        )
    today = local_today()
    if due_on is None:
        raise WorkflowError("请填写办理期限。", status=400, field="due_on")
    if due_on <= today:
        raise WorkflowError("办理期限应晚于今天。", status=400, field="due_on")
    case = new_case(
        user, committee, case_fields(entry), [case_party(p) for p in entry.parties],
        referral(entry, today, due_on),
    )  # fmt: skip
    entry.case_id = case.id
    entry.committee_id = committee.id
    entry.dispatched_by_id = user.id
    entry.dispatched_on = today
    entry.instructions = (instructions or "").strip()
    entry.due_on = due_on
    _saved(entry)
    details = {
        "交办单位": user.org.name,
        "交办人": user.name,
        "承办调委会": committee.name,
        "办理期限": due_on.isoformat(),
        "窗口登记": entry.number,
    }
    record_event(case, user, EventKind.DISPATCHED, reason=entry.instructions, details=details)
    record_desk_event(
        entry, user, DeskAction.DISPATCHED, reason=entry.instructions,
        details={**details, "案号": case.number},
    )  # fmt: skip
    db.session.commit()
    return case


def send_outside(entry: DeskEntry, user: User, body: str, on: date | None, how: str) -> DeskEntry:
    """The dispute went to a body outside the system (a court, the police, a department)."""
    _office_staff(user, entry)
    _ensure_open(entry)
    body = (body or "").strip()
    if not body:
        raise WorkflowError("请填写接收的机关或单位名称。", status=400, field="body")
    if on is None:
        raise WorkflowError("请填写转办日期。", status=400, field="on")
    if on > local_today() or on < entry.registered_on:
        raise WorkflowError("转办日期应在登记日期和今天之间。", status=400, field="on")
    if how not in OUTSIDE_MANNERS:
        raise WorkflowError("请选择转办方式。", status=400, field="how")
    entry.outside_body, entry.outside_on, entry.outside_how = body, on, how
    _saved(entry)
    record_desk_event(
        entry, user, DeskAction.SENT_OUTSIDE,
        details={"接收机关": body, "转办日期": on.isoformat(), "方式": how},
    )  # fmt: skip
    db.session.commit()
    return entry


def record_outside_answer(entry: DeskEntry, user: User, on: date | None, text: str) -> DeskEntry:
    """That body's answer: what it did with the dispute."""
    _office_staff(user, entry)
    if not entry.is_outside:
        raise WorkflowError("这条登记没有转其他机关办理。")
    if entry.outside_answer_on is not None:
        raise WorkflowError(f"已登记{entry.outside_body}的答复，不能重复登记。")
    text = (text or "").strip()
    if on is None:
        raise WorkflowError("请填写答复日期。", status=400, field="on")
    if on > local_today() or (entry.outside_on and on < entry.outside_on):
        raise WorkflowError("答复日期应在转办日期和今天之间。", status=400, field="on")
    if not text:
        raise WorkflowError("请填写答复内容。", status=400, field="text")
    entry.outside_answer_on, entry.outside_answer = on, text
    _saved(entry)
    record_desk_event(
        entry, user, DeskAction.OUTSIDE_ANSWERED, reason=text,
        details={"答复机关": entry.outside_body, "答复日期": on.isoformat()},
    )  # fmt: skip
    db.session.commit()
    return entry


def may_remind(user: User, entry: DeskEntry) -> bool:
    return (
        access.can_use_desk(user)
        and entry.office_id == user.org_id
        and entry.case is not None
        and entry.case.status in workflow.WORKING
    )


def remind(entry: DeskEntry, user: User, message: str) -> list[Reminder]:
    """催办 from the window to the committee: the same reminders a director sends, to the
    committee's director and the case's mediators, shown in their 我的待办 until read."""
    _office_staff(user, entry)
    if entry.case is None:
        raise WorkflowError("只有已交办调委会的纠纷可以催办。")
    case = entry.case
    workflow.ensure_working(case, "催办")
    message = (message or "").strip()
    if not message:
        raise WorkflowError("请填写催办内容。", status=400, field="message")
    directors = db.session.scalars(
        select(User).where(
            User.org_id == case.committee_id, User.role == Role.DIRECTOR, User.active.is_(True)
        )
    ).all()
    recipients = {u.id: u for u in [*directors, *(m.user for m in case.active_mediators)]}
    if not recipients:
        raise WorkflowError(f"{case.committee.name}暂无可接收催办的主任或调解员，请电话联系。")
    sent = [
        Reminder(case_id=case.id, from_id=user.id, to_id=uid, message=message) for uid in recipients
    ]
    db.session.add_all(sent)
    names = "、".join(u.name for u in recipients.values())
    record_event(
        case, user, EventKind.REMINDER, reason=message,
        details={"催办对象": names, "催办单位": user.org.name},
    )  # fmt: skip
    record_desk_event(entry, user, DeskAction.REMINDED, reason=message, details={"催办对象": names})
    db.session.commit()
    return sent


# --- The outcome and the one reply (并口回复) ----------------------------------------------


def outcome_of(entry: DeskEntry) -> str:
    """What became of the dispute, in words the source can be told; empty while open."""
    case = entry.case
    if case is not None:
        committee = case.committee.name
        if case.status == CaseStatus.REJECTED:
            event = case.last_event("reject")
            reason = event.reason if event else ""
            route = (event.details or {}).get("route", "") if event else ""
            text = f"经{committee}审查，该纠纷不予受理。"
            text += f"理由：{reason}" if reason else ""
            text += f"建议您通过以下途径解决：{route}" if route else ""
            return text
        if case.status == CaseStatus.WITHDRAWN:
            return f"{committee}受理后，当事人撤回了调解申请。"
        if case.status == CaseStatus.TERMINATED:
            event = case.last_event("terminate")
            reason = f"（{event.reason}）" if event and event.reason else ""
            return (
                f"经{committee}调解，双方未能达成协议，调解已终止{reason}。当事人可以依法"
                "通过仲裁、行政、司法等途径维护自己的权利。"
            )
        if case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED):
            agreement = case.agreement
            if agreement is not None:
                return (
                    f"经{committee}调解，双方当事人于{_cn(agreement.reached_on)}达成"
                    f"{agreement.kind.label}，现已结案。"
                )
            return f"{committee}已办结该纠纷。"
        return ""
    if entry.outside_answer_on is not None:
        return f"{entry.outside_body}于{_cn(entry.outside_answer_on)}答复：{entry.outside_answer}"
    return ""


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def reply_draft(entry: DeskEntry) -> str:
    """The reply's text, prefilled from the outcome; the dispatcher edits it before saving."""
    return outcome_of(entry)


def record_reply(entry: DeskEntry, user: User, on: date | None, how: str, text: str) -> DeskEntry:
    """并口回复: the one reply to whoever brought the dispute, once it has ended (the case
    ended, or the outside body answered)."""
    _office_staff(user, entry)
    if entry.is_replied:
        raise WorkflowError(f"已于{_cn(entry.replied_on)}答复来源，不能重复答复。")
    if not entry.has_ended:
        if not entry.is_handed_on:
            raise WorkflowError("请先交办或转其他机关办理，办结后再答复来源。")
        raise WorkflowError("纠纷尚未办结（或其他机关尚未答复），办结后再答复来源。")
    text = (text or "").strip()
    if on is None:
        raise WorkflowError("请填写答复日期。", status=400, field="on")
    if on > local_today() or on < entry.registered_on:
        raise WorkflowError("答复日期应在登记日期和今天之间。", status=400, field="on")
    if how not in REPLY_MANNERS:
        raise WorkflowError("请选择答复方式。", status=400, field="how")
    if not text:
        raise WorkflowError("请填写答复内容。", status=400, field="text")
    entry.replied_on, entry.reply_how, entry.reply_text = on, how, text
    entry.replied_by_id = user.id
    _saved(entry)
    details = {"答复对象": entry.source_name, "答复日期": on.isoformat(), "方式": how}
    if entry.case is not None:
        record_event(entry.case, user, EventKind.DESK_REPLY, reason=text, details=details)
    record_desk_event(entry, user, DeskAction.REPLIED, reason=text, details=details)
    db.session.commit()
    return entry


def reply_documents(entry: DeskEntry) -> list[GeneratedDocument]:
    """The stored PDF versions of a dispatched entry's 答复书 (documents pipeline), newest
    first."""
    if entry.case is None:
        return []
    found = documents_of(entry.case)
    return [d for d in found if d.kind == DocumentKind.DISPATCH_REPLY]


# --- The window's list (我交办的) ----------------------------------------------------------

FILTERS = {
    "": "全部",
    "waiting": "待交办",
    "open": "办理中",
    "overdue": "已超期",
    "reply": "待答复来源",
    "done": "已答复",
}


@dataclass
class DeskList:
    entries: list[DeskEntry]
    counts: dict[str, int]


def _matches(entry: DeskEntry, which: str) -> bool:
    if which == "waiting":
        return not entry.is_handed_on
    if which == "open":
        return entry.is_handed_on and not entry.has_ended
    if which == "overdue":
        return entry.is_overdue
    if which == "reply":
        return entry.reply_due
    if which == "done":
        return entry.is_replied
    return True


def desk_list(user: User, which: str = "") -> DeskList:
    """The office's entries, newest first, with how many fall under each filter. A window
    registers tens a month, so the entries are read once and filtered here."""
    _office_staff(user)
    query = (
        access.desk_entries_visible_to(user)
        .options(selectinload(DeskEntry.case), selectinload(DeskEntry.committee))
        .order_by(DeskEntry.registered_on.desc(), DeskEntry.id.desc())
    )
    every = list(db.session.scalars(query))
    counts = {key: sum(1 for e in every if _matches(e, key)) for key in FILTERS}
    which = which if which in FILTERS else ""
    return DeskList([e for e in every if _matches(e, which)], counts)
