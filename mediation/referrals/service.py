"""Use cases of referred cases (诉调/警调/访调对接): the referral registered with the case, the
outcome the committee owes the referring body, the sending of the 反馈函, overdue feedback,
and the list of a body's referrals for the liaison (协调) meetings.

Registration itself is cases.service.register_case (and update_case) with `referral=`: the
case and its referral are created in one transaction, one timeline event. This module holds
what they call (check_referral, apply_referral) and must not import cases or documents (they
import it)."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import selectinload

from mediation import access, workflow
from mediation.audit.service import apply_changes, record_event
from mediation.extensions import db
from mediation.models import (
    Agreement,
    AgreementStatus,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    FeedbackMethod,
    Org,
    Referral,
    Source,
    User,
)
from mediation.models.base import LOCAL_TZ, local_today, utcnow
from mediation.models.referral import FEEDBACK_DAYS, REFERRAL_LABELS, REFERRED_SOURCES
from mediation.workflow import WorkflowError

S = CaseStatus

# The transitions that end a referred case's mediation one way or another; the feedback
# reports the newest (a reopened case ends again). An agreement counts once it is in force.
ENDING_ACTIONS = {
    "reach_agreement": "达成调解协议",
    "terminate": "调解终止",
    "withdraw": "当事人撤回申请",
    "reject": "不予受理",
}
# The states in which the outcome is known and the feedback is owed (with AGREED only once
# the agreement is in force: see feedback_owed).
ENDED_STATUSES = (S.AGREED, S.FOLLOWED_UP, S.CLOSED, S.ARCHIVED, S.TERMINATED, S.WITHDRAWN,
                  S.REJECTED)  # fmt: skip


class DuplicateReferral(WorkflowError):
    """The referring body's reference number is already registered: a repeat is the same
    referral. `case` is the case it was registered as."""

    def __init__(self, message: str, case: Case):
        super().__init__(message, status=409, field="reference_number")
        self.case = case


# --- Registering the referral with the case -------------------------------------------------


def is_referred(source: Source | str | None) -> bool:
    return source in REFERRED_SOURCES


def clean_body_name(text: str | None) -> str:
    """The body's name as stored: spaces gone (城关 人民法院 is 城关人民法院)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def clean_reference_number(text: str | None) -> str:
    """A reference number as stored, so one letter typed twice is found again: spaces gone,
    brackets full-width as courts print them (（2026）苏0102民诉前调123号)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    return text.replace("(", "（").replace(")", "）").replace("[", "〔").replace("]", "〕")


def check_referral(
    user: User, source: Source | None, data: dict[str, Any] | None, registered_on: date,
    case: Case | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The referral of a case of `source` (`case` when it is saved already), cleaned, or
    None when the source is no referral. Called before anything is written. A referred
    source needs the body's name, its reference number and the referral date; the feedback
    deadline is optional (without one, FEEDBACK_DAYS after the case ends). Each refusal names
    its form field: source_detail (the body), reference_number, referred_on, feedback_due; a
    body and number registered on another case is DuplicateReferral."""
    if not is_referred(source):
        return None
    data = data or {}
    body_name = clean_body_name(data.get("body_name"))
    number = clean_reference_number(data.get("reference_number"))
    referred_on, due = data.get("referred_on"), data.get("feedback_due")
    kind = Source(source).label
    if not body_name:
        raise WorkflowError(f"“{kind}”的案件请填写委派、移交单位的名称。", status=400,
                            field="source_detail")  # fmt: skip
    if len(body_name) > 100:
        raise WorkflowError("委派、移交单位的名称不能超过100个字。", status=400,
                            field="source_detail")  # fmt: skip
    if not number:
        raise WorkflowError("请填写委派、移交单位的文号或案号。", status=400,
                            field="reference_number")  # fmt: skip
    if len(number) > 60:
        raise WorkflowError("文号或案号不能超过60个字。", status=400, field="reference_number")
    if referred_on is None:
        raise WorkflowError("请填写委派、移交的日期。", status=400, field="referred_on")
    if referred_on > registered_on:
        raise WorkflowError("委派、移交日期不能晚于登记日期。", status=400, field="referred_on")
    if due is not None and due < referred_on:
        raise WorkflowError("反馈期限不能早于委派、移交日期。", status=400, field="feedback_due")
    _refuse_repeat(user, case, body_name, number)
    return {"body_kind": Source(source), "body_name": body_name, "reference_number": number,
            "referred_on": referred_on, "feedback_due": due}  # fmt: skip


