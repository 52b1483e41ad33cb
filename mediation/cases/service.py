"""Use cases of a case's intake and life: register, edit, move through the workflow, assign.

Every change goes through here (views, CLI and demo data alike): permission via access,
transition via workflow, one timeline event with what changed, one commit.
"""

from collections.abc import Collection
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from mediation import access, workflow
from mediation.audit.service import apply_changes, events_since, record_event
from mediation.documents.service import file_case
from mediation.extensions import db
from mediation.handling.service import ensure_not_related
from mediation.models import (
    Case,
    CaseEvent,
    CaseMediator,
    CaseNumberCounter,
    CaseStatus,
    EventKind,
    Org,
    Party,
    PartyKind,
    PartyRole,
    Publicity,
    Role,
    Sex,
    Source,
    User,
)
from mediation.models.base import local_today, utcnow
from mediation.models.case import CASE_LABELS
from mediation.models.party import PARTY_LABELS
from mediation.privacy import id_birth_date, id_number_problem, id_sex
from mediation.referrals.service import apply_referral, check_referral
from mediation.workflow import WorkflowError


class ConflictError(WorkflowError):
    """Someone else saved the case since the form was opened. `events` says what they did."""

    def __init__(self, events: list[CaseEvent]):
        who = "、".join(sorted({e.user.name for e in events})) or "其他人"
        super().__init__(
            f"您打开本页后，{who}已修改了本案件，您的保存未生效。"
            "下方列出了对方的修改，您填写的内容都还在，请核对后再保存。"
        )
        self.events = events


def format_case_number(year: int, short_name: str, seq: int) -> str:
    return f"（{year}）{short_name}调字第{seq:04d}号"


def allocate_number(committee: Org, year: int) -> int:
    """Next running number for the committee and year. The counter row is updated in place,
    so concurrent registrations queue on its row lock and numbers are never handed out twice
    or reused, whatever becomes of the case."""
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.committee_id == committee.id, CaseNumberCounter.year == year)
        .values(last=CaseNumberCounter.last + 1)
        .returning(CaseNumberCounter.last)
        .execution_options(synchronize_session=False)
    )
    seq = db.session.execute(bump).scalar()
    if seq is None:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(
            dialect.insert(CaseNumberCounter)
            .values(committee_id=committee.id, year=year, last=0)
            .on_conflict_do_nothing()
        )
        seq = db.session.execute(bump).scalar_one()
    return seq


def _check_parties(parties: list[dict[str, Any]]) -> None:
    roles = {p["role"] for p in parties}
    if PartyRole.APPLICANT not in roles:
        raise WorkflowError("请至少填写一名申请人。", status=400, field="parties")
    if PartyRole.RESPONDENT not in roles:
        raise WorkflowError("请至少填写一名被申请人。", status=400, field="parties")


def _with_id_facts(data: dict[str, Any]) -> dict[str, Any]:
    """Birth date and sex are written in a valid resident ID number: fill them in when the
    person's data leaves them out."""
    id_number = data.get("id_number") or ""
    if data.get("kind") != PartyKind.PERSON or not id_number or id_number_problem(id_number):
        return data
    return {
        **data,
        "birth_date": data.get("birth_date") or id_birth_date(id_number),
        "sex": data.get("sex") or Sex(id_sex(id_number)),
    }


def _party_title(party: Party, index: int) -> str:
    return f"{party.role.label}{party.name or index + 1} "


def _reported_by(user: User, fields: dict[str, Any]) -> dict[str, Any]:
    """A grid worker's report is always a grid report, whatever was posted."""
    return {**fields, "source": Source.GRID_REPORT} if user.role == Role.GRID else fields


