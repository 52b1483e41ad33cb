"""THE case state machine: states, transitions, who may fire them and the guards of the law.

ACTIONS below is the single table of transitions. The `transitions` library runs it; the UI
asks available_actions() what to offer and never repeats a rule. Every refusal is a
WorkflowError carrying the Chinese message the user sees. Nothing here knows about HTTP.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from transitions import Machine, MachineError

from mediation import access
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    EventKind,
    OtherAuthority,
    RecusalDecision,
    RiskLevel,
    Source,
    TransferStatus,
    User,
)
from mediation.models.base import local_today

S = CaseStatus
T = TypeVar("T")


class WorkflowError(Exception):
    """A refusal to change a case. `message` is shown to the user as it is; `field` names the
    form field it belongs next to, when it belongs to one."""

    def __init__(self, message: str, *, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


Guard = Callable[[Case, dict[str, Any]], None]
Effect = Callable[[Case, dict[str, Any]], None]


# --- Guards: each raises WorkflowError when a rule of DOMAIN §2 forbids the transition. ------


def not_held_by_other_authority(case: Case, data: dict[str, Any]) -> None:
    """Rule 2: a dispute that only a specialised authority may handle, or one a court, the
    police or another administrative body has already accepted or decided, is not accepted
    (《人民调解工作若干规定》第二十二条 lists these grounds; Art. 18 of the law is about
    referring disputes to mediation and telling parties of it, not about refusing them)."""
    if case.other_authority != OtherAuthority.NONE:
        raise WorkflowError(
            f"该纠纷“{case.other_authority.label}”，人民调解委员会不得受理"
            "（《人民调解工作若干规定》第二十二条）。"
            "请选择“不予受理”，并告知当事人应当通过的途径。"
        )


def rights_notice_acknowledged(case: Case, data: dict[str, Any]) -> None:
    """Rule 15: before mediation the parties are told their rights and duties (Art. 23;
    《人民调解工作若干规定》第三十条) and choose public or private mediation; the
    acknowledged 权利义务告知书 is on record before the case is accepted."""
    if case.rights_notice_at is None or case.publicity is None:
        raise WorkflowError(
            "受理前须向当事人送达《人民调解权利义务告知书》并经当事人确认，"
            "同时记录当事人选择公开或不公开调解（《人民调解法》第二十三条）。"
            "请先在“受理前告知”中登记。"
        )


def initiative_consented(case: Case, data: dict[str, Any]) -> None:
    """Rule 1 and 15: the committee may mediate on its own initiative, but only if the
    parties do not object (Art. 17; 《人民调解工作若干规定》第二十条): their consent is on
    record before acceptance."""
    if case.source == Source.INITIATIVE and not case.initiative_consent.strip():
        raise WorkflowError(
            "本案为调委会主动调解，须经当事人同意后才能受理"
            "（《人民调解法》第十七条）。请在“受理前告知”中记录当事人同意调解的情况。"
        )


def no_party_refused(case: Case, data: dict[str, Any]) -> None:
    """Rule 1: mediation is voluntary; a party who clearly refuses blocks it (Art. 17)."""
    refused = [p.name for p in case.parties if p.refused_at is not None]
    if refused:
        raise WorkflowError(
            f"当事人{'、'.join(refused)}已明确拒绝调解，不得开始调解（《人民调解法》第十七条）。"
            "请以“调解终止”结束本案，并告知当事人其他解决途径。"
        )


def has_mediator(case: Case, data: dict[str, Any]) -> None:
    """Rule 4: mediation is conducted by mediators the committee appointed or parties chose."""
    if not case.active_mediators:
        raise WorkflowError(
            "本案尚未指派调解员，请先由调委会主任指派调解员（《人民调解法》第十九条）。"
        )


def no_refusal_on_record(case: Case, data: dict[str, Any]) -> None:
    """Rule 14: a party who refused, or asked to end mediation, while it was under way ends
    it: the case goes to 调解终止 with the notice, never to an agreement (Art. 17, 23)."""
    refused = [p.name for p in case.parties if p.refused_at is not None]
    if refused:
        raise WorkflowError(
            f"当事人{'、'.join(refused)}已拒绝调解或要求终止调解，不能达成协议"
            "（《人民调解法》第十七条、第二十三条）。"
            "请以“调解终止”结束本案，并告知当事人可以选择的其他途径。"
        )


def has_active_mediator(case: Case, data: dict[str, Any]) -> None:
    """Rule 16: an agreement is reached and signed before a mediator of the case (Art. 29);
    one who stepped aside or was removed no longer counts, a replacement must be active."""
    if not case.active_mediators:
        raise WorkflowError(
            "本案当前没有在案的调解员（原调解员已回避或退出），不能达成或确认调解协议"
            "（《人民调解法》第十九条、第二十九条）。请先由调委会主任指派新的调解员。"
        )


def risk_duties_done(case: Case, data: dict[str, Any]) -> None:
    """Rule 17: a high-risk or 可能激化 case leaves mediation (agreement, termination,
    withdrawal) only once a prevention measure was taken, the police were told, or a
    written reason says why neither was needed (Art. 25)."""
    risky = case.risk_level == RiskLevel.HIGH or case.may_escalate
    if risky and not (case.risk_measures or case.police_reports or case.risk_reason.strip()):
        raise WorkflowError(
            "本案风险等级为重大或可能激化，结束调解前须记录采取的防控措施、"
            "向公安机关报告的情况，或书面说明无需采取措施的理由（《人民调解法》第二十五条）。"
            "请在“风险防控”中登记。"
        )


def has_session_record(case: Case, data: dict[str, Any]) -> None:
    """Rule 5: no agreement without at least one mediation session on record (Art. 27)."""
    if not case.session_records:
        raise WorkflowError(
            "本案尚无调解记录，不能确认达成协议（《人民调解法》第二十七条）。请先填写调解记录。"
        )


def has_agreement(case: Case, data: dict[str, Any]) -> None:
    """Rule 8: the agreement's content is recorded when it is reached (written or oral)."""
    if case.agreement is None:
        raise WorkflowError("请先填写调解协议的内容。")


