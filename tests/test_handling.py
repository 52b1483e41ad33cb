"""Handling a case around the mediation: recusal (rule 4), escalation risk (rule 6) and
jurisdiction (rule 3). Through the real app over HTTP where a user would act, and through
the services; every test runs on SQLite and on PostgreSQL."""

import pytest

from mediation.audit.service import verify_chain
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.handling import service
from mediation.models import (
    Case,
    CaseStatus,
    CommitteeKind,
    EventKind,
    Recusal,
    RecusalDecision,
    RiskLevel,
    Role,
    Transfer,
    TransferKind,
    TransferStatus,
)
from mediation.workflow import WorkflowError

from factories import make_case, make_user


def post(client, url: str, prefix: str, **fields):
    """Post one of the panel's forms as the browser would: prefixed names, own CSRF token."""
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    data[f"{prefix}-csrf_token"] = client.csrf_token()
    return client.post(url, data=data)


def page(client, case_id: int) -> str:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def fresh(case_id: int) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def kinds(case_id: int) -> list[EventKind]:
    return [e.kind for e in fresh(case_id).events]


@pytest.fixture
def case(world):
    """A 东街 case, accepted, with 李调解 (lead) and 孙调解 as mediators."""
    case = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    cases.assign_mediator(case, world["director1"], world["mediator1"].id, lead=True)
    cases.assign_mediator(case, world["director1"], world["mediator3"].id)
    return case


def transfer_to(client, case: Case, to_committee_id, kind="transfer", reason="纠纷发生在河西村。"):
    return post(
        client, f"/cases/{case.id}/transfers", "transfer", kind=kind,
        to_committee_id="" if to_committee_id is None else to_committee_id, reason=reason,
    )  # fmt: skip


def decide_transfer(client, case_id: int, decision: str, note: str = ""):
    transfer = db.session.scalars(
        db.select(Transfer).where(Transfer.case_id == case_id).order_by(Transfer.id.desc())
    ).first()
    return post(
        client, f"/cases/{case_id}/transfer-decision", "td", transfer_id=transfer.id,
        version=transfer.version, decision=decision, note=note,
    )  # fmt: skip


# --- Rule 4: mediators related to a party, recusal -------------------------------------------


def test_related_mediator_cannot_be_assigned(world, login):
    case = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    party = case.parties[1]
    c = login("director1")
    response = post(
        c, f"/cases/{case.id}/relations", "relation", party_id=party.id,
        mediator_id=world["mediator3"].id, relation="表兄妹",
    )  # fmt: skip
    assert response.status_code == 302
    assert "孙调解 与 李四：表兄妹" in page(c, case.id)
    assert kinds(case.id)[-1] == EventKind.RELATION

    # The service the assignment goes through refuses, and so does the page.
    with pytest.raises(WorkflowError) as refused:
        cases.assign_mediator(fresh(case.id), world["director1"], world["mediator3"].id)
    assert "孙调解与当事人李四有表兄妹关系，依法应当回避" in refused.value.message, (
        "cases.service.assign_mediator must call handling.service.ensure_not_related"
    )
    response = c.post(f"/cases/{case.id}/mediators", data={"mediator_id": world["mediator3"].id})
    assert response.status_code == 400
    assert "依法应当回避，不能指派其为本案调解员" in response.get_data(as_text=True)
    assert not fresh(case.id).active_mediators


def test_ensure_not_related_names_the_relation_and_spares_others(world):
    case = make_case(world["director1"])
    service.record_relation(
        case, world["director1"], case.parties[0].id, world["mediator1"].id, "利害关系"
    )
    with pytest.raises(WorkflowError) as refused:
        service.ensure_not_related(fresh(case.id), world["mediator1"].id)
    assert refused.value.message == (
        "李调解与当事人张三有利害关系，依法应当回避，不能指派其为本案调解员。"
    )
    assert refused.value.field == "mediator_id"
    service.ensure_not_related(fresh(case.id), world["mediator3"].id)  # not related: no refusal


def test_relation_refused_keeps_what_was_typed(world, login, case):
    c = login("mediator1")
    response = post(
        c, f"/cases/{case.id}/relations", "relation", party_id="",
        mediator_id=world["mediator3"].id, relation="邻居",
    )  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请选择本案的当事人。" in html
    assert 'value="邻居"' in html
    assert f'<option selected value="{world["mediator3"].id}">' in html