def register_case(
    user: User,
    fields: dict[str, Any],
    parties: list[dict[str, Any]],
    referral: dict[str, Any] | None = None,
) -> Case:
    """受理登记: a new case in the user's committee, numbered, waiting to be accepted.

    A case whose `fields["source"]` is a referral (Source.COURT, POLICE, PETITION,
    DEPARTMENT) needs `referral`, registered with it in the same transaction:
    {"body_name": "城关人民法院", "reference_number": "（2026）苏0102民诉前调123号",
    "referred_on": date, "feedback_due": date | None}. The body's name becomes the case's
    source_detail. Refusals are WorkflowError naming the field (source_detail for the body,
    reference_number, referred_on, feedback_due); a body and number already registered is
    referrals.service.DuplicateReferral (409), whose `.case` is the case it was registered
    as: a repeat is the same referral, never a second case. For other sources `referral` is
    ignored."""
    if not access.can_register(user):
        raise WorkflowError("您的账户不能登记案件。", status=403)
    _check_parties(parties)
    committee = user.org
    fields = _reported_by(user, fields)
    registered_on = fields.get("registered_on") or local_today()
    referral = check_referral(user, fields.get("source"), referral, registered_on)
    year = registered_on.year
    seq = allocate_number(committee, year)
    case = Case(
        number=format_case_number(year, committee.short_name, seq),
        year=year,
        seq=seq,
        committee=committee,
        registered_by_id=user.id,
        registered_on=registered_on,
    )
    apply_changes(case, fields, CASE_LABELS)
    for position, data in enumerate(parties):
        party = Party(position=position)
        apply_changes(party, _with_id_facts(data), PARTY_LABELS)
        case.parties.append(party)
    db.session.add(case)
    db.session.flush()
    details = {}
    if referral is not None:
        apply_referral(case, referral)
        db.session.flush()
        details = {"委派/移交单位": referral["body_name"], "对方文号": referral["reference_number"]}
    record_event(case, user, EventKind.CREATED, to_status=case.status, details=details)
    db.session.commit()
    return case


def update_case(
    case: Case,
    user: User,
    version: int,
    fields: dict[str, Any],
    parties: list[dict[str, Any]],
    seen: Collection[int] = (),
    referral: dict[str, Any] | None = None,
) -> Case:
    """Save the intake form. `version` is the case version the form was opened at: if
    someone saved since, nothing is written and ConflictError lists what they changed.
    `seen` are the ids of the parties the form was opened with: a saved party missing from
    `parties` is removed only if the form showed it, so a stale form (a restored draft, a
    page opened before someone added a party) can never remove what it never saw.
    `referral` as for register_case: a referred source needs it; a source that is no longer
    a referral drops the case's referral."""
    workflow.ensure_working(case, "修改登记信息")
    if not access.can_edit(user, case):
        raise WorkflowError("您无权修改本案件。", status=403)
    if case.version != version:
        raise ConflictError(events_since(case, version))
    parties = _with_unseen(case, parties, set(seen))
    _check_parties(parties)
    fields = _reported_by(user, fields)
    source = fields.get("source", case.source)
    registered_on = fields.get("registered_on") or case.registered_on
    referral = check_referral(user, source, referral, registered_on, case)
    changes = apply_changes(case, fields, CASE_LABELS)
    changes.update(apply_referral(case, referral))
    changes.update(_sync_parties(case, parties))
    if not changes:
        return case
    case.updated_at = utcnow()  # a party-only change must still bump the case version
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(case)
        raise ConflictError(events_since(case, version)) from None
    record_event(case, user, EventKind.EDITED, details={"changes": changes})
    db.session.commit()
    return case


def _with_unseen(case: Case, parties: list[dict[str, Any]], seen: set[int]) -> list[dict]:
    """The posted parties, followed by the saved ones the form neither posted nor showed
    (kept as they are saved)."""
    posted = {p["id"] for p in parties if p.get("id")}
    unseen = [p for p in case.parties if p.id not in posted and p.id not in seen]
    return parties + [{"id": p.id, "role": p.role} for p in unseen]


