"""The rules a legal review made explicit (DOMAIN §2 rules 3, 11, 14-18), each through the
services and through HTTP: the forbidden path is refused with a 4xx Chinese message citing
the provision, the allowed path leaves its trace on the timeline."""

import re
from datetime import timedelta

import pytest
from test_agreements import WRITTEN, agreed, terms, with_session
from test_intake import intake_form, party

from mediation import workflow
from mediation.agreements import service as agreements
from mediation.cases import service as cases
from mediation.documents.service import documents_of
from mediation.extensions import db
from mediation.handling import service as handling
from mediation.models import (
    AgreementKind,
    Case,
    CaseStatus,
    DocumentKind,
    EventKind,
    OtherAuthority,
    Performance,
    Publicity,
    Recusal,
    RecusalDecision,
    RiskLevel,
    Satisfaction,
    Source,
)
from mediation.models.base import local_today, utcnow
from mediation.reports.service import build_report, current_period
from mediation.workflow import WorkflowError

from factories import acknowledge_rights, make_case


def post(client, url: str, prefix: str, **fields):
    """Post one of the case page's prefixed forms, with that form's own CSRF token."""
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    data[f"{prefix}-csrf_token"] = client.csrf_token()
    return client.post(url, data=data)


def fresh(case_id: int) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def text(response) -> str:
    return response.get_data(as_text=True)


def mediating(world, user="mediator1", **fields) -> Case:
    case = make_case(world[user], **fields)
    cases.apply_action(case, world[user], "accept")  # the accepting mediator becomes lead
    cases.apply_action(case, world[user], "start_mediation")
    return case


def agreement_post(kind="written") -> dict:
    fields = WRITTEN if kind == "written" else {"oral_content": "李四当场赔偿五百元。"}
    return {
        "kind": kind,
        **fields,
        "terms-0-obligor": "李四",
        "terms-0-obligee": "张三",
        "terms-0-content": "赔偿维修费",
        "terms-0-amount": "3000",
        "terms-0-manner": "转账",
        "terms-0-deadline": (local_today() + timedelta(days=7)).isoformat(),
    }


def not_performed(world) -> Case:
    case = agreed(world)
    from test_agreements import login_free_upload

    login_free_upload(case, world["mediator1"])
    agreements.record_follow_up(
        case,
        world["mediator1"],
        {"visited_on": local_today(), "visited": "张三", "satisfaction": Satisfaction.MOSTLY},
        {t.id: (Performance.NOT_PERFORMED, "") for t in case.agreement.terms},
    )
    return case


# --- Rule 14: a refusal at any time ends mediation ------------------------------------------


def test_refusal_during_mediation_blocks_agreement(world, login):
    case = with_session(mediating(world), world["mediator1"])
    c = login("mediator1")
    response = c.post(
        f"/cases/{case.id}/refusal", data={"party_id": case.parties[1].id, "note": "要求终止调解"}
    )
    assert response.status_code == 302
    with pytest.raises(WorkflowError) as refused:
        agreements.reach_agreement(
            case, world["mediator1"], AgreementKind.WRITTEN, WRITTEN, terms()
        )
    assert "第十七条" in refused.value.message and "调解终止" in refused.value.message
    db.session.rollback()
    response = c.post(f"/cases/{case.id}/agreement/new", data=agreement_post())
    assert 400 <= response.status_code < 500
    assert "已拒绝调解或要求终止调解" in text(response) and "第二十三条" in text(response)
    assert fresh(case.id).status == CaseStatus.MEDIATING and not fresh(case.id).agreements
    # The way out is the termination, with its notice.
    response = c.post(
        f"/cases/{case.id}/actions/terminate",
        data={"reason": "被申请人要求终止调解。", "route": "可向人民法院起诉。"},
    )
    assert response.status_code == 302 and fresh(case.id).status == CaseStatus.TERMINATED


# --- Rules 15 and 16: mediators, recusal, agreement ----------------------------------------


