"""Use cases around the mediation itself: mediators' relations to parties and recusals
(rule 4), risk measures and police reports (rule 6), transfers, escalation and joint
acceptance between committees (rule 3), and the director's list of cases needing attention.

Same shape as cases.service: permission via access, ensure_working, one timeline event per
thing that happened, one commit. Refusals are WorkflowError in Chinese, naming their field.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from mediation import access, workflow
from mediation.audit.service import record_event
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    CommitteeKind,
    EventKind,
    JointCommittee,
    MediatorRelation,
    Org,
    OrgKind,
    Party,
    PoliceReport,
    Recusal,
    RecusalDecision,
    RiskLevel,
    RiskMeasure,
    Role,
    Transfer,
    TransferKind,
    TransferStatus,
    User,
)
from mediation.models.base import LOCAL_TZ, local_today, utcnow
from mediation.workflow import WorkflowError

S = CaseStatus

# Cases the director keeps an eye on: still being worked, not yet through follow-up.
ATTENTION_STATUSES = (S.SUBMITTED, S.ACCEPTED, S.MEDIATING, S.AGREED)
# Cases that left mediation without an agreement, until they are closed.
ENDED_STATUSES = (S.TERMINATED, S.WITHDRAWN, S.FOLLOWED_UP)


# --- Who may do what (the templates ask the same functions) -----------------------------------


def is_director_of(user: User, committee_id: int) -> bool:
    return user.role == Role.DIRECTOR and user.org_id == committee_id


def may_request_recusal(user: User, case: Case) -> bool:
    # A party may tell anyone of the committee that a mediator should step aside.
    return access.may(user, case, access.COMMITTEE)


def may_decide_recusal(user: User, case: Case) -> bool:
    # The mediators belong to the case's own committee, so its director decides.
    return access.may(user, case, access.DIRECTOR)


def may_move(user: User, case: Case) -> bool:
    """Transfer, escalate or add a joint committee: the director of the case's committee."""
    return access.may(user, case, access.DIRECTOR)


def may_decide_transfer(user: User, transfer: Transfer) -> bool:
    return transfer.status == TransferStatus.PENDING and is_director_of(
        user, transfer.to_committee_id
    )


def may_see_attention(user: User) -> bool:
    """需要关注的案件 and 待接收的移交 are the committee director's lists."""
    return user.role == Role.DIRECTOR


def pending_transfer(case: Case) -> Transfer | None:
    return next((t for t in case.transfers if t.status == TransferStatus.PENDING), None)


# --- Mediators: relations and recusals (rule 4, Art. 19) --------------------------------------


def _party(case: Case, party_id: int | None) -> Party:
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None:
        raise WorkflowError("请选择本案的当事人。", status=400, field="party_id")
    return party


def _relation_text(relation: str) -> str:
    # "亲属" reads as 有亲属关系; "有利害关系" must not become 有有利害关系关系.
    return relation.removeprefix("有").removesuffix("关系")


def ensure_not_related(case: Case, mediator_id: int) -> None:
    """Rule 4: a mediator related to a party, or one who stepped aside at a party's request,
    may not be assigned to the case. Called by cases.service.assign_mediator."""
    relation = next((r for r in case.relations if r.user_id == mediator_id), None)
    if relation is not None:
        raise WorkflowError(
            f"{relation.user.name}与当事人{relation.party.name}有"
            f"{_relation_text(relation.relation)}关系，依法应当回避，不能指派其为本案调解员。",
            status=400,
            field="mediator_id",
        )
    recused = next(
        (
            r
            for r in case.recusals
            if r.mediator_id == mediator_id and r.decision == RecusalDecision.ACCEPTED
        ),
        None,
    )
    if recused is not None:
        raise WorkflowError(
            f"{recused.mediator.name}已依当事人{recused.party.name}的申请回避，"
            "不能再指派其为本案调解员。",
            status=400,
            field="mediator_id",
        )