def _sync_parties(case: Case, parties: list[dict[str, Any]]) -> dict:
    """Make the case's parties the posted list: rows with a saved id are updated, rows
    without one added, saved parties not in the list removed."""
    existing = {p.id: p for p in case.parties}
    changes: dict[str, list] = {}
    kept = []
    for position, data in enumerate(parties):
        data = _with_id_facts(data)
        party = existing.pop(data.get("id"), None) if data.get("id") else None
        if party is None:
            party = Party(position=position, case=case)
            apply_changes(party, data, PARTY_LABELS)
            changes[f"新增{party.role.label}"] = ["", party.name]
        else:
            party.position = position
            changes.update(apply_changes(party, data, PARTY_LABELS, _party_title(party, position)))
        kept.append(party)
    for party in existing.values():
        changes[f"删除{party.role.label}"] = [party.name, ""]
    case.parties = kept
    return changes


def apply_action(case: Case, user: User, name: str, reason: str = "", route: str = "") -> Case:
    """Fire one of the workflow's simple actions (accept, reject, start, withdraw, end)."""
    workflow.hold(case)
    action = workflow.get_action(name)
    workflow.check_allowed(case, user, action)
    if not action.simple:
        raise WorkflowError(f"“{action.label}”需要在相应的页面填写记录后进行。", status=400)
    before, deadline = case.status, case.deadline
    workflow.fire(case, user, name, reason=reason, route=route)
    if name == "accept" and user.role == Role.MEDIATOR and not case.active_mediators:
        # The mediator who accepts becomes the lead mediator until the director decides.
        case.mediators.append(CaseMediator(user=user, is_lead=True, assigned_by_id=user.id))
    db.session.flush()
    details: dict[str, Any] = {"route": route} if route else {}
    if before != CaseStatus.SUBMITTED and case.deadline != deadline:  # a new period (reopening)
        old = deadline.isoformat() if deadline else ""
        details["changes"] = {"办理期限": [old, case.deadline.isoformat()]}
    record_event(
        case, user, EventKind.TRANSITION, action=name, from_status=before,
        to_status=case.status, reason=reason, details=details,
    )  # fmt: skip
    if name == "archive":  # rule 19: the archive binds what was issued, stored with it
        file_case(case, user)
    db.session.commit()
    return case


def may_record_rights_notice(user: User, case: Case) -> bool:
    """The acceptance panel: whoever may accept the case records what the parties were told."""
    return case.status == CaseStatus.SUBMITTED and access.may(
        user, case, workflow.ACTIONS["accept"].who
    )


def record_rights_notice(
    case: Case, user: User, acknowledged: bool, publicity: Publicity | None, consent: str = ""
) -> Case:
    """Rule 15 (Art. 23; 《人民调解工作若干规定》第二十九、三十条): before acceptance the
    parties receive and acknowledge the 人民调解权利义务告知书 and choose public or private
    mediation; for 主动调解 their consent to being mediated is recorded (Art. 17)."""
    workflow.ensure_working(case, "登记权利义务告知")
    if not may_record_rights_notice(user, case):
        if case.status != CaseStatus.SUBMITTED:
            raise WorkflowError("权利义务告知在受理前登记；本案已不在待受理状态。")
        raise WorkflowError("您无权为本案登记受理前告知。", status=403)
    if not acknowledged:
        raise WorkflowError(
            "请确认已向各方当事人送达《人民调解权利义务告知书》并经当事人签收确认"
            "（《人民调解法》第二十三条）。",
            status=400,
            field="acknowledged",
        )
    if publicity is None:
        raise WorkflowError(
            "请选择当事人同意的调解方式：公开调解或不公开调解"
            "（《人民调解工作若干规定》第二十九条）。",
            status=400,
            field="publicity",
        )
    consent = consent.strip()
    if case.source == Source.INITIATIVE and not consent:
        raise WorkflowError(
            "主动调解须经当事人同意（《人民调解法》第十七条），请记录哪些当事人以何种方式同意调解。",
            status=400,
            field="consent",
        )
    changes = apply_changes(
        case,
        {"publicity": publicity, "initiative_consent": consent},
        {"publicity": "调解方式", "initiative_consent": "当事人同意主动调解的情况"},
    )
    case.rights_notice_at = utcnow()
    case.rights_notice_by_id = user.id
    case.updated_at = utcnow()
    db.session.flush()
    record_event(
        case,
        user,
        EventKind.RIGHTS_NOTICE,
        details={"changes": changes, "告知书": "当事人已签收确认"},
    )
    db.session.commit()
    return case


