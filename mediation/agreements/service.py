"""Use cases from agreement to archive: reaching the agreement (Art. 28-30), its taking
effect, follow-up visits (Art. 31), court confirmation (Art. 33), deadlines and reminders
(rule 11), and corrections after archiving (rule 12)."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from mediation import access, workflow
from mediation.audit.service import record_event
from mediation.documents.service import file_case, link_signed_agreement
from mediation.extensions import db
from mediation.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementTerm,
    AttachmentKind,
    Case,
    CaseStatus,
    ConfirmationResult,
    CourtConfirmation,
    EventKind,
    FollowUp,
    Performance,
    Reminder,
    Role,
    TermPerformance,
    User,
)
from mediation.models.base import local_today, utcnow
from mediation.models.case import DUE_SOON_DAYS, OPEN_STATUSES
from mediation.oversight.service import returned_to
from mediation.records.attachments import store_attachment
from mediation.referrals import service as referrals
from mediation.warning import service as warning
from mediation.workflow import WorkflowError


def _director_only(case: Case, user: User, what: str) -> None:
    if not access.may(user, case, access.DIRECTOR):
        raise WorkflowError(f"只有本调委会主任可以{what}。", status=403)


def _check_terms(terms: list[dict[str, Any]], reached_on: date, written: bool) -> None:
    if written and not terms:
        raise WorkflowError("书面协议须至少写明一项协议内容。", status=400, field="terms")
    for n, term in enumerate(terms, start=1):
        for key, label in (("obligor", "义务人"), ("obligee", "权利人"), ("content", "内容"),
                           ("manner", "履行方式"), ("deadline", "履行期限")):  # fmt: skip
            if not term.get(key):
                raise WorkflowError(f"第{n}项协议请填写{label}。", status=400, field="terms")
        if term["deadline"] < reached_on:
            raise WorkflowError(f"第{n}项协议的履行期限早于协议日期。", status=400, field="terms")
        amount = term.get("amount")
        if amount is not None and amount < 0:
            raise WorkflowError(f"第{n}项协议的金额不能为负数。", status=400, field="terms")


def reach_agreement(
    case: Case, user: User, kind: AgreementKind, fields: dict[str, Any],
    terms: list[dict[str, Any]],
) -> Agreement:  # fmt: skip
    """达成协议. Written: facts, points in dispute, responsibility and terms (Art. 29), in
    force once signed and sealed. Oral: the content as the mediator records it, in force the
    day it is reached (Art. 28, 30)."""
    workflow.hold(case)
    workflow.ensure_handler(case, user, "填写调解协议")
    reached_on = local_today()
    written = kind == AgreementKind.WRITTEN
    if written:
        for key, label in (("facts", "纠纷的主要事实"), ("disputed_points", "争议事项"),
                           ("responsibility", "各方当事人的责任")):  # fmt: skip
            if not (fields.get(key) or "").strip():
                raise WorkflowError(f"请填写{label}。", status=400, field=key)
    elif not (fields.get("oral_content") or "").strip():
        raise WorkflowError("口头协议请记录协议的内容。", status=400, field="oral_content")
    _check_terms(terms, reached_on, written)
    previous = case.agreement
    agreement = Agreement(
        case_id=case.id,
        kind=kind, reached_on=reached_on, created_by_id=user.id,
        status=AgreementStatus.AWAITING_SIGNATURE if written else AgreementStatus.EFFECTIVE,
        effective_on=None if written else reached_on,
        facts=(fields.get("facts") or "").strip(),
        disputed_points=(fields.get("disputed_points") or "").strip(),
        responsibility=(fields.get("responsibility") or "").strip(),
        oral_content=(fields.get("oral_content") or "").strip(),
        agents=(fields.get("agents") or "").strip(),
        terms=[AgreementTerm(position=n, **t) for n, t in enumerate(terms)],
    )  # fmt: skip
    case.agreements.append(agreement)
    before = case.status
    try:
        workflow.fire(case, user, "reach_agreement")
    except WorkflowError:
        # Taking it off the case drops it from the session too (delete-orphan), which an
        # expunge here used to trip over: every refusal ended in a 500.
        case.agreements.remove(agreement)
        if agreement in db.session:
            db.session.expunge(agreement)
        raise
    if previous is not None:  # mediation reopened and a new agreement replaces the old one
        previous.status = AgreementStatus.SUPERSEDED
    db.session.flush()
    record_event(case, user, EventKind.AGREEMENT,
                 details={"协议形式": kind.label, "协议条款": len(terms)})  # fmt: skip
    record_event(case, user, EventKind.TRANSITION, action="reach_agreement",
                 from_status=before, to_status=case.status)  # fmt: skip
    db.session.commit()
    return agreement


def confirm_signed(
    case: Case, user: User, agreement: Agreement, upload: FileStorage | None, checked: bool
) -> Agreement:
    """A written agreement takes effect when every party has signed, sealed or put a
    fingerprint on it, the mediator has signed and the committee's seal is on it (Art. 29):
    the scan of that copy is uploaded and the mediator confirms having checked it."""
    workflow.ensure_handler(case, user, "确认协议生效")
    if agreement.case_id != case.id or agreement.kind != AgreementKind.WRITTEN:
        raise WorkflowError("只有书面协议需要上传签字盖章件。", status=400)
    if agreement.status != AgreementStatus.AWAITING_SIGNATURE:
        raise WorkflowError(f"该协议当前为“{agreement.status.label}”，无需再次确认。")
    workflow.has_active_mediator(case, {})
    if not checked:
        raise WorkflowError(
            "请核对并勾选：各方当事人均已签名、盖章或按指印，调解员已签名，已加盖调委会印章。",
            status=400, field="checked",
        )  # fmt: skip
    scan = store_attachment(case, user, upload, AttachmentKind.SIGNED_AGREEMENT, commit=False,
                            agreement_id=agreement.id)  # fmt: skip
    link_signed_agreement(case, agreement.id, scan)
    agreement.status = AgreementStatus.EFFECTIVE
    agreement.effective_on = local_today()
    agreement.confirmed_by_id = user.id
    case.updated_at = utcnow()
    db.session.flush()
    record_event(case, user, EventKind.AGREEMENT_EFFECTIVE,
                 details={"生效日期": agreement.effective_on.isoformat()})  # fmt: skip
    db.session.commit()
    return agreement


def record_follow_up(
    case: Case, user: User, fields: dict[str, Any], performances: dict[int, tuple[Performance, str]]
) -> FollowUp:
    """回访: for every term, whether it was performed; the parties' satisfaction and views."""
    workflow.hold(case)
    workflow.ensure_handler(case, user, "填写回访记录")
    agreement = case.agreement
    if case.status not in workflow.AFTER_AGREEMENT:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能回访。")
    if not may_follow_up(case):
        raise WorkflowError("调解协议生效后才能回访。")
    if fields["visited_on"] > local_today():
        raise WorkflowError("回访日期不能晚于今天。", status=400, field="visited_on")
    missing = [n for n, t in enumerate(agreement.terms, 1) if t.id not in performances]
    if missing:
        raise WorkflowError(f"请填写第{missing[0]}项协议的履行情况。", status=400, field="terms")
    visit = FollowUp(
        case_id=case.id,
        agreement_id=agreement.id, visitor_id=user.id, visited_on=fields["visited_on"],
        visited=fields["visited"].strip(), satisfaction=fields["satisfaction"],
        opinions=(fields.get("opinions") or "").strip(),
        reason=(fields.get("reason") or "").strip(),
        risks=(fields.get("risks") or "").strip(),
        measures=(fields.get("measures") or "").strip(),
        performances=[TermPerformance(term_id=t.id, status=performances[t.id][0],
                                      note=performances[t.id][1]) for t in agreement.terms],
    )  # fmt: skip
    db.session.add(visit)
    case.follow_ups.append(visit)
    before = case.status
    if case.status == CaseStatus.AGREED:
        workflow.fire(case, user, "follow_up")
    case.updated_at = utcnow()
    db.session.flush()
    summary = {f"第{n}项": performances[t.id][0].label for n, t in enumerate(agreement.terms, 1)}
    record_event(case, user, EventKind.FOLLOW_UP,
                 details={**summary, "满意度": visit.satisfaction.label})  # fmt: skip
    if before != case.status:
        record_event(case, user, EventKind.TRANSITION, action="follow_up",
                     from_status=before, to_status=case.status)  # fmt: skip
    db.session.commit()
    return visit