def find_referral(body_name: str, reference_number: str) -> Referral | None:
    """The referral registered under this body and number (as typed; cleaned here)."""
    return db.session.scalar(
        select(Referral).where(
            Referral.body_name == clean_body_name(body_name),
            Referral.reference_number == clean_reference_number(reference_number),
        )
    )


def _refuse_repeat(user: User, case: Case | None, body_name: str, number: str) -> None:
    """A body's number registered on another case is the same referral: refused, naming the
    case when the user may see it (and only then)."""
    found = find_referral(body_name, number)
    if found is None or (case is not None and found.case_id == case.id):
        return
    what = f"{found.body_name}{found.reference_number}"
    if access.in_scope(user, found.case):
        message = f"{what}已登记为案件{found.case.number}，同一委派、移交不能重复登记。"
    else:
        message = f"{what}已由其他人民调解委员会登记，同一委派、移交不能重复登记。"
    raise DuplicateReferral(message, found.case)


def apply_referral(case: Case, data: dict[str, Any] | None) -> dict[str, list]:
    """Make the case's referral what `data` (from check_referral) says, in the caller's
    transaction: created, updated, or removed when the source is no longer a referral. Keeps
    case.source_detail the body's name. Returns the diff for the caller's timeline event."""
    if data is None:
        if case.referral is None:
            return {}
        old = case.referral
        case.referral = None
        return {REFERRAL_LABELS["reference_number"]: [f"{old.body_name}{old.reference_number}", ""]}
    if case.referral is None:
        case.referral = Referral()
    referral = case.referral
    changes = apply_changes(referral, data, REFERRAL_LABELS)
    if referral.body_kind == case.source:  # the kind is the source: its own diff says it
        changes.pop(REFERRAL_LABELS["body_kind"], None)
    case.source_detail = data["body_name"]
    return changes


# --- The outcome the feedback reports -------------------------------------------------------


@dataclass
class Outcome:
    """How a referred case ended, as the 反馈函 states it."""

    action: str  # one of ENDING_ACTIONS
    label: str
    on: date
    reason: str  # the termination's, withdrawal's or rejection's recorded reason
    route: str  # what the parties were told (termination, rejection)
    agreement: Agreement | None


def _ending_event(case: Case) -> CaseEvent | None:
    return next((e for e in reversed(case.events) if e.action in ENDING_ACTIONS), None)


def feedback_owed(case: Case) -> bool:
    """Whether the case has ended, so the referring body is owed the outcome: terminated,
    withdrawn, rejected, or an agreement in force (a written one once signed), closed or
    archived after any of them."""
    if case.referral is None or case.status not in ENDED_STATUSES:
        return False
    agreement = case.agreement
    if agreement is not None and agreement.status == AgreementStatus.AWAITING_SIGNATURE:
        return False
    return _ending_event(case) is not None


def outcome(case: Case) -> Outcome | None:
    """The outcome of a case that has ended (feedback_owed), else None."""
    if not feedback_owed(case):
        return None
    event = _ending_event(case)
    agreement = case.agreement if event.action == "reach_agreement" else None
    on = event.at.astimezone(LOCAL_TZ).date()
    if agreement is not None:
        on = agreement.reached_on
    return Outcome(
        action=event.action, label=ENDING_ACTIONS[event.action], on=on, reason=event.reason,
        route=(event.details or {}).get("route", ""), agreement=agreement,
    )  # fmt: skip


@dataclass
class FeedbackLetter:
    """What the 反馈函 (documents/_feedback.html) states: the referral, the outcome, the
    newest follow-up of an agreement, and whether the agreement's stored PDF is appended
    after the letter (documents.service) or drawn into it from its terms."""

    referral: Referral
    outcome: Outcome
    follow_up: Any = None
    agreement_appended: bool = False

    @property
    def id(self) -> int:
        return self.referral.id


def feedback_letter(case: Case) -> FeedbackLetter | None:
    """The 反馈函's content once the case has ended, else None."""
    found = outcome(case)
    if found is None:
        return None
    follow_up = case.latest_follow_up if found.agreement is not None else None
    return FeedbackLetter(case.referral, found, follow_up)


def ended_at(case: Case) -> datetime | None:
    """When the outcome became final: the newest ending transition, or the agreement taking
    effect after it (a written agreement is in force once signed)."""
    times = [e.at for e in case.events
             if e.action in ENDING_ACTIONS or e.kind == EventKind.AGREEMENT_EFFECTIVE]  # fmt: skip
    return max(times) if times else None