def may_record_refusal(user: User, case: Case) -> bool:
    """A party's refusal (rule 1) is recorded by the case's handlers before any agreement."""
    return case.status in workflow.BEFORE_AGREEMENT and access.may(user, case, access.HANDLER)


def may_assign(user: User, case: Case) -> bool:
    """The director appoints mediators until an agreement is reached."""
    return case.status in workflow.BEFORE_AGREEMENT and access.can_assign(user, case)


def record_refusal(case: Case, user: User, party_id: int, note: str) -> Case:
    """Rule 1 and 14: a party clearly refuses mediation, or asks to end it. Recorded; the case
    may then not be mediated nor reach an agreement, it ends with 调解终止 (Art. 17, 23)."""
    workflow.ensure_working(case, "记录拒绝调解")
    if not access.may(user, case, access.HANDLER):
        raise WorkflowError("您无权为本案件记录当事人拒绝调解。", status=403)
    if case.status not in workflow.BEFORE_AGREEMENT:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能再记录拒绝调解。")
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None:
        raise WorkflowError("请选择拒绝调解的当事人。", status=400, field="party_id")
    if not note.strip():
        raise WorkflowError("请填写当事人拒绝调解的情况。", status=400, field="note")
    party.refused_at = utcnow()
    party.refusal_note = note.strip()
    case.updated_at = utcnow()
    db.session.flush()
    record_event(case, user, EventKind.REFUSAL, reason=note.strip(), details={"当事人": party.name})
    db.session.commit()
    return case


def assign_mediator(
    case: Case, user: User, mediator_id: int, *, lead: bool = False, chosen_by_parties: bool = False
) -> Case:
    """The director appoints a mediator to the case, or records the parties' choice (Art. 19)."""
    workflow.ensure_working(case, "指派调解员")
    if not access.can_assign(user, case):
        raise WorkflowError("只有本调委会主任可以指派调解员。", status=403)
    if case.status not in workflow.BEFORE_AGREEMENT:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，不能再指派调解员。")
    mediator = next((m for m in access.assignable_mediators(case) if m.id == mediator_id), None)
    if mediator is None:
        raise WorkflowError("请选择本调委会的调解员。", status=400, field="mediator_id")
    ensure_not_related(case, mediator_id)
    if any(m.user_id == mediator_id for m in case.active_mediators):
        raise WorkflowError(f"{mediator.name}已是本案调解员。", status=400, field="mediator_id")
    if lead or not case.active_mediators:
        for m in case.active_mediators:
            m.is_lead = False
        lead = True
    case.mediators.append(
        CaseMediator(
            user=mediator, is_lead=lead, chosen_by_parties=chosen_by_parties,
            assigned_by_id=user.id,
        )
    )  # fmt: skip
    case.updated_at = utcnow()
    db.session.flush()
    how = "当事人选定" if chosen_by_parties else "调委会指派"
    record_event(
        case, user, EventKind.ASSIGNED,
        details={"调解员": mediator.name, "方式": how, "主办": "是" if lead else "否"},
    )  # fmt: skip
    db.session.commit()
    return case


def reveal_personal_data(case: Case, user: User) -> None:
    """Showing unmasked ID numbers and phones is logged (PIPL; DOMAIN §6)."""
    if not access.can_see_personal_data(user, case):
        raise WorkflowError("您无权查看本案当事人的完整个人信息。", status=403)
    record_event(case, user, EventKind.VIEWED_PERSONAL)
    db.session.commit()