def may_follow_up(case: Case) -> bool:
    """Performance is followed up once the agreement has taken effect (rule 9)."""
    agreement = case.agreement
    return (
        case.status in workflow.AFTER_AGREEMENT and agreement is not None
        and agreement.is_effective
    )  # fmt: skip


def may_refer_to_court(case: Case) -> bool:
    """Once the latest visit found a term of the current agreement not fully performed."""
    visit = case.latest_follow_up
    return visit is not None and not visit.all_performed


def may_apply_for_confirmation(case: Case) -> bool:
    """Once per agreement, after it has taken effect; for written agreements only (rule 16:
    the court confirms the 调解协议书 the parties signed, Art. 33)."""
    agreement = case.agreement
    return (
        agreement is not None and agreement.is_effective
        and agreement.kind == AgreementKind.WRITTEN
        and not any(c.agreement_id == agreement.id for c in case.confirmations)
    )  # fmt: skip


def refer_to_court(case: Case, user: User, note: str) -> None:
    """A term not performed, or a new dispute over the agreement: the parties are guided to
    sue in court (Art. 32). Recorded; the case itself goes on to closing."""
    workflow.ensure_handler(case, user, "记录引导诉讼")
    if not may_refer_to_court(case):
        raise WorkflowError("最近一次回访发现协议有未履行的内容时，才引导当事人向人民法院起诉。")
    if not (note or "").strip():
        raise WorkflowError("请填写告知当事人的内容。", status=400, field="note")
    record_event(case, user, EventKind.COURT_REFERRAL, reason=note.strip())
    db.session.commit()