def agreement_in_force(case: Case, data: dict[str, Any]) -> None:
    """Rule 9: performance is followed up on an agreement that has taken effect."""
    agreement = case.agreement
    if agreement is None or not agreement.is_effective:
        raise WorkflowError(
            "调解协议尚未生效：书面协议须上传各方签字（盖章、按指印）并加盖调委会印章的扫描件并确认。"
        )
    if not any(f.agreement_id == agreement.id for f in case.follow_ups):
        raise WorkflowError("请先填写回访记录。")


def has_unperformed_term(case: Case, data: dict[str, Any]) -> None:
    """Rule 9: mediation is reopened when the agreement was not (fully) performed."""
    visit = case.latest_follow_up
    if visit and visit.all_performed:
        raise WorkflowError("最近一次回访显示协议已全部履行，无需重新调解。")


def file_complete(case: Case, data: dict[str, Any]) -> None:
    """Rule 12: a case is closed only with the records its outcome needs; say what is missing."""
    missing = missing_for_closing(case)
    if missing:
        listed = "；".join(f"{n}. {m}" for n, m in enumerate(missing, start=1))
        raise WorkflowError(f"结案前还缺少：{listed}。")


def missing_for_closing(case: Case) -> list[str]:
    missing = []
    if case.status == S.FOLLOWED_UP:
        agreement = case.agreement
        if agreement is None or not agreement.is_effective:
            missing.append("已生效的调解协议")
        elif not any(f.agreement_id == agreement.id for f in case.follow_ups):
            missing.append("协议履行情况的回访记录")
        elif not nonperformance_handled(case):
            missing.append(
                "协议未全部履行的处理结果：重新调解、引导当事人向人民法院起诉"
                "（《人民调解法》第三十二条），或书面告知当事人救济途径"
            )
    if case.status in ENDING_ACTIONS:
        names = {
            S.TERMINATED: "调解终止告知（原因和其他途径）",
            S.REJECTED: "不予受理的理由和告知途径",
            S.WITHDRAWN: "撤回申请的记录",
        }
        event = case.last_event(ENDING_ACTIONS[case.status])
        if event is None or not event.reason:
            missing.append(names[case.status])
    return missing + pending_decisions(case)


