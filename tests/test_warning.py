"""Early warning (预警研判): each reason against hand-built cases, repeat disputes across
committees within 12 months, 督办 sent and answered on the timeline and in 我的待办, the
weekly analysis, and who may see which of it."""

import re
from datetime import timedelta

import pytest

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementTerm,
    CaseEvent,
    CaseStatus,
    Category,
    EventKind,
    FollowUp,
    Instruction,
    PartyKind,
    PartyRole,
    Performance,
    RiskLevel,
    Satisfaction,
    TermPerformance,
)
from mediation.models.base import local_today
from mediation.warning import service as warning
from mediation.warning.service import is_rise

from factories import make_case, person

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(n: int) -> str:
    """A valid resident ID number of its own for each n (check digit computed)."""
    body = f"33010919850101{n:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check


def two_parties(n: int, address: str | None = None) -> list[dict]:
    return [
        person(
            PartyRole.APPLICANT,
            f"申请人{n}",
            id_number=id_number(2 * n),
            address=address or f"东街{n}号",
        ),
        person(
            PartyRole.RESPONDENT,
            f"被申请人{n}",
            id_number=id_number(2 * n + 1),
            address=f"西街{n}号",
        ),
    ]


def case_of(world, n: int, user: str = "mediator1", address: str | None = None, **fields):
    return make_case(world[user], two_parties(n, address), **fields)


def listed(world, user: str = "auditor0", unit=None) -> dict[int, set[str]]:
    found = warning.reasons_for(world[user], unit or world[user].org)
    return {case_id: set(reasons) for case_id, reasons in found.items()}


def with_unperformed_follow_up(world, case, status: Performance) -> None:
    """An agreement with one term and a follow-up finding the term in that state."""
    mediator = world["mediator1"]
    agreement = Agreement(
        case_id=case.id,
        kind=AgreementKind.ORAL,
        status=AgreementStatus.EFFECTIVE,
        reached_on=local_today(),
        created_by_id=mediator.id,
        oral_content="赔偿。",
    )
    term = AgreementTerm(
        obligor="被申请人",
        obligee="申请人",
        content="赔偿",
        manner="转账",
        deadline=local_today(),
    )
    agreement.terms.append(term)
    db.session.add(agreement)
    db.session.flush()
    visit = FollowUp(
        case_id=case.id,
        agreement_id=agreement.id,
        visited_on=local_today(),
        visitor_id=mediator.id,
        visited="申请人",
        satisfaction=Satisfaction.DISSATISFIED,
    )
    visit.performances.append(TermPerformance(term_id=term.id, status=status))
    db.session.add(visit)
    case.status = CaseStatus.AGREED
    db.session.commit()


def test_each_warning_reason_lists_its_cases(world):
    today = local_today()
    high = case_of(world, 1, risk_level=RiskLevel.HIGH)
    escalate = case_of(world, 2, may_escalate=True)
    group = case_of(world, 3, is_group=True)
    overdue = case_of(world, 4)
    cases.apply_action(overdue, world["mediator1"], "accept")
    overdue.deadline = today - timedelta(days=2)
    unperformed = case_of(world, 5)
    partly = case_of(world, 6)
    performed = case_of(world, 7)
    terminated = case_of(world, 8, risk_level=RiskLevel.HIGH)
    terminated.status = CaseStatus.TERMINATED
    closed_risky = case_of(world, 9, risk_level=RiskLevel.HIGH, may_escalate=True)
    closed_risky.status = CaseStatus.CLOSED
    plain = case_of(world, 10)
    db.session.commit()
    with_unperformed_follow_up(world, unperformed, Performance.NOT_PERFORMED)
    with_unperformed_follow_up(world, partly, Performance.PARTIAL)
    with_unperformed_follow_up(world, performed, Performance.PERFORMED)

    found = listed(world)
    assert found[high.id] == {"high_risk"}
    assert found[escalate.id] == {"may_escalate"}
    assert found[group.id] == {"group"}
    assert found[overdue.id] == {"overdue"}
    assert found[unperformed.id] == found[partly.id] == {"unperformed"}
    assert found[terminated.id] == {"terminated_risk"}
    for quiet in (performed, closed_risky, plain):
        assert quiet.id not in found
    text = warning.reasons_for(world["auditor0"], world.bureau)[overdue.id]["overdue"]
    assert "已超期2天" in text