def inform_remedies(case: Case, user: User, text: str) -> None:
    """Rule 18: a term not performed, and the committee neither reopens mediation nor guides
    the parties to court: the parties are told in writing what remedies they have (Art. 32,
    33). Recorded; with it the case may be closed."""
    workflow.ensure_handler(case, user, "记录告知救济途径")
    if not may_refer_to_court(case):
        raise WorkflowError("最近一次回访发现协议有未履行的内容时，才需要告知当事人救济途径。")
    text = (text or "").strip()
    if not text:
        raise WorkflowError("请填写告知当事人的救济途径。", status=400, field="note")
    record_event(case, user, EventKind.REMEDIES_INFORMED, reason=text)
    db.session.commit()


def apply_for_confirmation(
    case: Case, user: User, applied_on: date, court: str
) -> CourtConfirmation:
    """司法确认: both parties apply jointly within 30 days of the agreement taking effect."""
    workflow.ensure_handler(case, user, "登记司法确认申请")
    agreement = case.agreement
    if agreement is None or not agreement.is_effective:
        raise WorkflowError("调解协议生效后才能申请司法确认。")
    if agreement.kind != AgreementKind.WRITTEN:
        raise WorkflowError(
            "口头协议不能申请司法确认：司法确认的对象是经各方签名、盖章的书面调解协议"
            "（《人民调解法》第三十三条）。如需司法确认，请先与当事人制作书面调解协议。"
        )
    if not may_apply_for_confirmation(case):
        raise WorkflowError("本协议已登记司法确认申请。")
    if applied_on < agreement.effective_on:
        raise WorkflowError("申请日期不能早于协议生效日期。", status=400, field="applied_on")
    if applied_on > agreement.confirmation_deadline:
        raise WorkflowError(
            f"已超过申请期限：协议自{agreement.effective_on:%Y年%m月%d日}生效，"
            f"应在{agreement.confirmation_deadline:%Y年%m月%d日}前共同申请（《人民调解法》第三十三条）。",
            status=400, field="applied_on",
        )  # fmt: skip
    if applied_on > local_today():
        raise WorkflowError("申请日期不能晚于今天。", status=400, field="applied_on")
    if not court.strip():
        raise WorkflowError("请填写受理申请的人民法院。", status=400, field="court")
    confirmation = CourtConfirmation(
        case_id=case.id,
        agreement_id=agreement.id, applied_on=applied_on, court=court.strip(),
        result=ConfirmationResult.PENDING, recorded_by_id=user.id,
    )  # fmt: skip
    db.session.add(confirmation)
    case.confirmations.append(confirmation)
    db.session.flush()
    details = {"法院": confirmation.court, "申请日期": applied_on.isoformat()}
    record_event(case, user, EventKind.CONFIRMATION, details=details)
    db.session.commit()
    return confirmation


