"""The case page: masked personal data, the allowed actions only, refusals in Chinese."""

from sqlalchemy import event
from test_agreements import followed_up, with_session

from mediation.agreements import service as agreements
from mediation.cases import service
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    EventKind,
    Party,
    PartyRole,
    Performance,
    Satisfaction,
)
from mediation.models.base import local_today

from factories import ID_MALE, make_case, person


def page_of(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_id_numbers_and_phones_are_masked(world, login):
    case = make_case(world["mediator1"])
    page = page_of(login("auditor1"), case)
    assert "3301**********0033" in page and "138****5678" in page
    assert ID_MALE not in page and "13812345678" not in page
    assert "显示完整证件号和电话" not in page  # auditors do not work the case


def test_handler_may_reveal_and_the_viewing_is_logged(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    assert "显示完整证件号和电话" in page_of(c, case)
    response = c.post(f"/cases/{case.id}/personal", data={})
    page = response.get_data(as_text=True)
    assert ID_MALE in page and "13812345678" in page
    db.session.expire_all()
    events = db.session.get(Case, case.id).events
    assert events[-1].kind == EventKind.VIEWED_PERSONAL
    assert events[-1].user.username == "mediator1"


def test_outsider_in_scope_may_not_reveal(world, login):
    case = make_case(world["mediator1"])
    assert login("auditor0").post(f"/cases/{case.id}/personal", data={}).status_code == 403


def test_page_offers_only_allowed_actions(world, login):
    case = make_case(world["mediator1"])
    mediator = page_of(login("mediator1"), case)
    assert "/actions/accept" in mediator and "/actions/reject" in mediator
    assert "/actions/start_mediation" not in mediator
    auditor = page_of(login("auditor1"), case)
    assert "/actions/" not in auditor and "修改登记信息" not in auditor


def test_accept_and_start_mediation_through_the_page(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    response = c.post(f"/cases/{case.id}/actions/accept", data={})
    assert response.status_code == 302
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "已受理：案件现为“已受理”。" in page
    assert "办理期限至" in page and "/actions/start_mediation" in page
    c.post(f"/cases/{case.id}/actions/start_mediation", data={})
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.MEDIATING


def test_forged_post_gets_the_same_chinese_refusal(world, login):
    case = make_case(world["mediator1"])
    response = login("auditor1").post(f"/cases/{case.id}/actions/accept", data={})
    assert response.status_code == 403
    assert "您无权对本案件执行“受理”。" in response.get_data(as_text=True)
    response = login("mediator1").post(f"/cases/{case.id}/actions/start_mediation", data={})
    assert response.status_code == 409
    assert "案件当前状态为“申请/上报”，不能执行“开始调解”。" in response.get_data(as_text=True)
    response = login("mediator1").post(f"/cases/{case.id}/actions/reach_agreement", data={})
    assert response.status_code == 409
    response = login("mediator1").post(f"/cases/{case.id}/actions/no_such_thing", data={})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.SUBMITTED


def test_reject_without_route_keeps_the_reason_and_says_what_is_missing(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    response = c.post(f"/cases/{case.id}/actions/reject", data={"reason": "已向法院起诉。"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写告知当事人的解决途径。" in page
    assert "已向法院起诉。</textarea>" in page  # the typed reason is still there
    data = {"reason": "已向法院起诉。", "route": "请等待法院审理。"}
    assert c.post(f"/cases/{case.id}/actions/reject", data=data).status_code == 302
    page = page_of(c, case)
    assert "不予受理" in page and "告知途径：请等待法院审理。" in page


def test_refusal_then_start_is_refused_with_the_law(world, login):
    case = make_case(world["mediator1"])
    service.apply_action(case, world["mediator1"], "accept")
    c = login("mediator1")
    respondent = case.respondents[0]
    data = {"party_id": respondent.id, "note": "被申请人明确表示不接受调解。"}
    assert c.post(f"/cases/{case.id}/refusal", data=data).status_code == 302
    response = c.post(f"/cases/{case.id}/actions/start_mediation", data={})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "李四已明确拒绝调解" in page and "已拒绝调解" in page


def test_director_assigns_a_mediator(world, login):
    case = make_case(world["mediator1"])
    service.apply_action(case, world["director1"], "accept")
    c = login("director1")
    assert "指派调解员" in page_of(c, case)
    data = {"mediator_id": world["mediator3"].id, "lead": "y"}
    assert c.post(f"/cases/{case.id}/mediators", data=data).status_code == 302
    page = page_of(c, case)
    assert "孙调解" in page and "主办" in page
    # Not a mediator of this committee:
    data = {"mediator_id": world["mediator2"].id}
    response = c.post(f"/cases/{case.id}/mediators", data=data)
    assert response.status_code == 400 and "请选择本调委会的调解员" in response.get_data(True)
    assert login("mediator1").post(f"/cases/{case.id}/mediators", data=data).status_code == 403


def test_overdue_case_says_so(world, login):
    case = make_case(world["mediator1"])
    service.apply_action(case, world["mediator1"], "accept")
    from datetime import timedelta

    case.deadline = case.deadline - timedelta(days=40)
    db.session.commit()
    assert "本案已超过办理期限 10 天" in page_of(login("mediator1"), case)


def test_case_page_queries_do_not_grow_with_what_the_case_holds(world, login):
    """The case page asks in one query which of the case's collections hold rows and loads
    each one that does with one more (it ran a query per panel's relationship, 26 for a
    closed case): a case with three parties, two session records, an agreement and a
    follow-up is drawn within a bound, and more parties, records and visits add none."""
    case = followed_up(world)
    mediator = world["mediator1"]
    with_session(case, mediator)
    db.session.add(Party(case=case, position=2, **person(PartyRole.RESPONDENT, "王五")))
    db.session.commit()
    c = login("mediator1")

    def count() -> list[str]:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = page_of(c, case)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert "王五" in page and "回访" in page  # the panels drew what the case holds
        return statements

    few = count()
    assert len(few) <= 16, "\n".join(few)
    for n in range(3):
        with_session(case, mediator)
        db.session.add(Party(case=case, position=3 + n, **person(PartyRole.RESPONDENT, f"赵{n}")))
    db.session.commit()
    db.session.refresh(case)
    perf = {t.id: (Performance.PERFORMED, "") for t in case.agreement.terms}
    agreements.record_follow_up(case, mediator, {
        "visited_on": local_today(), "visited": "张三", "satisfaction": Satisfaction.SATISFIED,
        "opinions": "",
    }, perf)  # fmt: skip
    more = count()
    assert len(more) == len(few), "\n".join(more)