def test_recusal_accepted_removes_mediator_and_keeps_history(world, login, case):
    """Rule 15: a party's recusal request makes the committee replace the mediator, so the
    mediator leaves the case as the request is recorded (was: left when the director
    agreed)."""
    c = login("mediator3")
    response = post(
        c, f"/cases/{case.id}/recusals", "recusal", party_id=case.parties[1].id,
        mediator_id=world["mediator1"].id, reason="李调解是申请人的远房亲戚。",
    )  # fmt: skip
    assert response.status_code == 302

    after = fresh(case.id)
    rows = {m.user.username: m for m in after.mediators}
    assert rows["mediator1"].removed_at is not None  # the row stays: history is kept
    assert [m.user.username for m in after.active_mediators] == ["mediator3"]
    assert rows["mediator3"].is_lead
    assert after.recusals[0].decision == RecusalDecision.ACCEPTED
    assert after.recusals[0].decided_by.username == "mediator3"
    assert kinds(case.id)[-2:] == [EventKind.RECUSAL, EventKind.UNASSIGNED]
    assert EventKind.ASSIGNED in kinds(case.id)
    assert verify_chain(case.id) == []
    html = page(login("director1"), case.id)
    assert "李四申请李调解回避" in html and "调解员退出" in html
    assert "不同意回避" not in html
    # Once recused, not back on the case.
    with pytest.raises(WorkflowError, match="已依当事人李四的申请回避"):
        service.ensure_not_related(after, world["mediator1"].id)


def pending_recusal(case, world) -> Recusal:
    """A request recorded before requests were granted at once: still waits for a decision."""
    recusal = Recusal(
        party_id=case.parties[0].id, mediator_id=world["mediator1"].id, reason="有利害关系。"
    )
    case.recusals.append(recusal)
    db.session.commit()
    return recusal


@pytest.mark.parametrize("username", ["mediator1", "mediator3", "auditor1", "director2"])
def test_recusal_decided_only_by_director(world, login, case, username):
    recusal = pending_recusal(case, world)
    if username == "director2":  # even the director of a committee accepting it jointly
        service.add_joint_committee(
            fresh(case.id), world["director1"], world.committees["河西"].id, "两村交界。"
        )
    response = post(
        login(username), f"/cases/{case.id}/recusal-decision", "rd", recusal_id=recusal.id,
        version=recusal.version, decision="accept",
    )  # fmt: skip
    assert response.status_code == 403
    assert "回避申请只能由本调委会主任决定" in response.get_data(as_text=True)
    after = fresh(case.id)
    assert after.recusals[0].decision == RecusalDecision.PENDING
    assert len(after.active_mediators) == 2


def test_pending_recusal_can_only_be_granted(world, login, case):
    """Rule 15 (was: a rejected recusal needed a reason and kept the mediator): the committee
    must replace the mediator, so the director may not refuse."""
    recusal = pending_recusal(case, world)
    c = login("director1")
    url = f"/cases/{case.id}/recusal-decision"
    fields = {"recusal_id": recusal.id, "version": recusal.version}
    response = post(c, url, "rd", **fields, decision="reject", note="未发现影响公正调解的情形。")
    assert response.status_code == 400
    assert "应当予以调换" in response.get_data(as_text=True)
    assert len(fresh(case.id).active_mediators) == 2
    response = post(c, url, "rd", **fields, decision="accept", note="")
    assert response.status_code == 302
    after = fresh(case.id)
    assert after.recusals[0].decision == RecusalDecision.ACCEPTED
    assert [m.user.username for m in after.active_mediators] == ["mediator3"]
    assert kinds(case.id)[-2:] == [EventKind.RECUSAL_DECIDED, EventKind.UNASSIGNED]
    # A stale second decision is refused, not applied.
    response = post(c, url, "rd", **fields, decision="accept", note="再次决定")
    assert response.status_code == 409
    assert "已由周主任作出决定" in response.get_data(as_text=True)


# --- Rule 6: risk and the police ---------------------------------------------------------------