def record_confirmation_result(
    case: Case, user: User, confirmation: CourtConfirmation, version: int,
    result: ConfirmationResult, decided_on: date, reference: str,
) -> CourtConfirmation:  # fmt: skip
    workflow.ensure_handler(case, user, "登记司法确认结果")
    if confirmation.case_id != case.id:
        raise WorkflowError("没有这条司法确认记录。", status=404)
    if confirmation.version != version:
        raise WorkflowError("这条记录已被他人更新，请刷新后再登记。")
    if result == ConfirmationResult.PENDING:
        raise WorkflowError("请选择法院的裁定结果。", status=400, field="result")
    if decided_on < confirmation.applied_on or decided_on > local_today():
        raise WorkflowError("裁定日期应在申请日期与今天之间。", status=400, field="decided_on")
    confirmation.result = result
    confirmation.decided_on = decided_on
    confirmation.reference = reference.strip()
    db.session.flush()
    record_event(case, user, EventKind.CONFIRMATION,
                 details={"裁定": result.label, "文号": confirmation.reference})  # fmt: skip
    db.session.commit()
    return confirmation


# How the parties may agree to an extension; the form offers these.
CONSENT_MANNERS = ("书面同意", "口头同意（已记入调解记录）", "电话确认")


def extend_deadline(
    case: Case,
    user: User,
    days: int,
    reason: str,
    consenting: list[int] | None = None,
    manner: str = "",
) -> Case:
    """Rule 11: the director may extend a case's deadline once, with a reason and the
    consent of every party (mediation is voluntary, Art. 17, 23): who agreed and how is
    recorded with the extension."""
    _director_only(case, user, "延长办理期限")
    if case.status not in OPEN_STATUSES or case.deadline is None:
        raise WorkflowError("只有已受理、调解中的案件可以延长办理期限。")
    if case.extension_reason:
        raise WorkflowError("本案已延长过一次办理期限，不能再次延长。")
    if not 1 <= days <= 30:
        raise WorkflowError("延长天数应在1到30天之间。", status=400, field="days")
    if not reason.strip():
        raise WorkflowError("请填写延长期限的理由。", status=400, field="reason")
    agreed = set(consenting or ())
    missing = [p.name for p in case.parties if p.id not in agreed]
    if missing:
        raise WorkflowError(
            f"延长调解期限须经各方当事人同意，{'、'.join(missing)}尚未同意"
            "（《人民调解法》第十七条、第二十三条）。当事人不同意延长的，请按期结束调解。",
            status=400,
            field="consenting",
        )
    if manner not in CONSENT_MANNERS:
        raise WorkflowError("请选择当事人同意延长的方式。", status=400, field="manner")
    old = case.deadline
    case.deadline = old + timedelta(days=days)
    case.extension_reason = reason.strip()
    names = "、".join(p.name for p in case.parties)
    case.extension_consent = f"{names}（{manner}）"
    db.session.flush()
    details = {
        "原期限": old.isoformat(),
        "新期限": case.deadline.isoformat(),
        "同意的当事人": names,
        "同意方式": manner,
    }
    record_event(case, user, EventKind.EXTENSION, reason=reason.strip(), details=details)
    db.session.commit()
    return case


def send_reminder(case: Case, user: User, message: str) -> list[Reminder]:
    """催办: the director presses the case's mediators; they see it until they read it."""
    _director_only(case, user, "催办")
    workflow.ensure_working(case, "催办")
    if not message.strip():
        raise WorkflowError("请填写催办内容。", status=400, field="message")
    mediators = [m.user for m in case.active_mediators if m.user_id != user.id]
    if not mediators:
        raise WorkflowError("本案尚无其他调解员可以催办，请先指派调解员。")
    sent = [Reminder(case_id=case.id, from_id=user.id, to_id=m.id, message=message.strip())
            for m in mediators]  # fmt: skip
    db.session.add_all(sent)
    record_event(case, user, EventKind.REMINDER, reason=message.strip(),
                 details={"催办对象": "、".join(m.name for m in mediators)})  # fmt: skip
    db.session.commit()
    return sent