def record_relation(
    case: Case, user: User, party_id: int | None, mediator_id: int | None, relation: str
) -> MediatorRelation:
    """Record that a mediator of the committee is related to a party (kin, interest ...)."""
    workflow.ensure_handler(case, user, "登记调解员与当事人的关系")
    party = _party(case, party_id)
    mediator = next((m for m in access.assignable_mediators(case) if m.id == mediator_id), None)
    if mediator is None:
        raise WorkflowError("请选择本调委会的调解员。", status=400, field="mediator_id")
    relation = relation.strip()
    if not relation:
        raise WorkflowError("请填写调解员与当事人的关系。", status=400, field="relation")
    if any(r.user_id == mediator.id and r.party_id == party.id for r in case.relations):
        raise WorkflowError(
            f"已登记过{mediator.name}与{party.name}的关系。", status=400, field="mediator_id"
        )
    row = MediatorRelation(
        party_id=party.id, user=mediator, relation=relation, recorded_by_id=user.id
    )
    case.relations.append(row)
    # Rule 15: a mediator related to a party leaves the case at once (Art. 15, 19).
    removed = _remove_mediator(case, mediator.id)
    db.session.flush()
    details = {"调解员": mediator.name, "当事人": party.name, "关系": relation}
    record_event(case, user, EventKind.RELATION, details=details)
    if removed is not None:
        _record_removal(case, user, mediator.name, f"与当事人{party.name}有关系，依法回避")
    db.session.commit()
    return row


def _remove_mediator(case: Case, mediator_id: int):
    """Take a mediator off the case now; the row stays (removed_at) so history is kept."""
    leaving = next((m for m in case.active_mediators if m.user_id == mediator_id), None)
    if leaving is not None:
        leaving.removed_at = utcnow()
        _pass_lead(case, leaving)
        case.updated_at = utcnow()
    return leaving


def _record_removal(case: Case, user: User, name: str, why: str) -> None:
    details = {"调解员": name, "原因": why}
    if not case.active_mediators:
        details["提示"] = "本案已无在案调解员，须另行指派，指派前不能达成协议"
    record_event(case, user, EventKind.UNASSIGNED, details=details)


# The rule the committee follows on a party's recusal request.
RECUSAL_RULE = (
    "当事人要求调解员回避的，人民调解委员会应当予以调换（《人民调解工作若干规定》第二十六条）"
)


def request_recusal(
    case: Case, user: User, party_id: int | None, mediator_id: int | None, reason: str
) -> Recusal:
    """Rule 15: a party asks that a mediator of the case step aside (回避). The committee must
    replace that mediator, so the request is granted as it is recorded: the mediator leaves
    the case at once and the director assigns another before mediation can end in an
    agreement (workflow.has_active_mediator)."""
    workflow.ensure_working(case, "记录回避申请")
    if not may_request_recusal(user, case):
        raise WorkflowError("只有本调委会的调解员或主任可以记录回避申请。", status=403)
    party = _party(case, party_id)
    on_case = next((m for m in case.active_mediators if m.user_id == mediator_id), None)
    if on_case is None:
        raise WorkflowError("请选择本案现有的调解员。", status=400, field="mediator_id")
    reason = reason.strip()
    if not reason:
        raise WorkflowError("请填写申请回避的理由。", status=400, field="reason")
    now = utcnow()
    recusal = Recusal(
        party_id=party.id,
        mediator=on_case.user,
        reason=reason,
        decision=RecusalDecision.ACCEPTED,
        decision_note=RECUSAL_RULE + "。",
        decided_by_id=user.id,
        decided_at=now,
    )
    case.recusals.append(recusal)
    _remove_mediator(case, on_case.user_id)
    db.session.flush()
    name = on_case.user.name
    record_event(
        case, user, EventKind.RECUSAL, reason=reason,
        details={"申请人": party.name, "被申请回避的调解员": name, "决定": "予以调换"},
    )  # fmt: skip
    _record_removal(case, user, name, f"当事人{party.name}申请回避，予以调换")
    db.session.commit()
    return recusal