def test_agreement_needs_active_mediator(world, login):
    case = with_session(mediating(world), world["mediator1"])
    handling.record_relation(
        case, world["director1"], case.parties[0].id, world["mediator1"].id, "亲属"
    )
    assert not fresh(case.id).active_mediators
    with pytest.raises(WorkflowError) as refused:
        agreements.reach_agreement(
            case, world["director1"], AgreementKind.ORAL, {"oral_content": "赔偿五百元。"}, terms()
        )
    assert "没有在案的调解员" in refused.value.message and "第十九条" in refused.value.message
    db.session.rollback()
    response = login("director1").post(
        f"/cases/{case.id}/agreement/new", data=agreement_post("oral")
    )
    assert 400 <= response.status_code < 500 and "没有在案的调解员" in text(response)
    # A replacement makes the agreement possible again.
    cases.assign_mediator(fresh(case.id), world["director1"], world["mediator3"].id)
    agreements.reach_agreement(
        fresh(case.id), world["mediator3"], AgreementKind.WRITTEN, WRITTEN, terms()
    )
    assert fresh(case.id).status == CaseStatus.AGREED


def test_agreement_is_not_confirmed_without_active_mediator(world):
    case = agreed(world)
    handling.record_relation(
        case, world["director1"], case.parties[0].id, world["mediator1"].id, "同事"
    )
    from test_agreements import login_free_upload

    with pytest.raises(WorkflowError, match="没有在案的调解员"):
        login_free_upload(fresh(case.id), world["director1"])
    db.session.rollback()
    assert not fresh(case.id).agreement.is_effective


def test_related_mediator_is_removed(world, login):
    case = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    cases.assign_mediator(case, world["director1"], world["mediator1"].id, lead=True)
    cases.assign_mediator(case, world["director1"], world["mediator3"].id)
    response = post(
        login("director1"),
        f"/cases/{case.id}/relations",
        "relation",
        party_id=case.parties[0].id,
        mediator_id=world["mediator1"].id,
        relation="表兄妹",
    )
    assert response.status_code == 302
    case = fresh(case.id)
    assert [m.user_id for m in case.active_mediators] == [world["mediator3"].id]
    assert case.active_mediators[0].is_lead  # the lead passed on
    removal = case.events[-1]
    assert removal.kind == EventKind.UNASSIGNED and "依法回避" in removal.details["原因"]
    page = text(login("director1").get(f"/cases/{case.id}"))
    assert "依法回避" in page


def test_recusal_request_replaces_mediator(world, login):
    case = with_session(mediating(world), world["mediator1"])
    c = login("director1")
    response = post(
        c,
        f"/cases/{case.id}/recusals",
        "recusal",
        party_id=case.parties[1].id,
        mediator_id=world["mediator1"].id,
        reason="调解员与申请人是同学。",
    )
    assert response.status_code == 302
    case = fresh(case.id)
    assert not case.active_mediators  # removed at once
    recusal = case.recusals[0]
    assert recusal.decision == RecusalDecision.ACCEPTED and "第二十六条" in recusal.decision_note
    assert case.events[-1].kind == EventKind.UNASSIGNED
    assert "须另行指派" in case.events[-1].details["提示"]
    # No agreement until a replacement is active.
    response = c.post(f"/cases/{case.id}/agreement/new", data=agreement_post())
    assert 400 <= response.status_code < 500 and "没有在案的调解员" in text(response)
    # The committee may not refuse a recusal: a request still pending (recorded before this
    # rule) can only be granted.
    pending = Recusal(
        party_id=case.parties[0].id, mediator_id=world["mediator3"].id, reason="旧申请"
    )
    cases.assign_mediator(case, world["director1"], world["mediator3"].id)
    case.recusals.append(pending)
    db.session.commit()
    with pytest.raises(WorkflowError) as refused:
        handling.decide_recusal(pending, world["director1"], False, "理由不足", pending.version)
    assert refused.value.status == 400 and "第二十六条" in refused.value.message
    db.session.rollback()
    response = post(
        c,
        f"/cases/{case.id}/recusal-decision",
        "rd",
        recusal_id=pending.id,
        version=pending.version,
        decision="reject",
        note="理由不足",
    )
    assert response.status_code == 400 and "应当予以调换" in text(response)
    assert fresh(case.id).active_mediators  # refusing changed nothing