def feedback_deadline(case: Case) -> date | None:
    """The day the feedback is due: the body's deadline, or FEEDBACK_DAYS after the end."""
    referral = case.referral
    if referral is None:
        return None
    if referral.feedback_due is not None:
        return referral.feedback_due
    end = ended_at(case) if feedback_owed(case) else None
    return end.astimezone(LOCAL_TZ).date() + timedelta(days=FEEDBACK_DAYS) if end else None


def feedback_overdue(case: Case, today: date | None = None) -> bool:
    """The case ended, the feedback is not sent, and its deadline has passed."""
    if not feedback_owed(case) or case.referral.feedback_sent:
        return False
    deadline = feedback_deadline(case)
    return deadline is not None and deadline < (today or local_today())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def overdue_condition(today: date) -> ColumnElement[bool]:
    """feedback_overdue as SQL, over cases joined to their referral (for lists and figures)."""
    ended = CaseEvent.action.in_(ENDING_ACTIONS) | (CaseEvent.kind == EventKind.AGREEMENT_EFFECTIVE)
    end = select(func.max(CaseEvent.at)).where(CaseEvent.case_id == Case.id, ended)
    awaiting = exists().where(
        Agreement.case_id == Case.id, Agreement.status == AgreementStatus.AWAITING_SIGNATURE
    )
    cutoff = _start_of(today - timedelta(days=FEEDBACK_DAYS))
    return and_(
        Case.status.in_(ENDED_STATUSES),
        not_(awaiting),
        Referral.feedback_sent_on.is_(None),
        or_(
            Referral.feedback_due < today,
            and_(Referral.feedback_due.is_(None), end.scalar_subquery() < cutoff),
        ),
    )


# --- Recording the sending ------------------------------------------------------------------


def may_record_feedback(user: User, case: Case) -> bool:
    """The case's handlers record the sending, once the outcome is known and until it is."""
    return (
        feedback_owed(case)
        and not case.referral.feedback_sent
        and access.may(user, case, access.HANDLER)
    )


def record_feedback(
    case: Case, user: User, sent_on: date | None, method: FeedbackMethod | None, note: str = ""
) -> Referral:
    """The 反馈函 was sent to the referring body: when and how (邮寄, 当面送达, 电子政务,
    传真, 其他), with a note (e.g. the registered-mail number, who received it). Once only; an
    archived case may still record it, since the sending is no correction of its file."""
    workflow.hold(case)
    referral = case.referral
    if referral is None:
        raise WorkflowError("本案不是委派、移交的案件，无需反馈。", status=404)
    if not access.may(user, case, access.HANDLER):
        raise WorkflowError("只有本案调解员或调委会主任可以登记反馈情况。", status=403)
    if referral.feedback_sent:
        raise WorkflowError(
            f"本案已于{referral.feedback_sent_on.isoformat()}向{referral.body_name}反馈，"
            "不能重复登记。"
        )
    if not feedback_owed(case):
        raise WorkflowError(
            f"案件当前状态为“{case.status.label}”，调解尚未结束（书面协议须签字生效），"
            "结束后再向委派、移交单位反馈。"
        )
    if sent_on is None:
        raise WorkflowError("请填写反馈函的送出日期。", status=400, field="sent_on")
    if sent_on > local_today():
        raise WorkflowError("送出日期不能晚于今天。", status=400, field="sent_on")
    end = ended_at(case)
    if end is not None and sent_on < end.astimezone(LOCAL_TZ).date():
        raise WorkflowError("送出日期不能早于调解结束的日期。", status=400, field="sent_on")
    if method is None:
        raise WorkflowError("请选择送达方式。", status=400, field="method")
    note = note.strip()
    if method == FeedbackMethod.OTHER and not note:
        raise WorkflowError("送达方式为“其他”的，请在备注中说明。", status=400, field="note")
    referral.feedback_sent_on = sent_on
    referral.feedback_method = method
    referral.feedback_note = note
    referral.feedback_by_id = user.id
    case.updated_at = utcnow()
    db.session.flush()
    details = {"反馈单位": referral.body_name, "对方文号": referral.reference_number,
               "送出日期": sent_on.isoformat(), "送达方式": method.label}  # fmt: skip
    record_event(case, user, EventKind.FEEDBACK_SENT, reason=note, details=details)
    db.session.commit()
    return referral


# --- Lists: overdue feedback (我的待办) and a body's referrals (协调会) ---------------------