def mark_reminder_read(reminder: Reminder, user: User) -> None:
    if reminder.to_id != user.id:
        raise WorkflowError("这条催办不是发给您的。", status=403)
    reminder.read_at = reminder.read_at or utcnow()
    db.session.commit()


def add_addendum(case: Case, user: User, text: str) -> None:
    """Rule 12: after archiving nothing is edited; a correction is a new entry on the
    timeline, signed by its author and chained into the tamper-evident hash chain."""
    if case.status != CaseStatus.ARCHIVED:
        raise WorkflowError("补充说明用于归档后的更正；未归档的案件请直接修改相应记录。")
    if not access.may(user, case, access.HANDLER):  # the director is a handler too
        raise WorkflowError("只有本案调解员或调委会主任可以添加补充说明。", status=403)
    if not text.strip():
        raise WorkflowError("请填写补充说明的内容。", status=400, field="text")
    record_event(case, user, EventKind.ADDENDUM, reason=text.strip(),
                 details={"签署人": f"{user.name}（{user.role.label}）"})  # fmt: skip
    db.session.flush()
    file_case(case, user)  # rule 19: a new version of the case file, its 备考表 lists it
    db.session.commit()


# --- 我的待办 -----------------------------------------------------------------------------

# 我的待办 lists an agreement whose court-confirmation window closes within this many days.
CONFIRMATION_REMINDER_DAYS = 7


def todo_for(user: User) -> dict[str, list]:
    """What needs doing now, for a mediator (the cases assigned to them) or a director (the
    committee's cases): overdue and soon-due cases, follow-ups due, court-confirmation
    deadlines, agreements waiting for signature, unread reminders, unanswered 督办, files
    returned by the justice office's review, overdue feedback to referring bodies."""
    if not access.works_cases(user):
        return {}
    # The page shows parties and reads agreements per case: load them with the cases, not
    # one query per row.
    mine = access.cases_worked_by(user).options(
        selectinload(Case.parties), selectinload(Case.agreements),
        selectinload(Case.confirmations),
    )  # fmt: skip
    if user.role == Role.MEDIATOR:
        mine = mine.where(Case.id.in_(access.assigned_case_ids(user)))
    today = local_today()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    open_cases = mine.where(Case.status.in_(OPEN_STATUSES)).order_by(Case.deadline)
    overdue = list(db.session.scalars(mine.where(Case.overdue_on(today)).order_by(Case.deadline)))
    due_soon = list(db.session.scalars(open_cases.where(Case.deadline.between(today, soon))))
    agreed = list(
        db.session.scalars(mine.where(Case.status.in_(workflow.AFTER_AGREEMENT)).order_by(Case.id))
    )
    awaiting, follow_ups, confirmations = [], [], []
    for case in agreed:
        agreement = case.agreement
        if agreement is None:
            continue
        if agreement.status == AgreementStatus.AWAITING_SIGNATURE:
            awaiting.append(case)
            continue
        if case.status == CaseStatus.AGREED:
            follow_ups.append(case)
        deadline = agreement.confirmation_deadline
        closing_in = today + timedelta(days=CONFIRMATION_REMINDER_DAYS)
        if deadline and today <= deadline <= closing_in and may_apply_for_confirmation(case):
            confirmations.append(case)
    # Files the justice office returned for correction (案卷评查) wait for the answer.
    reviews = list(db.session.scalars(returned_to(mine).order_by(Case.id)))
    instructions = warning.open_instructions_for(user)
    reminders = list(db.session.scalars(
        select(Reminder).where(Reminder.to_id == user.id, Reminder.read_at.is_(None))
        .options(selectinload(Reminder.sender)).order_by(Reminder.sent_at.desc())))  # fmt: skip
    return {
        "instructions": instructions, "overdue": overdue, "due_soon": due_soon,
        "follow_ups": follow_ups, "confirmations": confirmations, "awaiting": awaiting,
        "reminders": reminders, "reviews": reviews,
        # Referred cases that ended and whose 反馈函 is past its deadline, not sent.
        "feedback": referrals.overdue_feedback(mine),
    }  # fmt: skip