def test_oral_agreement_cannot_go_to_court_confirmation(world, login):
    case = agreed(world, AgreementKind.ORAL)
    assert case.agreement.is_effective
    with pytest.raises(WorkflowError) as refused:
        agreements.apply_for_confirmation(case, world["mediator1"], local_today(), "示例县人民法院")
    assert "口头协议不能申请司法确认" in refused.value.message
    assert "第三十三条" in refused.value.message
    c = login("mediator1")
    page = text(c.get(f"/cases/{case.id}"))
    assert "登记司法确认申请" not in page and "司法确认适用于各方签名、盖章的书面调解协议" in page
    response = c.post(
        f"/cases/{case.id}/confirmations",
        data={"applied_on": local_today().isoformat(), "court": "示例县人民法院"},
    )
    assert 400 <= response.status_code < 500 and "口头协议不能申请司法确认" in text(response)
    assert not fresh(case.id).confirmations


# --- Rule 18: non-performance needs an outcome before closing -------------------------------


def test_closing_after_nonperformance_needs_outcome(world, login):
    case = not_performed(world)
    assert case.status == CaseStatus.FOLLOWED_UP
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(case, world["director1"], "close")
    assert "协议未全部履行的处理结果" in refused.value.message
    assert "第三十二条" in refused.value.message
    db.session.rollback()
    c = login("director1")
    response = c.post(f"/cases/{case.id}/actions/close", data={})
    assert response.status_code == 409 and "协议未全部履行的处理结果" in text(response)
    response = c.post(f"/cases/{case.id}/remedies", data={"note": ""})
    assert response.status_code == 400 and "请填写告知当事人的救济途径" in text(response)
    response = c.post(
        f"/cases/{case.id}/remedies", data={"note": "可以向人民法院提起诉讼，要求对方履行协议。"}
    )
    assert response.status_code == 302
    assert fresh(case.id).events[-1].kind == EventKind.REMEDIES_INFORMED
    assert c.post(f"/cases/{case.id}/actions/close", data={}).status_code == 302
    assert fresh(case.id).status == CaseStatus.CLOSED


def test_court_referral_is_an_outcome_for_closing(world):
    case = not_performed(world)
    agreements.refer_to_court(case, world["mediator1"], "引导当事人向人民法院起诉。")
    cases.apply_action(fresh(case.id), world["director1"], "close")
    assert fresh(case.id).status == CaseStatus.CLOSED


# --- Rule 15: rights told and recorded at acceptance -----------------------------------------


def test_acceptance_needs_rights_notice_acknowledged(world, login):
    case = make_case(world["mediator1"], rights_notice=False)
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(case, world["mediator1"], "accept")
    assert "权利义务告知书" in refused.value.message and "第二十三条" in refused.value.message
    db.session.rollback()
    c = login("mediator1")
    response = c.post(f"/cases/{case.id}/actions/accept", data={})
    assert response.status_code == 409 and "权利义务告知书" in text(response)
    page = text(c.get(f"/cases/{case.id}"))
    assert "受理前告知" in page and "rights-acknowledged" in page
    # Not acknowledged: refused next to the checkbox, the choice kept.
    response = post(c, f"/cases/{case.id}/rights-notice", "rights", publicity="private")
    assert response.status_code == 400 and "经当事人签收确认" in text(response)
    assert re.search(r'<option selected value="private">', text(response))
    response = post(c, f"/cases/{case.id}/rights-notice", "rights", acknowledged="y")
    assert response.status_code == 400 and "第二十九条" in text(response)
    response = post(
        c, f"/cases/{case.id}/rights-notice", "rights", acknowledged="y", publicity="private"
    )
    assert response.status_code == 302
    case = fresh(case.id)
    assert case.rights_notice_at is not None and case.publicity == Publicity.PRIVATE
    assert case.events[-1].kind == EventKind.RIGHTS_NOTICE
    assert c.post(f"/cases/{case.id}/actions/accept", data={}).status_code == 302
    assert fresh(case.id).status == CaseStatus.ACCEPTED
    assert "不公开调解" in text(c.get(f"/cases/{case.id}"))


def test_rights_notice_document_is_generated(world, login):
    case = make_case(world["mediator1"], rights_notice=False)
    response = login("mediator1").post(
        f"/cases/{case.id}/documents", data={"kind": "rights_notice"}
    )
    assert response.status_code == 302
    [document] = documents_of(fresh(case.id))
    assert document.kind == DocumentKind.RIGHTS_NOTICE