def test_police_report_recorded_and_shown(world, login, case):
    c = login("mediator1")
    url = f"/cases/{case.id}/police-reports"
    # A refusal keeps everything typed.
    response = post(c, url, "police", reported_at="2025-03-02T09:30", reported_to="",
                    reference="JJ20250302-017", note="双方在村口发生推搡。")  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="JJ20250302-017"' in html and "双方在村口发生推搡。" in html
    response = post(c, url, "police", reported_at="2025-03-02T09:30", reported_to="城关派出所",
                    reference="JJ20250302-017", note="双方在村口发生推搡。")  # fmt: skip
    assert response.status_code == 302
    html = page(login("auditor1"), case.id)
    assert "城关派出所" in html and "JJ20250302-017" in html and "2025-03-02 09:30" in html
    report = fresh(case.id).police_reports[0]
    assert report.reported_at.isoformat() == "2025-03-02T01:30:00+00:00"  # stored as UTC
    assert report.recorded_by.username == "mediator1"
    assert kinds(case.id)[-1] == EventKind.POLICE_REPORT


def test_police_report_in_the_future_is_refused(world, case):
    from datetime import timedelta

    from mediation.models.base import utcnow

    with pytest.raises(WorkflowError, match="报告时间不能晚于现在"):
        service.record_police_report(
            case, world["mediator1"], utcnow() + timedelta(days=1), "城关派出所"
        )


def test_risk_measure_raises_the_level_and_bumps_the_version(world, login, case):
    version = fresh(case.id).version
    response = post(
        login("mediator1"), f"/cases/{case.id}/risk-measures", "risk",
        measures="分别约谈双方，劝离围观人员。", risk_level="high",
    )  # fmt: skip
    assert response.status_code == 302
    after = fresh(case.id)
    assert after.risk_level == RiskLevel.HIGH and after.version > version
    assert after.risk_measures[0].measures == "分别约谈双方，劝离围观人员。"
    event = after.events[-1]
    assert event.kind == EventKind.RISK
    assert event.details["changes"]["风险等级"] == ["一般", "重大（可能激化）"]


def test_risk_measure_only_by_handlers(world, login, case):
    response = post(login("auditor1"), f"/cases/{case.id}/risk-measures", "risk", measures="x")
    assert response.status_code == 403


def test_attention_list_shows_escalation_risk_and_group_cases_to_their_director(world, login):
    d = world["director1"]
    escalating = make_case(d, may_escalate=True)
    group = make_case(d, is_group=True)
    high = make_case(d, risk_level=RiskLevel.HIGH)
    calm = make_case(d)
    ended = make_case(d, may_escalate=True)
    cases.apply_action(ended, d, "reject", reason="已由法院受理。", route="请向法院了解进展。")
    elsewhere = make_case(world["director2"], may_escalate=True)

    listed = [c.id for c in service.attention_cases(d)]
    assert listed == [high.id, escalating.id, group.id]  # the riskiest first
    html = login("director1").get("/attention").get_data(as_text=True)
    for shown in (escalating, group, high):
        assert shown.number in html
    for hidden in (calm, ended, elsewhere):
        assert hidden.number not in html
    html = login("director2").get("/attention").get_data(as_text=True)
    assert elsewhere.number in html and escalating.number not in html
    for username in ("mediator1", "auditor1", "grid1"):
        assert login(username).get("/attention").status_code == 403


# --- Rule 3: jurisdiction ---------------------------------------------------------------------