def overdue_feedback(cases) -> list[Case]:
    """The cases of a case query (already scoped) whose feedback is overdue, oldest first."""
    query = (
        cases.join(Referral, Referral.case_id == Case.id)
        .where(overdue_condition(local_today()))
        .options(selectinload(Case.parties), selectinload(Case.events))
        .order_by(Referral.feedback_due, Case.id)
    )
    return list(db.session.scalars(query))


# Feedback states the list filters on.
FEEDBACK_STATES = {
    "pending": "调解未结束",
    "owed": "待反馈",
    "overdue": "反馈超期",
    "sent": "已反馈",
}


@dataclass
class Filters:
    body: str = ""  # part of the body's name
    kind: Source | None = None
    date_from: date | None = None  # referred on or after
    date_to: date | None = None
    status: CaseStatus | None = None
    feedback: str = ""  # a key of FEEDBACK_STATES


def _feedback_state(state: str, today: date) -> ColumnElement[bool] | None:
    awaiting = exists().where(
        Agreement.case_id == Case.id, Agreement.status == AgreementStatus.AWAITING_SIGNATURE
    )
    ended = and_(Case.status.in_(ENDED_STATUSES), not_(awaiting))
    if state == "pending":
        return not_(ended)
    if state == "owed":
        return and_(ended, Referral.feedback_sent_on.is_(None))
    if state == "overdue":
        return overdue_condition(today)
    if state == "sent":
        return Referral.feedback_sent_on.is_not(None)
    return None


# The most rows the list shows at once (narrow the filters for more).
LIST_LIMIT = 500


def referrals_for(user: User, filters: Filters, limit: int = LIST_LIMIT) -> list[Case]:
    """The referred cases the user may see, filtered (by body, kind, referral period, case
    status, feedback state), by body then date: the list a 协调 meeting goes through."""
    query = access.cases_visible_to(user).join(Referral, Referral.case_id == Case.id)
    if filters.body.strip():
        query = query.where(Referral.body_name.contains(clean_body_name(filters.body),
                                                        autoescape=True))  # fmt: skip
    if filters.kind is not None:
        query = query.where(Referral.body_kind == filters.kind)
    if filters.date_from is not None:
        query = query.where(Referral.referred_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Referral.referred_on <= filters.date_to)
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    state = _feedback_state(filters.feedback, local_today())
    if state is not None:
        query = query.where(state)
    query = query.options(
        selectinload(Case.parties), selectinload(Case.events), selectinload(Case.agreements),
        selectinload(Case.referral),
    ).order_by(Referral.body_name, Referral.referred_on, Case.id).limit(limit)  # fmt: skip
    return list(db.session.scalars(query))


def bodies_for(user: User) -> list[str]:
    """The referring bodies of the cases the user may see (the list's choices)."""
    visible = access.cases_visible_to(user).with_only_columns(Case.id)
    return list(db.session.scalars(
        select(Referral.body_name).where(Referral.case_id.in_(visible)).distinct()
        .order_by(Referral.body_name)
    ))  # fmt: skip


# --- The statistics' figure -----------------------------------------------------------------


@dataclass
class FeedbackCount:
    """Referred cases of a kind of body, for a unit and period (by the referral date)."""

    kind: Source
    referred: int = 0
    ended: int = 0
    sent: int = 0
    overdue: int = 0  # as of the given day


def feedback_counts(unit: Org, first: date, last: date, as_of: date) -> list[FeedbackCount]:
    """Per kind of referring body, the cases referred in the period to committees at or below
    the unit: how many, how many have ended, how many were fed back, how many feedbacks are
    overdue (as of `as_of`). One grouped query."""
    awaiting = exists().where(
        Agreement.case_id == Case.id, Agreement.status == AgreementStatus.AWAITING_SIGNATURE
    )
    ended = and_(Case.status.in_(ENDED_STATUSES), not_(awaiting))
    query = (
        select(
            Referral.body_kind,
            func.count(),
            func.count().filter(ended),
            func.count().filter(Referral.feedback_sent_on.is_not(None)),
            func.count().filter(overdue_condition(as_of)),
        )
        .join(Case, Case.id == Referral.case_id)
        .where(
            Case.committee_id.in_(access.committees_in_unit(unit)),
            Referral.referred_on.between(first, last),
        )
        .group_by(Referral.body_kind)
    )
    found = {row[0]: FeedbackCount(*row) for row in db.session.execute(query)}
    return [found[k] for k in REFERRED_SOURCES if k in found]