def decide_recusal(
    recusal: Recusal, user: User, accepted: bool, note: str, version: int | None
) -> Recusal:
    """The director decides a recusal still pending (recorded before requests were granted
    as they came in). It can only be granted: the committee must replace the mediator, so a
    refusal is refused. Granted: the mediator leaves the case, the row stays (removed_at)."""
    case = db.session.get(Case, recusal.case_id)
    workflow.ensure_working(case, "决定回避申请")
    if not may_decide_recusal(user, case):
        raise WorkflowError("回避申请只能由本调委会主任决定。", status=403)
    if recusal.decision != RecusalDecision.PENDING or recusal.version != version:
        who = recusal.decided_by.name if recusal.decided_by else "其他人"
        raise WorkflowError(
            f"该回避申请已由{who}作出决定（{recusal.decision.label}），您的决定未保存。"
        )
    if not accepted:
        raise WorkflowError(
            f"{RECUSAL_RULE}，不能不同意回避。请同意回避，并另行指派调解员。", status=400
        )
    recusal.decision = RecusalDecision.ACCEPTED
    recusal.decision_note = note.strip()
    recusal.decided_by_id = user.id
    recusal.decided_at = utcnow()
    removed = _remove_mediator(case, recusal.mediator_id)
    _flush_decision("该回避申请")
    name = recusal.mediator.name
    record_event(
        case, user, EventKind.RECUSAL_DECIDED, reason=recusal.decision_note,
        details={"调解员": name, "决定": recusal.decision.label},
    )  # fmt: skip
    if removed is not None:
        _record_removal(case, user, name, "回避")
    db.session.commit()
    return recusal


def _flush_decision(what: str) -> None:
    """Two directors deciding the same request at once: the second one is told, not lost."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(f"{what}刚刚已由其他人作出决定，您的决定未保存。") from None


def _pass_lead(case: Case, leaving) -> None:
    # The leaving row keeps is_lead: the history shows who led the case until then.
    remaining = case.active_mediators
    if leaving.is_lead and remaining:
        remaining[0].is_lead = True


# --- Risk (rule 6, Art. 25) -------------------------------------------------------------------


def record_risk_measure(
    case: Case, user: User, measures: str, risk_level: RiskLevel | None = None
) -> RiskMeasure:
    """Preventive steps taken; the case's risk level may be reassessed at the same time."""
    workflow.ensure_handler(case, user, "记录风险防控措施")
    measures = measures.strip()
    if not measures:
        raise WorkflowError("请填写采取的防控措施。", status=400, field="measures")
    row = RiskMeasure(measures=measures, recorded_by_id=user.id)
    case.risk_measures.append(row)
    details = {}
    if risk_level is not None and risk_level != case.risk_level:
        details["changes"] = {"风险等级": [case.risk_level.label, risk_level.label]}
        case.risk_level = risk_level
        # The risk level is case data: a form opened before this must see it changed.
        case.updated_at = utcnow()
    db.session.flush()
    record_event(case, user, EventKind.RISK, reason=measures, details=details)
    db.session.commit()
    return row


def record_police_report(
    case: Case,
    user: User,
    reported_at: datetime | None,
    reported_to: str,
    reference: str = "",
    note: str = "",
) -> PoliceReport:
    """A dispute that may become a public-order or criminal case was reported to the police."""
    workflow.ensure_handler(case, user, "记录报告公安机关")
    if reported_at is None:
        raise WorkflowError("请填写报告时间。", status=400, field="reported_at")
    if reported_at > utcnow():
        raise WorkflowError("报告时间不能晚于现在。", status=400, field="reported_at")
    reported_to = reported_to.strip()
    if not reported_to:
        raise WorkflowError(
            "请填写接受报告的公安机关（如某某派出所）。", status=400, field="reported_to"
        )
    row = PoliceReport(
        reported_at=reported_at, reported_to=reported_to, reference=reference.strip(),
        note=note.strip(), recorded_by_id=user.id,
    )  # fmt: skip
    case.police_reports.append(row)
    db.session.flush()
    when_local = reported_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    details = {"报告对象": reported_to, "报告时间": when_local}
    if row.reference:
        details["回执/编号"] = row.reference
    record_event(case, user, EventKind.POLICE_REPORT, reason=row.note, details=details)
    db.session.commit()
    return row


def record_risk_reason(case: Case, user: User, reason: str) -> Case:
    """Rule 17 (Art. 25): a high-risk or 可能激化 case for which neither a measure nor a police
    report was needed says why, in writing, before it leaves mediation."""
    workflow.ensure_handler(case, user, "说明无需采取防控措施的理由")
    reason = reason.strip()
    if not reason:
        raise WorkflowError(
            "请填写无需采取防控措施或报告公安机关的理由。", status=400, field="reason"
        )
    case.risk_reason = reason
    case.updated_at = utcnow()
    db.session.flush()
    record_event(case, user, EventKind.RISK_REASON, reason=reason)
    db.session.commit()
    return case