def test_transfer_is_accepted_by_the_receiving_director_and_scope_follows(world, login, case):
    hexi = world.committees["河西"]
    number = case.number
    assert transfer_to(login("director1"), case, hexi.id).status_code == 302

    receiving = login("director2")
    attention = receiving.get("/attention").get_data(as_text=True)
    assert "待接收的移交" in attention and number in attention
    html = page(receiving, case.id)
    assert "接收" in html and "退回" in html
    # Only the receiving director looks before deciding; its mediators wait for the decision.
    assert login("mediator2").get(f"/cases/{case.id}").status_code == 404
    assert login("mediator5").get(f"/cases/{case.id}").status_code == 404

    response = decide_transfer(receiving, case.id, "accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/cases/{case.id}"
    )
    after = fresh(case.id)
    assert after.committee_id == hexi.id and after.number == number
    assert not after.active_mediators  # the new director assigns their own
    assert all(m.removed_at is not None for m in after.mediators) and len(after.mediators) == 2
    # The old committee no longer sees it, the new one does.
    for username in ("mediator1", "director1", "auditor1"):
        assert login(username).get(f"/cases/{case.id}").status_code == 404, username
    for username in ("mediator2", "director2", "auditor2"):
        assert login(username).get(f"/cases/{case.id}").status_code == 200, username
    # The full history stays with the case.
    history = kinds(case.id)
    assert history[:4] == [
        EventKind.CREATED,
        EventKind.TRANSITION,
        EventKind.ASSIGNED,
        EventKind.ASSIGNED,
    ]
    assert history[4:] == [
        EventKind.TRANSFER,
        EventKind.TRANSFER_DECIDED,
        EventKind.UNASSIGNED,
        EventKind.UNASSIGNED,
    ]
    assert verify_chain(case.id) == []
    html = page(receiving, case.id)
    assert "指派调解员" in html and "李调解" in html  # earlier events still on the timeline
    cases.assign_mediator(after, world["director2"], world["mediator2"].id)
    assert [m.user.username for m in fresh(case.id).active_mediators] == ["mediator2"]


def test_only_one_pending_transfer_at_a_time(world, login, case):
    c = login("director1")
    assert transfer_to(c, case, world.committees["河西"].id).status_code == 302
    response = transfer_to(c, case, world.committees["城关"].id)
    assert response.status_code == 409
    assert "尚待对方接收" in response.get_data(as_text=True)


def test_a_case_with_a_pending_transfer_does_not_end_until_it_is_decided(world, login, case):
    """The receiving director can no longer decide once the case has ended, and a case with
    an undecided transfer cannot be closed: so it may not end while the transfer waits."""
    assert transfer_to(login("director1"), case, world.committees["河西"].id).status_code == 302
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(case, world["director1"], "withdraw", "申请人撤回。")
    assert "待接收的移交须先处理" in refused.value.message
    assert fresh(case.id).status == CaseStatus.ACCEPTED
    assert decide_transfer(login("director2"), case.id, "decline", "不属本村。").status_code == 302
    cases.apply_action(fresh(case.id), world["director1"], "withdraw", "申请人撤回。")
    assert fresh(case.id).status == CaseStatus.WITHDRAWN


def test_only_the_director_transfers(world, login, case):
    response = transfer_to(login("mediator1"), case, world.committees["河西"].id)
    assert response.status_code == 403
    assert not fresh(case.id).transfers


def test_escalation_goes_to_the_town_committee_of_the_same_office(world, login, case):
    chengguan = world.committees["城关"]
    chengguan.committee_kind = CommitteeKind.TOWN
    db.session.commit()
    c = login("director1")
    # Not to a town committee of another office.
    response = transfer_to(c, case, world.committees["河西"].id, kind="escalate")
    assert response.status_code == 400
    assert "上报只能报至本司法所的乡镇（街道）人民调解委员会" in response.get_data(as_text=True)
    assert transfer_to(c, case, None, kind="escalate", reason="涉及多个村").status_code == 302
    transfer = fresh(case.id).transfers[0]
    assert transfer.kind == TransferKind.ESCALATE and transfer.to_committee_id == chengguan.id

    make_user("director5", Role.DIRECTOR, chengguan, "城关主任")
    assert decide_transfer(login("director5"), case.id, "accept").status_code == 302
    assert fresh(case.id).committee_id == chengguan.id
    assert login("mediator5").get(f"/cases/{case.id}").status_code == 200
    assert login("mediator1").get(f"/cases/{case.id}").status_code == 404


def test_escalation_without_a_town_committee_is_refused(world, login):
    case = make_case(world["director2"])
    response = transfer_to(login("director2"), case, None, kind="escalate")
    assert response.status_code == 400
    assert "河西镇司法所下没有其他乡镇（街道）人民调解委员会，无法上报" in response.get_data(
        as_text=True
    )


