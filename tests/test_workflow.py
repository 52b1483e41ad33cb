"""The case state machine and the rules of DOMAIN §2 it enforces, through the services."""

from datetime import timedelta

import pytest

from mediation import workflow
from mediation.audit.service import verify_chain
from mediation.cases import service
from mediation.extensions import db
from mediation.models import CaseEvent, CaseStatus, EventKind, OtherAuthority
from mediation.models.base import local_today
from mediation.records.service import record_session
from mediation.workflow import WorkflowError

from factories import make_case


def accepted_case(world, **fields):
    case = make_case(world["mediator1"], **fields)
    service.apply_action(case, world["mediator1"], "accept")
    return case


def mediating_case(world):
    case = accepted_case(world)
    service.apply_action(case, world["mediator1"], "start_mediation")
    return case


def session_fields():
    from mediation.models.base import utcnow

    return {
        "held_at": utcnow() - timedelta(hours=1), "place": "调解室", "mediators": "李调解",
        "attendees": "张三、李四", "course": "双方陈述。", "result": "同意继续协商。",
    }  # fmt: skip


def test_every_state_of_the_domain_is_in_the_machine():
    assert {s.label for s in CaseStatus} == {
        "申请/上报", "已受理", "调解中", "已达成协议", "已回访", "已结案", "已归档",
        "不予受理", "已撤回", "调解终止",
    }  # fmt: skip
    dests = {a.dest for a in workflow.ACTIONS.values()}
    assert dests == set(CaseStatus) - {CaseStatus.SUBMITTED}


def test_new_case_waits_for_acceptance(world):
    case = make_case(world["mediator1"])
    assert case.status == CaseStatus.SUBMITTED
    assert [e.kind for e in case.events] == [EventKind.CREATED]


def test_accept_starts_deadline_and_makes_acceptor_lead_mediator(world):
    world.committees["东街"].deadline_days = 20
    db.session.commit()
    case = accepted_case(world)
    assert case.status == CaseStatus.ACCEPTED
    assert case.accepted_on == local_today()
    assert case.deadline == local_today() + timedelta(days=20)
    assert [m.user.username for m in case.active_mediators] == ["mediator1"]
    assert case.active_mediators[0].is_lead


def test_transition_is_recorded_with_who_when_from_to_and_reason(world):
    case = make_case(world["mediator1"])
    service.apply_action(case, world["director1"], "reject", "依法应由劳动仲裁处理。",
                         "请向劳动人事争议仲裁委员会申请仲裁。")  # fmt: skip
    event = case.events[-1]
    assert event.kind == EventKind.TRANSITION
    assert event.user.username == "director1"
    assert (event.from_status, event.to_status) == (CaseStatus.SUBMITTED, CaseStatus.REJECTED)
    assert event.reason == "依法应由劳动仲裁处理。"
    assert event.details["route"] == "请向劳动人事争议仲裁委员会申请仲裁。"
    assert event.at is not None and event.at.tzinfo is not None


def test_voluntariness_refusing_party_blocks_mediation(world):
    """Rule 1 (Art. 17): a party who clearly refuses may not be mediated."""
    case = accepted_case(world)
    respondent = case.respondents[0]
    service.record_refusal(case, world["mediator1"], respondent.id, "被申请人表示不同意调解。")
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["mediator1"], "start_mediation")
    assert "李四已明确拒绝调解" in refused.value.message
    assert "第十七条" in refused.value.message
    assert case.status == CaseStatus.ACCEPTED
    # ... and the case is ended instead, the parties told their other routes.
    service.apply_action(case, world["mediator1"], "terminate", "被申请人拒绝调解。",
                         "可以向人民法院提起诉讼。")  # fmt: skip
    assert case.status == CaseStatus.TERMINATED
    assert [e.kind for e in case.events].count(EventKind.REFUSAL) == 1


def test_voluntariness_refusal_needs_a_note(world):
    case = accepted_case(world)
    with pytest.raises(WorkflowError) as refused:
        service.record_refusal(case, world["mediator1"], case.parties[0].id, "  ")
    assert refused.value.field == "note"


def test_not_accepted_when_court_already_holds_the_dispute(world):
    """Rule 2: a dispute a court has accepted is not accepted, but rejected with a route."""
    case = make_case(world["mediator1"], other_authority=OtherAuthority.COURT)
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["mediator1"], "accept")
    assert "法院已受理或已判决" in refused.value.message
    assert "不予受理" in refused.value.message
    assert case.status == CaseStatus.SUBMITTED