def attention_cases(user: User) -> list[Case]:
    """需要关注: the director's cases that may escalate, are group disputes or carry a high
    risk, the riskiest first: open ones, and (rule 17) closed ones for the follow-up period
    after closing (RISK_FOLLOW_UP_DAYS), since a risky dispute may flare up again."""
    if not may_see_attention(user):
        return []
    riskiest_first = when(
        (Case.risk_level == RiskLevel.HIGH, 0), (Case.risk_level == RiskLevel.MEDIUM, 1), else_=2
    )
    since = local_today() - timedelta(days=current_app.config["RISK_FOLLOW_UP_DAYS"])
    query = (
        access.cases_visible_to(user)
        .where(
            Case.committee_id == user.org_id,
            or_(
                Case.status.in_(ATTENTION_STATUSES),
                and_(Case.status.in_(ENDED_STATUSES), Case.closed_on.is_(None)),
                Case.closed_on >= since,
            ),
            or_(Case.may_escalate, Case.is_group, Case.risk_level == RiskLevel.HIGH),
        )
        .order_by(
            riskiest_first, Case.may_escalate.desc(), Case.is_group.desc(),
            Case.registered_on, Case.id,
        )
        .options(
            selectinload(Case.parties), selectinload(Case.mediators),
            selectinload(Case.risk_measures), selectinload(Case.police_reports),
        )
    )  # fmt: skip
    return list(db.session.scalars(query))


# --- Jurisdiction: transfer, escalation, joint acceptance (rule 3) ---------------------------


def _county_path(org: Org) -> str:
    """The path of the 司法局 at the top of the org's tree: a committee may transfer a case
    to any committee of the same county."""
    return f"/{org.path.strip('/').split('/')[0]}/"


def transfer_targets(case: Case) -> list[Org]:
    """Active committees of the county other than the case's own."""
    return list(
        db.session.scalars(
            select(Org)
            .where(
                Org.kind == OrgKind.COMMITTEE,
                Org.active.is_(True),
                Org.id != case.committee_id,
                Org.path.like(f"{_county_path(case.committee)}%"),
            )
            .order_by(Org.path)
        )
    )


def escalation_targets(case: Case) -> list[Org]:
    """The town (street) committees under the same 司法所 as the case's committee."""
    return list(
        db.session.scalars(
            select(Org)
            .where(
                Org.kind == OrgKind.COMMITTEE,
                Org.committee_kind == CommitteeKind.TOWN,
                Org.active.is_(True),
                Org.id != case.committee_id,
                Org.parent_id == case.committee.parent_id,
            )
            .order_by(Org.id)
        )
    )


def _check_movable(case: Case, what: str) -> None:
    workflow.ensure_working(case, what)
    if case.status not in workflow.BEFORE_AGREEMENT:  # a case moves only before agreement
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能再{what}。")


def request_transfer(
    case: Case, user: User, kind: TransferKind, to_committee_id: int | None, reason: str
) -> Transfer:
    """The director hands the case to another committee, or escalates it to the town's
    committee. It moves only when the receiving director accepts (decide_transfer)."""
    what = "移交" if kind == TransferKind.TRANSFER else "上报"
    _check_movable(case, what)
    if not may_move(user, case):
        raise WorkflowError(f"只有本调委会主任可以{what}案件。", status=403)
    pending = pending_transfer(case)
    if pending is not None:
        raise WorkflowError(
            f"本案已{pending.kind.label}至{pending.to_committee.name}，尚待对方接收，"
            "不能同时再次移交。"
        )
    if kind == TransferKind.ESCALATE:
        targets = escalation_targets(case)
        if not targets:
            raise WorkflowError(
                f"{case.committee.parent.name if case.committee.parent else '本司法所'}"
                "下没有其他乡镇（街道）人民调解委员会，无法上报。如需移交，请选择“移交其他调委会”。",
                status=400,
                field="kind",
            )
        if to_committee_id is None:
            to_committee_id = targets[0].id
    else:
        targets = transfer_targets(case)
    target = next((o for o in targets if o.id == to_committee_id), None)
    if target is None:
        message = (
            "上报只能报至本司法所的乡镇（街道）人民调解委员会。"
            if kind == TransferKind.ESCALATE
            else "请选择接收案件的调委会（本县其他在用的人民调解委员会）。"
        )
        raise WorkflowError(message, status=400, field="to_committee_id")
    reason = reason.strip()
    if not reason:
        raise WorkflowError(f"请填写{what}的理由。", status=400, field="reason")
    transfer = Transfer(
        kind=kind, from_committee_id=case.committee_id, to_committee=target, reason=reason,
        requested_by_id=user.id,
    )  # fmt: skip
    case.transfers.append(transfer)
    db.session.flush()
    record_event(
        case, user, EventKind.TRANSFER, action=kind.value, reason=reason,
        details={"方式": kind.label, "移出": case.committee.name, "接收": target.name},
    )  # fmt: skip
    db.session.commit()
    return transfer