def test_a_later_follow_up_that_found_everything_performed_clears_the_warning(world):
    case = case_of(world, 1)
    with_unperformed_follow_up(world, case, Performance.NOT_PERFORMED)
    assert "unperformed" in listed(world)[case.id]
    agreement = case.agreements[0]
    visit = FollowUp(
        case_id=case.id,
        agreement_id=agreement.id,
        visited_on=local_today(),
        visitor_id=world["mediator1"].id,
        visited="申请人",
        satisfaction=Satisfaction.SATISFIED,
    )
    visit.performances.append(
        TermPerformance(term_id=agreement.terms[0].id, status=Performance.PERFORMED)
    )
    db.session.add(visit)
    db.session.commit()
    assert case.id not in listed(world)


def test_repeat_dispute_by_id_number_across_two_committees(world):
    """Same ID number in a case of another committee (another town) within 12 months."""
    here = case_of(world, 1)
    there = make_case(
        world["mediator2"],
        [
            person(PartyRole.APPLICANT, "另案申请人", id_number=id_number(2), address="河西1组"),
            person(
                PartyRole.RESPONDENT, "另案被申请人", id_number=id_number(99), address="河西2组"
            ),
        ],
        registered_on=local_today() - timedelta(days=300),
    )
    found = listed(world)
    assert found[here.id] == {"repeat_party"}
    assert found[there.id] == {"repeat_party"}
    county = warning.reasons_for(world["auditor0"], world.bureau)[here.id]["repeat_party"]
    assert there.number in county
    # The town office sees that the other case exists, not its number (out of its scope).
    town = warning.reasons_for(world["auditor1"], world["auditor1"].org)[here.id]["repeat_party"]
    assert there.number not in town and "河西村人民调解委员会的案件" in town


def test_repeat_dispute_not_after_12_months(world):
    here = case_of(world, 1)
    make_case(
        world["mediator2"],
        [
            person(PartyRole.APPLICANT, "另案申请人", id_number=id_number(2), address="河西1组"),
            person(
                PartyRole.RESPONDENT, "另案被申请人", id_number=id_number(99), address="河西2组"
            ),
        ],
        registered_on=local_today() - timedelta(days=400),
    )
    assert here.id not in listed(world)


def test_repeat_dispute_at_the_same_place(world):
    here = case_of(world, 1, address="东街8号")
    there = case_of(world, 2, user="mediator2", address="东街8号")
    found = listed(world)
    assert found[here.id] == found[there.id] == {"repeat_place"}


# --- Pages and scope --------------------------------------------------------------------


@pytest.fixture
def risky(world):
    """A high-risk case in 东街 (城关 office) and one in 河西 (河西 office)."""
    return (
        case_of(world, 1, risk_level=RiskLevel.HIGH),
        case_of(world, 2, user="mediator2", risk_level=RiskLevel.HIGH),
    )