def test_reject_needs_reason_and_route(world):
    """Rule 2: the reason is recorded and the parties are told which route to take."""
    case = make_case(world["mediator1"])
    with pytest.raises(WorkflowError) as no_reason:
        service.apply_action(case, world["mediator1"], "reject", "", "去法院")
    assert no_reason.value.field == "reason"
    assert no_reason.value.message == "请填写不予受理的理由。"
    with pytest.raises(WorkflowError) as no_route:
        service.apply_action(case, world["mediator1"], "reject", "已起诉", " ")
    assert no_route.value.field == "route"
    assert case.status == CaseStatus.SUBMITTED


def test_start_mediation_needs_a_mediator(world):
    """Rule 4: the director accepted, nobody is assigned yet."""
    case = make_case(world["mediator1"])
    service.apply_action(case, world["director1"], "accept")
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["director1"], "start_mediation")
    assert "尚未指派调解员" in refused.value.message
    service.assign_mediator(case, world["director1"], world["mediator3"].id)
    service.apply_action(case, world["director1"], "start_mediation")
    assert case.status == CaseStatus.MEDIATING


def test_reaching_agreement_needs_a_session_record_then_the_agreement(world):
    """Rule 5 (Art. 27) first, then rule 8: the guards say what is missing, in order."""
    case = mediating_case(world)
    with pytest.raises(WorkflowError) as refused:
        workflow.fire(case, world["mediator1"], "reach_agreement")
    assert "尚无调解记录" in refused.value.message
    record_session(case, world["mediator1"], session_fields())
    with pytest.raises(WorkflowError) as refused:
        workflow.fire(case, world["mediator1"], "reach_agreement")
    assert refused.value.message == "请先填写调解协议的内容。"
    assert case.status == CaseStatus.MEDIATING


def test_wrong_state_is_refused_in_chinese(world):
    case = make_case(world["mediator1"])
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["mediator1"], "start_mediation")
    assert refused.value.message == "案件当前状态为“申请/上报”，不能执行“开始调解”。"


def test_only_assigned_mediator_or_director_handles_an_accepted_case(world):
    case = accepted_case(world)  # mediator1 is the lead
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["mediator3"], "start_mediation")
    assert refused.value.status == 403
    assert "无权" in refused.value.message
    service.apply_action(case, world["director1"], "start_mediation")


@pytest.mark.parametrize("username", ["auditor1", "auditor0", "grid1", "mediator2", "admin"])
def test_outsiders_may_not_accept(world, username):
    case = make_case(world["mediator1"])
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world[username], "accept")
    assert refused.value.status == 403


def test_withdraw_and_terminate_are_side_exits(world):
    a = accepted_case(world)
    service.apply_action(a, world["mediator1"], "withdraw", "申请人撤回申请。")
    assert a.status == CaseStatus.WITHDRAWN
    b = mediating_case(world)
    with pytest.raises(WorkflowError):
        service.apply_action(b, world["mediator1"], "terminate", "调解不成。", "")
    service.apply_action(b, world["mediator1"], "terminate", "调解不成。", "可以申请仲裁或起诉。")
    assert b.status == CaseStatus.TERMINATED
    assert workflow.available_actions(b, world["mediator1"]) == []


def test_actions_offered_follow_state_and_role(world):
    case = make_case(world["grid1"])
    names = lambda user: [a.name for a in workflow.available_actions(case, user)]  # noqa: E731
    assert names(world["mediator1"]) == ["accept", "reject", "withdraw"]
    assert names(world["grid1"]) == []
    assert names(world["auditor1"]) == []
    service.apply_action(case, world["mediator3"], "accept")
    assert names(world["mediator3"]) == ["start_mediation", "withdraw", "terminate"]
    assert names(world["mediator1"]) == []  # not assigned to this one
    assert names(world["director1"]) == ["start_mediation", "withdraw", "terminate"]


def test_not_simple_actions_need_their_own_page(world):
    case = mediating_case(world)
    with pytest.raises(WorkflowError) as refused:
        service.apply_action(case, world["mediator1"], "reach_agreement")
    assert "需要在相应的页面" in refused.value.message


def test_timeline_hash_chain_shows_tampering(world):
    case = mediating_case(world)
    assert verify_chain(case.id) == []
    event = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()[1]
    event.reason = "改过的理由"
    db.session.commit()
    problems = verify_chain(case.id)
    assert problems and "可能被篡改" in problems[0]