def incoming_transfers(user: User) -> list[tuple[Transfer, Case]]:
    """Transfers waiting for the user's committee to accept them (待接收的移交), each with its
    case; the cases come through the user's scope like every case query."""
    if not may_see_attention(user):
        return []
    visible = access.cases_visible_to(user).subquery()
    shown = aliased(Case, visible)
    rows = db.session.execute(
        select(Transfer, shown)
        .join(visible, visible.c.id == Transfer.case_id)
        .where(Transfer.to_committee_id == user.org_id, Transfer.status == TransferStatus.PENDING)
        .order_by(Transfer.requested_at, Transfer.id)
        .options(
            selectinload(shown.parties),
            selectinload(Transfer.from_committee),
            selectinload(Transfer.requested_by),
        )
    )
    return [tuple(row) for row in rows]


def decide_transfer(
    transfer: Transfer, user: User, accept: bool, note: str, version: int | None
) -> Transfer:
    """The receiving director accepts or declines. Accepted: the case (number unchanged, whole
    history kept) belongs to the receiving committee, and the old committee's mediators leave
    it so the new director assigns their own; scope follows from case.committee_id."""
    case = db.session.get(Case, transfer.case_id)
    workflow.ensure_working(case, "接收移交")
    if not is_director_of(user, transfer.to_committee_id):
        raise WorkflowError("只有接收调委会的主任可以决定是否接收。", status=403)
    if transfer.status != TransferStatus.PENDING or transfer.version != version:
        raise WorkflowError(f"该移交已{transfer.status.label}，您的决定未保存。")
    if accept:
        _check_movable(case, "接收移交")
    note = note.strip()
    if not accept and not note:
        raise WorkflowError("退回移交的，请填写理由。", status=400, field="note")
    now = utcnow()
    transfer.status = TransferStatus.ACCEPTED if accept else TransferStatus.DECLINED
    transfer.decision_note = note
    transfer.decided_by_id = user.id
    transfer.decided_at = now
    leaving = []
    if accept:
        leaving = list(case.active_mediators)
        for m in leaving:
            m.removed_at = now
        case.committee_id = transfer.to_committee_id
        case.updated_at = now
    _flush_decision("该移交")
    record_event(
        case, user, EventKind.TRANSFER_DECIDED, action=transfer.kind.value, reason=note,
        details={"结果": transfer.status.label, "移出": transfer.from_committee.name,
                 "接收": transfer.to_committee.name},
    )  # fmt: skip
    for m in leaving:
        record_event(
            case, user, EventKind.UNASSIGNED, details={"调解员": m.user.name, "原因": "案件移交"}
        )
    db.session.commit()
    return transfer


def joint_targets(case: Case) -> list[Org]:
    """Committees that may accept the case jointly: any other of the county not already in."""
    taken = {j.committee_id for j in case.joint_committees}
    return [o for o in transfer_targets(case) if o.id not in taken]


def add_joint_committee(
    case: Case, user: User, committee_id: int | None, reason: str
) -> JointCommittee:
    """Joint acceptance (共同受理): a second committee works the case too; its members see it
    and count as members of the case (access.is_member)."""
    _check_movable(case, "共同受理")
    if not may_move(user, case):
        raise WorkflowError("只有本调委会主任可以邀请其他调委会共同受理。", status=403)
    target = next((o for o in joint_targets(case) if o.id == committee_id), None)
    if target is None:
        raise WorkflowError(
            "请选择共同受理的调委会（本县其他在用的人民调解委员会，且尚未共同受理本案）。",
            status=400,
            field="committee_id",
        )
    reason = reason.strip()
    if not reason:
        raise WorkflowError("请填写共同受理的理由。", status=400, field="reason")
    row = JointCommittee(committee=target, added_by_id=user.id)
    case.joint_committees.append(row)
    db.session.flush()
    record_event(case, user, EventKind.JOINT, reason=reason, details={"共同受理": target.name})
    db.session.commit()
    return row