# What the committee may do about an agreement not (fully) performed (rule 18); reopening is
# the third, and it takes the case back to 调解中.
NONPERFORMANCE_OUTCOMES = (EventKind.COURT_REFERRAL, EventKind.REMEDIES_INFORMED)


def nonperformance_handled(case: Case) -> bool:
    """Rule 18: after a visit found a term not performed, an outcome was recorded since."""
    visit = case.latest_follow_up
    if visit is None or visit.all_performed:
        return True
    return any(e.kind in NONPERFORMANCE_OUTCOMES and e.at >= visit.created_at for e in case.events)


def pending_decisions(case: Case) -> list[str]:
    """Decisions others still owe on the case; they can no longer be made once it has ended
    (ensure_working), so a case does not end or close while one is pending."""
    pending = []
    if any(t.status == TransferStatus.PENDING for t in case.transfers):
        pending.append("待接收的移交须先处理")
    if any(r.decision == RecusalDecision.PENDING for r in case.recusals):
        pending.append("待决定的回避申请须先决定")
    return pending


def nothing_pending(case: Case, data: dict[str, Any]) -> None:
    pending = pending_decisions(case)
    if pending:
        raise WorkflowError(f"{'；'.join(pending)}，之后才能结束本案。")


# The side exits, and the action that leads to each.
ENDING_ACTIONS = {S.TERMINATED: "terminate", S.REJECTED: "reject", S.WITHDRAWN: "withdraw"}
# Records may be added and corrected while the case is being worked, until it closes.
WORKING = (S.SUBMITTED, S.ACCEPTED, S.MEDIATING, S.AGREED, S.FOLLOWED_UP)
# Mediators are appointed and refusals recorded until an agreement is reached.
BEFORE_AGREEMENT = (S.SUBMITTED, S.ACCEPTED, S.MEDIATING)
# The agreement is followed up while the case is in these states.
AFTER_AGREEMENT = (S.AGREED, S.FOLLOWED_UP)
# Mediation sessions happen from the start of mediation on (and again after reopening).
SESSIONS = (S.MEDIATING, *AFTER_AGREEMENT)
# Sessions are scheduled once the case is accepted and until the mediation ends.
SCHEDULING = (S.ACCEPTED, S.MEDIATING)


def ensure_working(case: Case, what: str) -> None:
    """Refuse any change to an archived or closed case (rule 12), saying why in Chinese."""
    if case.status == S.ARCHIVED:
        raise WorkflowError(f"本案已归档，不能{what}。如需更正，请在案件页添加“归档后补充说明”。")
    if case.status not in WORKING:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能{what}。")


LOST_RACE = "本案件刚刚已被他人修改，您的操作未执行。请查看案件最新情况后再操作。"