def test_the_county_sees_every_warning_with_its_reason(world, login, risky):
    page = login("auditor0").get("/warning/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert risky[0].number in html and risky[1].number in html
    assert "风险等级重大" in html and "预警研判" in html


def test_a_town_office_sees_only_its_part_of_the_tree(world, login, risky):
    client = login("auditor1")
    html = client.get("/warning/").get_data(as_text=True)
    assert risky[0].number in html and risky[1].number not in html
    hexi_office = world.offices["hexi"].id
    assert client.get(f"/warning/?org={hexi_office}").status_code == 404
    assert client.get(f"/warning/weekly?org={hexi_office}").status_code == 404
    assert client.get(f"/cases/{risky[1].id}/instruct").status_code == 404


@pytest.mark.parametrize("username", ["mediator1", "grid1", "admin", "director1"])
def test_only_auditors_see_early_warning(world, login, risky, username):
    client = login(username)
    assert client.get("/warning/").status_code == 403
    assert client.get("/warning/weekly").status_code == 403
    assert "预警研判" not in client.get("/cases").get_data(as_text=True)
    instruct = client.get(f"/cases/{risky[0].id}/instruct").status_code
    assert instruct in (403, 404)


def events(case, kind) -> list[CaseEvent]:
    db.session.expire_all()
    return [e for e in case.events if e.kind == kind]


def test_instruction_sent_and_answered_both_on_the_timeline(world, login, risky):
    case = risky[0]
    auditor = login("auditor1")
    sent = auditor.post(
        f"/cases/{case.id}/instruct",
        data={"message": "请三日内上门走访化解。", "seen": "0"},
    )
    assert sent.status_code == 302
    [event] = events(case, EventKind.INSTRUCTION)
    assert event.reason == "请三日内上门走访化解。" and event.user_id == world["auditor1"].id
    instruction = db.session.scalars(db.select(Instruction)).one()

    director = login("director1")
    todo = director.get("/todo").get_data(as_text=True)
    assert "督办待回复" in todo and "请三日内上门走访化解。" in todo
    assert "督办待回复" not in login("director2").get("/todo").get_data(as_text=True)

    url = f"/warning/instructions/{instruction.id}"
    empty = director.post(url, data={"answer": " ", "version": str(instruction.version)})
    assert empty.status_code == 400 and "请填写办理情况" in empty.get_data(as_text=True)
    assert not events(case, EventKind.INSTRUCTION_ANSWERED)
    assert "督办待回复" in director.get("/todo").get_data(as_text=True)

    answered = director.post(
        url, data={"answer": "已上门走访，双方情绪稳定。", "version": str(instruction.version)}
    )
    assert answered.status_code == 302
    [reply] = events(case, EventKind.INSTRUCTION_ANSWERED)
    assert reply.reason == "已上门走访，双方情绪稳定。" and reply.user_id == world["director1"].id
    assert "督办待回复" not in director.get("/todo").get_data(as_text=True)
    shown = auditor.get(f"/cases/{case.id}/instruct").get_data(as_text=True)
    assert "已上门走访，双方情绪稳定。" in shown
    timeline = auditor.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "督办" in timeline and "督办回复" in timeline


def test_a_second_answer_from_a_stale_page_is_a_conflict(world, login, risky):
    instruction = warning.send_instruction(risky[0], world["auditor1"], "请报告进展。", 0)
    version = str(instruction.version)
    director = login("director1")
    url = f"/warning/instructions/{instruction.id}"
    assert director.post(url, data={"answer": "已处理。", "version": version}).status_code == 302
    again = director.post(url, data={"answer": "第二次回复。", "version": version})
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "已经回复过了" in html and "第二次回复。" in html


def test_an_instruction_sent_meanwhile_is_a_conflict_and_keeps_the_text(world, login, risky):
    case = risky[0]
    auditor = login("auditor0")
    page = auditor.get(f"/cases/{case.id}/instruct").get_data(as_text=True)
    assert 'name="seen"' in page
    warning.send_instruction(case, world["auditor1"], "所里已督办。", 0)
    late = auditor.post(
        f"/cases/{case.id}/instruct", data={"message": "县局督办：尽快化解。", "seen": "0"}
    )
    html = late.get_data(as_text=True)
    assert late.status_code == 409 and "已有人对该案件发出了新的督办" in html
    assert "县局督办：尽快化解。" in html and "所里已督办。" in html
    assert len(events(case, EventKind.INSTRUCTION)) == 1


def test_who_may_read_and_answer_an_instruction(world, login, risky):
    instruction = warning.send_instruction(risky[0], world["auditor1"], "请报告进展。", 0)
    url = f"/warning/instructions/{instruction.id}"
    for username in ("director2", "mediator2", "auditor2", "grid1", "admin"):
        assert login(username).get(url).status_code == 404, username
    mediator = login("mediator1")
    assert mediator.get(url).status_code == 200
    assert mediator.post(url, data={"answer": "我来回复。", "version": "1"}).status_code == 403
    assert login("auditor1").post(url, data={"answer": "x", "version": "1"}).status_code == 403
    refused = login("mediator1").post(
        f"/cases/{risky[0].id}/instruct", data={"message": "x", "seen": "0"}
    )
    assert refused.status_code == 403
    assert not events(risky[0], EventKind.INSTRUCTION_ANSWERED)


# --- Weekly analysis ------------------------------------------------------------------------


def test_a_rise_is_half_again_the_four_weeks_before_and_at_least_three():
    assert is_rise([2, 2, 2, 2, 3], 4)
    assert not is_rise([2, 2, 2, 3, 3], 4)
    assert not is_rise([0, 0, 0, 0, 2], 4)
    assert is_rise([0, 0, 0, 0, 3], 4)
    assert not is_rise([5], 0)


def test_the_weekly_analysis_counts_new_disputes_and_flags_rises(world, login):
    today = local_today()
    for n in range(4):
        case_of(world, n, category=Category.LAND, registered_on=today)
    case_of(world, 10, category=Category.LAND, registered_on=today - timedelta(days=8))
    analysis = warning.weekly(world["auditor0"], None)
    land = next(r for r in analysis.by_category if r.key == Category.LAND)
    assert land.counts[-2:] == [1, 4] and land.rises[-1]
    html = login("auditor0").get("/warning/weekly").get_data(as_text=True)
    assert "上升" in html and "山林土地纠纷" in html
    first = today - timedelta(days=6)
    link = re.search(rf'href="(/cases\?[^"]*date_from={first}[^"]*category=land)">4<', html)
    assert link, "the week's figure links to its cases"
    listed_page = login("auditor0").get(link.group(1).replace("&amp;", "&"))
    assert "共 4 件" in listed_page.get_data(as_text=True)


def test_an_organisation_at_one_address_is_no_repeat_place(world):
    """A hospital is a party to many disputes at its own address: not the same place."""
    hospital = {
        "role": PartyRole.RESPONDENT,
        "kind": PartyKind.ORGANISATION,
        "name": "示例县医院",
        "address": "医院路1号",
        "legal_representative": "院长",
    }
    made = [
        make_case(
            world[user],
            [
                person(PartyRole.APPLICANT, f"患者{n}", id_number=id_number(n), address=f"村{n}组"),
                hospital,
            ],
        )
        for n, user in ((1, "mediator1"), (2, "mediator2"))
    ]
    assert not {c.id for c in made} & set(listed(world))


def test_the_list_narrows_to_one_reason(world, login, risky):
    overdue = case_of(world, 3)
    cases.apply_action(overdue, world["mediator1"], "accept")
    overdue.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    html = login("auditor0").get("/warning/?reason=overdue").get_data(as_text=True)
    assert overdue.number in html and risky[0].number not in html
    assert "共 1 件（超期未结）" in html


def test_a_mistyped_query_string_is_no_error(world, login, risky):
    client = login("auditor0")
    for query in ("org=abc", "reason=nonsense", "page=x", "page=99", "org=99999"):
        status = client.get(f"/warning/?{query}").status_code
        assert status == (404 if query == "org=99999" else 200), query
    instruct = f"/cases/{risky[0].id}/instruct"
    junk = client.post(instruct, data={"message": "请处理。", "seen": "abc"})
    assert junk.status_code == 409 and "请处理。" in junk.get_data(as_text=True)
