"""Statistics the justice office reads (DOMAIN §5): every figure counted for a period and a
unit of the tree, who may read which unit, the page, and the spreadsheet read back."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.handling.service import record_police_report
from mediation.models.base import local_today, utcnow
from mediation.reports import service as reports
from mediation.reports.service import Period
from mediation.workflow import WorkflowError

from factories import make_case
from test_documents import archived_case


def this_month() -> Period:
    return reports.current_period("month")


def accepted(world, user="mediator1", **fields):
    case = make_case(world[user], **fields)
    cases.apply_action(case, world[user], "accept")
    return case


@pytest.fixture
def month_of_work(world):
    """One month of a committee's work, with a case of each outcome, and one elsewhere."""
    today, start = local_today(), this_month().start
    mediator = world["mediator1"]
    agreed = archived_case(world)  # agreed, signed, followed up (all performed), confirmed
    terminated = accepted(world)
    terminated.accepted_on, terminated.deadline = start, today - timedelta(days=1)
    db.session.commit()
    cases.apply_action(terminated, mediator, "start_mediation")
    cases.apply_action(terminated, mediator, "terminate", "调解不成。", "可以向法院起诉。")
    withdrawn = accepted(world)
    cases.apply_action(withdrawn, mediator, "withdraw", "申请人撤回。")
    overdue = accepted(world, is_group=True)
    overdue.deadline = today - timedelta(days=1)
    db.session.commit()
    record_police_report(overdue, world["director1"], utcnow(), "东街派出所")
    older = accepted(world)
    older.accepted_on = start - timedelta(days=1)
    older.deadline = today + timedelta(days=20)
    db.session.commit()
    accepted(world, "mediator2")  # 河西: another office
    return {"agreed": agreed, "terminated": terminated, "days": (today - start).days}


def figures(tally) -> dict:
    return {name: getattr(tally, name) for name, _, _ in reports.COLUMNS}


def test_every_figure_counts_its_outcome_in_the_period(world, month_of_work):
    office = world.offices["chengguan"]
    report = reports.build_report(world["auditor1"], office, this_month())
    expected = {
        "accepted": 4, "successful": 1, "terminated": 1, "concluded": 2, "success_rate": 0.5,
        "withdrawn": 1, "average_days": month_of_work["days"] / 2, "overdue_concluded": 1,
        "open": 2, "overdue_open": 1, "group": 1, "police": 1, "followed_up": 1,
        "performed": 1, "confirm_applied": 1, "confirmed": 0,
    }  # fmt: skip
    assert figures(report.total) == expected
    # One level down: the office's committees; only 东街 worked this month.
    rows = {unit.short_name: figures(tally) for unit, tally in report.by_unit}
    assert set(rows) == {"东街", "城关"} and rows["东街"] == expected
    assert rows["城关"]["accepted"] == 0 and rows["城关"]["success_rate"] is None
    categories = {c.label: t for c, t in report.by_category}
    assert categories["邻里纠纷"].accepted == 4 and categories["邻里纠纷"].successful == 1
    mediators = {user.name: t for user, _, t in report.by_mediator}
    assert mediators["李调解"].successful == 1 and mediators["李调解"].accepted >= 1
    assert "王调解" not in mediators  # 河西 is not below this office

    # The county sees both offices; a later month sees none of this month's acceptances.
    county = reports.build_report(world["auditor0"], world.bureau, this_month())
    by_office = {unit.name: tally.accepted for unit, tally in county.by_unit}
    assert by_office == {"城关镇司法所": 4, "河西镇司法所": 1} and county.total.accepted == 5
    last_month = this_month().start - timedelta(days=1)
    earlier = reports.build_report(
        world["auditor1"], office, Period("month", last_month.year, last_month.month)
    )
    assert earlier.total.accepted == 1 and earlier.total.concluded == 0  # the older case
    assert earlier.total.open == 1 and earlier.as_of == last_month


def test_a_reopened_case_is_open_again_and_a_unit_without_committees_has_empty_figures(
    world, login
):
    from test_documents import working_case

    case = working_case(world)  # agreed today
    cases.apply_action(case, world["mediator1"], "reopen", "被申请人未按期维修。")
    case.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    committee = world.committees["东街"]
    report = reports.build_report(world["director1"], committee, this_month())
    assert report.total.successful == 1  # it was agreed this month
    assert report.total.open == 1 and report.total.overdue_open == 1  # and is worked again
    cases.apply_action(case, world["mediator1"], "withdraw", "申请人撤回。")
    report = reports.build_report(world["director1"], committee, this_month())
    assert report.total.withdrawn == 1 and report.total.open == 0

    # A new office with nothing below it yet: its page shows zeros, not an error.
    from mediation.admin.service import create_org
    from mediation.models import OrgKind

    office = create_org(None, {"kind": OrgKind.OFFICE, "name": "新设司法所",
                               "parent_id": world.bureau.id})  # fmt: skip
    page = login("auditor0").get(f"/statistics?org={office.id}")
    assert page.status_code == 200 and tiles(page.get_data(as_text=True))["受理"] == "0"


