"""考核: each committee's and mediator's figures for a period, against hand-built cases, the
ranking, who may read it, and the spreadsheet read back."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import Verdict
from mediation.models.base import local_today
from mediation.oversight import assessment, service
from mediation.reports.service import current_period

from factories import make_case
from test_documents import archived_case, working_case


@pytest.fixture
def quarter_of_work(world):
    """东街 this quarter: A agreed, followed up (performed, satisfied), archived and passed
    by the review; B terminated after its deadline by mediator3, closed and returned by the
    review; C agreed on time, not yet visited. 河西 has a case of its own."""
    a = archived_case(world)
    service.give_verdict(a, world["auditor1"], Verdict.PASSED, "", {}, 0)
    b = make_case(world["mediator3"])
    cases.apply_action(b, world["mediator3"], "accept")
    b.accepted_on = current_period("quarter").start
    b.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    cases.apply_action(b, world["mediator3"], "start_mediation")
    cases.apply_action(b, world["mediator3"], "terminate", "调解不成。", "可以向法院起诉。")
    cases.apply_action(b, world["director1"], "close")
    service.give_verdict(b, world["auditor1"], Verdict.RETURNED, "终止告知书未送达。", {}, 0)
    c = working_case(world)
    other = make_case(world["mediator2"])
    cases.apply_action(other, world["mediator2"], "accept")
    return {"a": a, "b": b, "c": c}


def figures(score) -> dict:
    return {attr: getattr(score, attr) for attr, _, _ in assessment.COLUMNS}


def test_assessment_counts_each_figure_per_committee_and_mediator(world, quarter_of_work):
    found = assessment.build(
        world["auditor1"], world.offices["chengguan"], current_period("quarter")
    )
    rows = {org.short_name: (n, score) for n, org, score in found.committees}
    assert set(rows) == {"东街", "城关"}  # 河西 is another office
    assert figures(rows["东街"][1]) == {
        "accepted": 3,
        "concluded": 3,
        "successful": 2,
        "success_rate": 2 / 3,
        "on_time_rate": 2 / 3,
        "follow_up_rate": 0.5,
        "performance_rate": 1.0,
        "satisfaction_rate": 1.0,
        "reviewed": 2,
        "passed": 1,
        "basic": 0,
        "returned": 1,
        "review_pass_rate": 0.5,
    }
    assert rows["东街"][0] == 1 and rows["城关"][0] == 2  # no figure ranks last
    assert rows["城关"][1].concluded == 0 and rows["城关"][1].success_rate is None
    people = {u.username: (n, score) for n, u, _, score in found.mediators}
    assert set(people) == {"mediator1", "mediator3"}
    assert people["mediator1"][0] == 1 and people["mediator1"][1].success_rate == 1.0
    assert people["mediator3"][0] == 2 and people["mediator3"][1].on_time_rate == 0.0
    assert people["mediator3"][1].returned == 1


def test_assessment_ranks_by_the_chosen_rate(world, quarter_of_work):
    found = assessment.build(
        world["auditor1"], world.offices["chengguan"], current_period("quarter"), "review_pass_rate"
    )
    assert [u.username for _, u, _, _ in found.mediators] == ["mediator1", "mediator3"]
    assert found.sort == "review_pass_rate"
    assert (
        assessment.build(
            world["auditor1"], world.offices["chengguan"], current_period("quarter"), "nonsense"
        ).sort
        == "success_rate"
    )


@pytest.mark.parametrize(
    "username, status",
    [
        ("auditor1", 200),
        ("auditor0", 200),
        ("director1", 403),
        ("mediator1", 403),
        ("grid1", 403),
        ("admin", 403),
    ],
)
def test_assessment_page_is_for_auditors(world, login, username, status):
    assert login(username).get("/review/assessment").status_code == status


def test_assessment_page_and_spreadsheet_show_the_ranked_tables(world, login, quarter_of_work):
    c = login("auditor1")
    page = c.get("/review/assessment?kind=quarter").get_data(as_text=True)
    assert "调委会排名" in page and "东街社区人民调解委员会" in page and "66.7%" in page
    assert "河西村人民调解委员会" not in page
    hexi = world.offices["hexi"].id
    assert c.get(f"/review/assessment?org={hexi}").status_code == 404
    xlsx = c.get("/review/assessment.xlsx?kind=quarter")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    # The period's statistics first, then the ranked tables.
    assert book.sheetnames[-2:] == ["考核-调委会", "考核-调解员"]
    assert "按单位" in book.sheetnames
    sheet = book["考核-调委会"]
    header = [cell.value for cell in sheet[4]]
    first = dict(zip(header, [cell.value for cell in sheet[5]], strict=True))
    assert first["名次"] == 1 and first["调委会"] == "东街社区人民调解委员会"
    assert first["成功率"] == pytest.approx(2 / 3) and first["已评查"] == 2
    assert sheet.cell(row=5, column=header.index("成功率") + 1).number_format == "0.0%"