def test_initiative_mediation_needs_consent(world, login):
    case = make_case(world["mediator1"], source=Source.INITIATIVE, rights_notice=False)
    with pytest.raises(WorkflowError) as refused:
        cases.record_rights_notice(case, world["mediator1"], True, Publicity.PUBLIC, "")
    assert refused.value.status == 400 and "第十七条" in refused.value.message
    db.session.rollback()
    c = login("mediator1")
    assert "当事人同意主动调解的情况" in text(c.get(f"/cases/{case.id}"))
    response = post(
        c, f"/cases/{case.id}/rights-notice", "rights", acknowledged="y", publicity="public"
    )
    assert response.status_code == 400 and "主动调解须经当事人同意" in text(response)
    # The notice alone (as recorded before this rule) does not let the case be accepted.
    case = fresh(case.id)
    case.rights_notice_at, case.publicity = utcnow(), Publicity.PUBLIC
    db.session.commit()
    response = c.post(f"/cases/{case.id}/actions/accept", data={})
    assert response.status_code == 409 and "主动调解" in text(response)
    assert "第十七条" in text(response)
    response = post(
        c,
        f"/cases/{case.id}/rights-notice",
        "rights",
        acknowledged="y",
        publicity="public",
        consent="双方当事人书面同意由调委会调解。",
    )
    assert response.status_code == 302
    assert c.post(f"/cases/{case.id}/actions/accept", data={}).status_code == 302
    assert fresh(case.id).initiative_consent == "双方当事人书面同意由调委会调解。"


# --- Rule 17: risk duties are required -------------------------------------------------------


def test_risky_case_leaves_mediation_only_with_measure_report_or_reason(world, login, app):
    case = mediating(world, risk_level=RiskLevel.HIGH)
    for action in ("terminate", "withdraw"):
        with pytest.raises(WorkflowError) as refused:
            cases.apply_action(case, world["mediator1"], action, "调解不成。", "可以起诉。")
        assert "第二十五条" in refused.value.message
        db.session.rollback()
    with pytest.raises(WorkflowError, match="第二十五条"):
        agreements.reach_agreement(
            with_session(fresh(case.id), world["mediator1"]),
            world["mediator1"],
            AgreementKind.WRITTEN,
            WRITTEN,
            terms(),
        )
    db.session.rollback()
    c = login("mediator1")
    response = c.post(
        f"/cases/{case.id}/actions/terminate", data={"reason": "调解不成。", "route": "可以起诉。"}
    )
    assert response.status_code == 409 and "防控措施" in text(response)
    response = post(c, f"/cases/{case.id}/risk-reason", "rr", reason="")
    assert response.status_code == 400
    response = post(c, f"/cases/{case.id}/risk-reason", "rr", reason="经评估双方已无冲突可能。")
    assert response.status_code == 302
    assert fresh(case.id).events[-1].kind == EventKind.RISK_REASON
    response = c.post(
        f"/cases/{case.id}/actions/terminate", data={"reason": "调解不成。", "route": "可以起诉。"}
    )
    assert response.status_code == 302
    cases.apply_action(fresh(case.id), world["director1"], "close")
    # A closed high-risk case stays on the director's list for the follow-up period.
    assert case.id in [x.id for x in handling.attention_cases(world["director1"])]
    page = text(login("director1").get("/attention"))
    assert fresh(case.id).number in page
    case = fresh(case.id)
    case.closed_on = local_today() - timedelta(days=app.config["RISK_FOLLOW_UP_DAYS"] + 1)
    db.session.commit()
    assert case.id not in [x.id for x in handling.attention_cases(world["director1"])]


def test_measure_or_police_report_lets_risky_case_end(world):
    case = mediating(world, may_escalate=True)
    handling.record_risk_measure(case, world["mediator1"], "安排专人跟进。")
    cases.apply_action(fresh(case.id), world["mediator1"], "withdraw", "申请人撤回。")
    assert fresh(case.id).status == CaseStatus.WITHDRAWN


# --- Rule 11: deadlines ----------------------------------------------------------------------