def test_periods_run_from_their_first_to_their_last_day():
    assert (Period("month", 2024, 2).start, Period("month", 2024, 2).end) == (
        date(2024, 2, 1), date(2024, 2, 29))  # fmt: skip
    assert Period("month", 2025, 12).end == date(2025, 12, 31)
    assert (Period("quarter", 2025, 3).start, Period("quarter", 2025, 3).end) == (
        date(2025, 7, 1), date(2025, 9, 30))  # fmt: skip
    assert Period("quarter", 2025, 4).end == date(2025, 12, 31)
    assert Period("year", 2025).end == date(2025, 12, 31)
    assert Period("quarter", 2025, 2).label == "2025年第2季度"
    assert Period("month", 2025, 7).slug == "2025-07"


@pytest.mark.parametrize(
    ("kind", "year", "number", "field", "message"),
    [("week", 2025, 1, "kind", "请选择统计周期"), ("month", 1999, 1, "year", "年份应在"),
     ("month", 2025, 13, "month", "请选择月份"), ("quarter", 2025, 0, "quarter", "请选择季度")],
)  # fmt: skip
def test_a_wrong_period_is_refused_by_its_field(kind, year, number, field, message):
    with pytest.raises(WorkflowError) as refused:
        reports.make_period(kind, year, month=number, quarter=number)
    assert refused.value.field == field and message in refused.value.message


def test_a_period_not_yet_begun_is_refused():
    today = local_today()
    if today.month == 12:
        pytest.skip("no later month this year")
    with pytest.raises(WorkflowError, match="尚未开始"):
        reports.make_period("month", today.year, today.month + 1)


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def test_the_page_shows_the_figures_and_each_reader_their_units(world, login, month_of_work):
    now = this_month()
    query = f"?kind=month&year={now.year}&month={now.number}"
    page = login("auditor1").get("/statistics" + query)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "城关镇司法所" in html
    shown = tiles(html)
    assert shown["受理"] == "4" and shown["成功率"] == "50.0%" and shown["超期未结"] == "1"
    assert "东街社区人民调解委员会" in html and "河西" not in html.split("统计口径")[0]

    # A director reads their committee only; another unit is refused by the unit field.
    director = login("director1")
    html = director.get("/statistics").get_data(as_text=True)  # this month, own committee
    assert tiles(html)["受理"] == "4" and "城关镇司法所</option>" not in html
    hexi = world.committees["河西"].id
    refused = director.get(f"/statistics{query}&org={hexi}")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 404 and "不在您的统计范围内" in text
    assert login("auditor1").get(f"/statistics{query}&org={hexi}").status_code == 404
    for username in ("mediator1", "grid1", "admin"):
        assert login(username).get("/statistics").status_code == 403
    assert "/statistics" not in login("mediator1").get("/cases").get_data(as_text=True)

    # A wrong choice keeps the others and says what is wrong next to its field.
    wrong = login("auditor1").get(f"/statistics?kind=month&year={now.year}&month=13")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400
    month_field = html[html.index('data-field="month"') :]
    assert "请选择月份" in month_field[: month_field.index("</div>")]


def test_the_spreadsheet_holds_the_same_figures(world, login, month_of_work):
    now = this_month()
    response = login("auditor0").get(f"/statistics.xlsx?kind=year&year={now.year}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "按单位",
        "按纠纷类型",
        "按来源",
        "按住所地",
        "按调解员",
        "人民调解工作统计表",
    ]
    sheet = book["按单位"]
    assert "示例县司法局" in sheet["A1"].value and f"{now.year}年" in sheet["A1"].value
    header = [cell.value for cell in sheet[4]]
    assert header[:5] == ["单位", "受理", "调结", "调解成功", "成功率"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    older = int((now.start - timedelta(days=1)).year == now.year)  # accepted last month
    assert rows["城关镇司法所"][1] == 4 + older and rows["河西镇司法所"][1] == 1
    assert rows["合计"][1] == 5 + older and rows["合计"][4] == pytest.approx(0.5)
    assert sheet.cell(row=5, column=5).number_format == "0.0%"
    people = {row[0] for row in book["按调解员"].iter_rows(min_row=5, values_only=True)}
    assert {"李调解", "王调解"} <= people