def test_declined_transfer_leaves_everything_as_it_was(world, login, case):
    before = fresh(case.id)
    committee, version = before.committee_id, before.version
    transfer_to(login("director1"), case, world.committees["河西"].id)
    receiving = login("director2")
    response = decide_transfer(receiving, case.id, "decline")
    assert response.status_code == 400
    assert "退回移交的，请填写理由。" in response.get_data(as_text=True)
    response = decide_transfer(receiving, case.id, "decline", note="纠纷发生在东街。")
    assert response.status_code == 302 and response.headers["Location"].endswith("/attention")

    after = fresh(case.id)
    assert after.committee_id == committee and after.version == version
    assert [m.user.username for m in after.active_mediators] == ["mediator1", "mediator3"]
    assert after.transfers[0].status == TransferStatus.DECLINED
    assert after.transfers[0].decision_note == "纠纷发生在东街。"
    assert receiving.get(f"/cases/{case.id}").status_code == 404
    assert "纠纷发生在东街。" in page(login("mediator1"), case.id)
    # The director may try again.
    assert transfer_to(login("director1"), case, world.committees["城关"].id).status_code == 302


def test_transfer_decided_only_by_the_receiving_director(world, login, case):
    transfer_to(login("director1"), case, world.committees["河西"].id)
    # The receiving mediator does not even see the case before it is accepted.
    assert decide_transfer(login("mediator2"), case.id, "accept").status_code == 404
    assert decide_transfer(login("director1"), case.id, "accept").status_code == 403
    assert fresh(case.id).transfers[0].status == TransferStatus.PENDING


def test_joint_committee_members_see_and_handle_the_case(world, login, case):
    hexi = world.committees["河西"]
    response = post(
        login("director1"), f"/cases/{case.id}/joint-committees", "joint",
        committee_id=hexi.id, reason="纠纷涉及东街和河西两地居民。",
    )  # fmt: skip
    assert response.status_code == 302
    assert kinds(case.id)[-1] == EventKind.JOINT

    for username in ("mediator2", "director2", "auditor2", "director1", "auditor1"):
        assert login(username).get(f"/cases/{case.id}").status_code == 200, username
    assert login("mediator5").get(f"/cases/{case.id}").status_code == 404
    assert login("mediator5").post(f"/cases/{case.id}/risk-measures", data={}).status_code == 404
    assert case.number in login("mediator2").get("/cases").get_data(as_text=True)

    # The joint committee works it: its director records, its mediator asks for a recusal.
    response = post(
        login("director2"), f"/cases/{case.id}/police-reports", "police",
        reported_at="2025-05-01T10:00", reported_to="河西派出所",
    )  # fmt: skip
    assert response.status_code == 302
    response = post(
        login("mediator2"), f"/cases/{case.id}/recusals", "recusal",
        party_id=case.parties[0].id, mediator_id=world["mediator3"].id, reason="曾为对方代书。",
    )  # fmt: skip
    assert response.status_code == 302
    after = fresh(case.id)
    assert after.police_reports[0].recorded_by.username == "director2"
    assert after.committee_id == world.committees["东街"].id  # the owner does not change


def test_handling_urls_are_404_outside_scope(app, world, login, case):
    urls = [
        str(rule.rule).replace("<int:case_id>", str(case.id))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("handling.") and "case_id" in rule.arguments
    ]
    assert len(urls) == 9
    for username in ("mediator2", "director2", "mediator5", "auditor2", "grid9", "admin"):
        c = login(username)
        for url in urls:
            for method in ("GET", "POST"):
                assert c.open(url, method=method, data={}).status_code == 404, (username, url)


def test_case_page_panel_for_an_auditor_is_read_only(world, login, case):
    service.record_risk_measure(fresh(case.id), world["mediator1"], "约谈双方。")
    html = page(login("auditor1"), case.id)
    assert "风险防控" in html and "约谈双方。" in html and "移交与共同受理" in html
    assert "记录防控措施" not in html and "移交或上报" not in html and "记录回避申请" not in html


def test_closed_states_refuse_handling(world, case):
    cases.apply_action(case, world["director1"], "withdraw", reason="申请人撤回。")
    assert fresh(case.id).status == CaseStatus.WITHDRAWN
    with pytest.raises(WorkflowError, match="已撤回”，不能移交"):
        service.request_transfer(
            fresh(case.id), world["director1"], TransferKind.TRANSFER,
            world.committees["河西"].id, "x",
        )  # fmt: skip