def test_reopening_starts_new_period(world, login):
    case = not_performed(world)
    case.deadline = local_today() - timedelta(days=20)  # the first period ran out long ago
    db.session.commit()
    response = login("mediator1").post(
        f"/cases/{case.id}/actions/reopen", data={"reason": "被申请人未按期付款。"}
    )
    assert response.status_code == 302
    case = fresh(case.id)
    assert case.status == CaseStatus.MEDIATING and not case.is_overdue
    assert case.deadline == local_today() + timedelta(days=case.committee.deadline_days)
    event = case.last_event("reopen")
    assert event.details["changes"]["办理期限"][1] == case.deadline.isoformat()


def test_extension_records_consent(world, login):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    applicant, respondent = case.parties
    with pytest.raises(WorkflowError) as refused:
        agreements.extend_deadline(
            case, world["director1"], 10, "需要补充鉴定。", [applicant.id], "书面同意"
        )
    assert refused.value.status == 400 and respondent.name in refused.value.message
    assert "第十七条" in refused.value.message
    c = login("director1")
    assert "同意延长的当事人" in text(c.get(f"/cases/{case.id}"))
    response = c.post(
        f"/cases/{case.id}/extension",
        data={
            "days": "10",
            "reason": "需要补充鉴定。",
            "consenting": [applicant.id],
            "manner": "书面同意",
        },
    )
    assert response.status_code == 400 and "尚未同意" in text(response)
    assert "需要补充鉴定。" in text(response)  # nothing typed is lost
    response = c.post(
        f"/cases/{case.id}/extension",
        data={
            "days": "10",
            "reason": "需要补充鉴定。",
            "consenting": [applicant.id, respondent.id],
            "manner": "书面同意",
        },
    )
    assert response.status_code == 302
    case = fresh(case.id)
    assert applicant.name in case.extension_consent and "书面同意" in case.extension_consent
    event = case.events[-1]
    assert event.kind == EventKind.EXTENSION and event.details["同意方式"] == "书面同意"
    assert respondent.name in event.details["同意的当事人"]


# --- Rule 3: jurisdiction facts --------------------------------------------------------------


def test_dispute_place_and_party_district_recorded(world, login):
    c = login("mediator1")
    form = intake_form(
        dispute_place="示例县城关镇东街社区幸福路1号",
        **party(0, "applicant", "张三", address="东街社区幸福路1号", district="示例县城关镇"),
    )
    page = text(c.get("/cases/new"))
    assert 'name="dispute_place"' in page and 'name="parties-0-district"' in page
    response = c.post("/cases/new", data=form)
    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert case.dispute_place == "示例县城关镇东街社区幸福路1号"
    assert case.parties[0].district == "示例县城关镇"
    page = text(c.get(f"/cases/{case.id}"))
    assert "纠纷发生地" in page and "示例县城关镇东街社区幸福路1号" in page
    assert "住所地" in page
    # Statistics count the cases by where the applicants live.
    cases.apply_action(acknowledge_rights(fresh(case.id)), world["mediator1"], "accept")
    report = build_report(world["director1"], world.committees["东街"], current_period())
    assert [d for d, _ in report.by_district] == ["示例县城关镇"]
    stats = text(login("director1").get("/statistics"))
    assert "按申请人住所地" in stats and "示例县城关镇" in stats
    case = fresh(case.id)
    # Edits are on the timeline with their labels.
    cases.update_case(
        case,
        world["mediator1"],
        case.version,
        {"dispute_place": "示例县河西镇"},
        [p_dict(p) for p in case.parties],
    )
    assert "纠纷发生地" in fresh(case.id).events[-1].details["changes"]


def p_dict(p) -> dict:
    return {"id": p.id, "role": p.role, "kind": p.kind, "name": p.name, "district": p.district}


# --- Rule 2: the ground for not accepting ----------------------------------------------------


def test_rejection_cites_right_provision(world, login):
    case = make_case(world["mediator1"], other_authority=OtherAuthority.COURT)
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(case, world["mediator1"], "accept")
    message = refused.value.message
    assert "《人民调解工作若干规定》第二十二条" in message and "第十八条" not in message
    assert "第二十二条" in workflow.not_held_by_other_authority.__doc__
    db.session.rollback()
    response = login("mediator1").post(f"/cases/{case.id}/actions/accept", data={})
    assert response.status_code == 409 and "若干规定》第二十二条" in text(response)