def lock(case: Case) -> None:
    """Take the case for the rest of the transaction, before writing rows that point to it:
    a simultaneous writer of the same case waits here. Taken late (the timeline locks the
    case after an agreement or attachment is inserted), two writers each hold a share of the
    row from their inserts and deadlock on it (PostgreSQL). SQLite has no row locks: a write
    takes the database's write lock until commit, so a no-op write queues writers the same
    way (and ends pysqlite's habit of reading outside the transaction)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(Case.__table__).where(Case.id == case.id).values(version=Case.version)
        )
    else:
        db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())


def hold(case: Case) -> None:
    """lock(), first thing in a use case that decides on the case's state: the case is then
    read afresh under the lock, so the checks that follow see what a simultaneous request
    has just saved, and the write cannot be stale."""
    lock(case)
    db.session.expire(case)


def attempt(do: Callable[[], T], tries: int = 3) -> T:
    """Run a use case. When its write finds that someone saved at the same moment (a stale
    version, or a unique key taken meanwhile), undo it and run it again on the fresh data:
    it then succeeds if the other change did not matter to it, or is refused with the real
    reason ("案件当前状态为…"). Only after the last try: the generic refusal."""
    for _ in range(tries):
        try:
            return do()
        except (StaleDataError, IntegrityError):
            db.session.rollback()
    raise WorkflowError(LOST_RACE)


def may_work_on(user: User, case: Case) -> bool:
    """Whether the user may add to or correct the case's records now: a handler of a case
    still being worked. Templates ask this; services call ensure_handler."""
    return case.status in WORKING and access.may(user, case, access.HANDLER)


def ensure_handler(case: Case, user: User, what: str) -> None:
    """Refuse unless the case is still worked (rule 12) and the user is one of its handlers."""
    ensure_working(case, what)
    if not access.may(user, case, access.HANDLER):
        raise WorkflowError(f"只有本案调解员或调委会主任可以{what}。", status=403)


def ensure_may_schedule(case: Case, user: User) -> None:
    """Rule 4 and 5: a mediation session is held by the case's handlers for a case the
    committee has accepted (Art. 17, 18) and is still mediating; an application not yet
    accepted, or a case whose mediation has ended, has no session to schedule."""
    ensure_handler(case, user, "安排调解")
    if case.status not in SCHEDULING:
        raise WorkflowError(
            f"案件当前状态为“{case.status.label}”，不能安排调解。"
            "受理后、调解结束前才能安排调解的时间和地点。"
        )


# --- Effects: the case fields a transition sets. --------------------------------------------


def start_deadline(case: Case, data: dict[str, Any]) -> None:
    """Rule 11: the case should be concluded within the committee's deadline from acceptance."""
    today = local_today()
    case.accepted_on = today
    case.deadline = today + timedelta(days=case.committee.deadline_days)


def restart_deadline(case: Case, data: dict[str, Any]) -> None:
    """Rule 11 and 18: reopened mediation is a new period, counted from the reopening day."""
    case.deadline = local_today() + timedelta(days=case.committee.deadline_days)


def set_closed_on(case: Case, data: dict[str, Any]) -> None:
    case.closed_on = local_today()


def set_archived_on(case: Case, data: dict[str, Any]) -> None:
    case.archived_on = local_today()


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple[CaseStatus, ...]
    dest: CaseStatus
    who: str  # access.COMMITTEE, access.HANDLER or access.DIRECTOR
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    # Label of the reason field when a reason is required, e.g. 不予受理理由.
    reason: str | None = None
    # Label of the "route open to the parties" field when the parties must be told one.
    route: str | None = None
    # Fired from the case page with just the reason/route form. The others are fired by the
    # service that writes their own record (agreement, follow-up, ...).
    simple: bool = True
    button: str = "primary"  # how the UI draws it: primary, secondary or danger
    help: str = ""


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "accept", "受理", (S.SUBMITTED,), S.ACCEPTED, access.COMMITTEE,
            guards=(not_held_by_other_authority, rights_notice_acknowledged,
                    initiative_consented),
            effects=(start_deadline,),
            help="受理后开始计算办理期限。",
        ),
        Action(
            "reject", "不予受理", (S.SUBMITTED,), S.REJECTED, access.COMMITTEE,
            guards=(nothing_pending,), reason="不予受理的理由", route="告知当事人的解决途径",
            button="danger",
            help="依法应由专门机关处理，或法院、公安、行政机关已受理或处理的纠纷，不予受理"
                 "（《人民调解工作若干规定》第二十二条）。",
        ),
        Action(
            "start_mediation", "开始调解", (S.ACCEPTED,), S.MEDIATING, access.HANDLER,
            guards=(no_party_refused, has_mediator),
        ),
        Action(
            "withdraw", "撤回", (S.SUBMITTED, S.ACCEPTED, S.MEDIATING), S.WITHDRAWN,
            access.HANDLER, guards=(nothing_pending, risk_duties_done),
            reason="撤回的原因（申请人的意思表示）",
            button="secondary",
        ),
        Action(
            "terminate", "调解终止", (S.ACCEPTED, S.MEDIATING), S.TERMINATED, access.HANDLER,
            guards=(nothing_pending, risk_duties_done), reason="终止调解的原因",
            route="告知当事人可以选择的其他途径", button="danger",
            help="调解不成，或当事人拒绝、要求终止调解时使用（《人民调解法》第二十三、二十六条）。",
        ),
        Action(
            "reach_agreement", "达成协议", (S.MEDIATING,), S.AGREED, access.HANDLER,
            guards=(no_refusal_on_record, has_active_mediator, risk_duties_done,
                    has_session_record, has_agreement),
            simple=False,
        ),
        Action(
            "reopen", "重新调解", (S.AGREED, S.FOLLOWED_UP), S.MEDIATING, access.HANDLER,
            guards=(has_unperformed_term,), effects=(restart_deadline,),
            reason="重新调解的原因（未履行的内容、新的争议）",
            button="secondary",
            help="协议未履行或就协议发生新争议时，可以重新调解（《人民调解法》第三十一、三十二条）；"
                 "重新计算办理期限。",
        ),
        Action(
            "follow_up", "回访", (S.AGREED,), S.FOLLOWED_UP, access.HANDLER,
            guards=(agreement_in_force,), simple=False,
        ),
        Action(
            "close", "结案",
            (S.FOLLOWED_UP, S.TERMINATED, S.REJECTED, S.WITHDRAWN), S.CLOSED, access.DIRECTOR,
            guards=(file_complete,), effects=(set_closed_on,),
            help="结案前系统会检查卷宗所需材料是否齐全。",
        ),
        Action(
            "archive", "归档", (S.CLOSED,), S.ARCHIVED, access.DIRECTOR,
            effects=(set_archived_on,), help="归档后本案只读，更正须以补充说明的形式添加。",
        ),
    )
}  # fmt: skip


class _Flow:
    """The object `transitions` drives: its state is the case's status."""

    def __init__(self, case: Case):
        self.case = case

    @property
    def state(self) -> CaseStatus:
        return self.case.status

    @state.setter
    def state(self, value: CaseStatus) -> None:
        if self.case.status != value:
            self.case.status = CaseStatus(value)


def _run_guards(event) -> bool:
    action = ACTIONS[event.event.name]
    for guard in action.guards:
        guard(event.model.case, event.kwargs)
    return True


def _run_effects(event) -> None:
    for effect in ACTIONS[event.event.name].effects:
        effect(event.model.case, event.kwargs)


_TRANSITIONS = [
    {
        "trigger": a.name,
        "source": list(a.sources),
        "dest": a.dest,
        "conditions": [_run_guards],
        "after": [_run_effects],
    }
    for a in ACTIONS.values()
]


def _machine(flow: _Flow) -> Machine:
    return Machine(
        model=flow,
        states=CaseStatus,
        transitions=_TRANSITIONS,
        initial=flow.case.status,
        auto_transitions=False,
        send_event=True,
    )


def get_action(name: str) -> Action:
    try:
        return ACTIONS[name]
    except KeyError:
        raise WorkflowError("没有这个操作。", status=404) from None


def available_actions(case: Case, user: User) -> list[Action]:
    """What the user may try on this case now: right state and right person. Guards are
    checked when the action is fired, so a refusal can say what is missing."""
    return [
        a for a in ACTIONS.values() if case.status in a.sources and access.may(user, case, a.who)
    ]


def check_allowed(case: Case, user: User, action: Action) -> None:
    if not access.may(user, case, action.who):
        raise WorkflowError(f"您无权对本案件执行“{action.label}”。", status=403)
    if case.status not in action.sources:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能执行“{action.label}”。")


def fire(case: Case, user: User, name: str, reason: str = "", route: str = "") -> Action:
    """Run one transition on the case, or raise WorkflowError saying why not."""
    action = get_action(name)
    check_allowed(case, user, action)
    if action.reason and not reason.strip():
        raise WorkflowError(f"请填写{action.reason}。", status=400, field="reason")
    if action.route and not route.strip():
        raise WorkflowError(f"请填写{action.route}。", status=400, field="route")
    flow = _Flow(case)
    _machine(flow)
    try:
        getattr(flow, name)(user=user, reason=reason, route=route)
    except MachineError:  # the state check above makes this a race: someone moved the case
        raise WorkflowError(
            f"案件当前状态为“{case.status.label}”，不能执行“{action.label}”。"
        ) from None
    return action
