"""Charts beside the statistics: every figure a chart shows equals the table's, and its link
lists exactly the cases it counts."""

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook
from test_reports import month_of_work, this_month  # noqa: F401 (a fixture)

from mediation.reports import service as reports
from mediation.reports.official import CATEGORY_COLUMNS, official_rows

# Every test here reads the month of work of test_reports (one case of each outcome).
pytestmark = pytest.mark.usefixtures("month_of_work")

FIGURE = re.compile(r'<a href="([^"]+)" data-figure="(\d+)"><title>([^：<]+)：')


def chart(html: str, name: str) -> list[tuple[str, int, str]]:
    """The (link, figure, label) of each bar of one chart on the statistics page."""
    start = html.index(f'id="chart-{name}"')
    block = html[start : html.index("</figure>", start)]
    return [(unescape(href), int(n), label) for href, n, label in FIGURE.findall(block)]


def listed(client, href: str) -> int:
    html = client.get(href).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 件", html).group(1))


def test_every_chart_figure_equals_the_table_and_the_linked_list(world, login):
    period = this_month()
    report = reports.build_report(world["auditor0"], world.bureau, period)
    client = login("auditor0")
    html = client.get("/statistics").get_data(as_text=True)

    categories = chart(html, "category")
    assert [(label, n) for _, n, label in categories] == [
        (c.label, t.accepted) for c, t in report.by_category
    ]
    sources = chart(html, "source")
    assert [(label, n) for _, n, label in sources] == [
        (s.label, t.accepted) for s, t in report.by_source
    ]
    rates = chart(html, "rate")
    assert [(label, n) for _, n, label in rates] == [
        (u.name, t.successful) for u, t in report.by_unit
    ]
    trend = chart(html, "trend")
    assert len(trend) == 12 and trend[-1][1] == report.total.accepted
    assert trend[-1][2] == f"{period.number}月"
    assert sum(n for _, n, _ in categories) == report.total.accepted > 0
    assert any(n for _, n, _ in rates)
    for href, n, _ in categories + sources + rates + trend[-3:]:
        assert href.startswith("/cases?")
        assert listed(client, href) == n, href


def test_a_town_office_charts_only_its_part_and_its_links_stay_in_scope(world, login):
    client = login("auditor1")
    html = client.get("/statistics").get_data(as_text=True)
    office = world.offices["chengguan"]
    report = reports.build_report(world["auditor1"], office, this_month())
    assert chart(html, "trend")[-1][1] == report.total.accepted
    for href, n, _ in chart(html, "category"):
        assert listed(client, href) == n
    # A link naming another unit lists nothing the reader may not see.
    hexi = world.offices["hexi"].id
    assert listed(client, f"/cases?org={hexi}") == 0
    assert listed(login("auditor0"), f"/cases?org={hexi}") == 1


def test_the_charts_need_no_script_or_inline_style(world, login):
    html = login("auditor0").get("/statistics").get_data(as_text=True)
    svg = html[
        html.index('class="charts"') : html.index("</section>", html.index('class="charts"'))
    ]
    assert "<svg" in svg and "<script" not in svg and "style=" not in svg


def test_the_official_table_holds_the_statistics_figures(world, login):
    report = reports.build_report(world["auditor0"], world.bureau, this_month())
    rows, total = official_rows(report)
    assert [r.name for r in rows] == [u.name for u, _ in report.by_unit]
    assert total["accepted"] == report.total.accepted
    assert sum(total[key] for key, _, _ in CATEGORY_COLUMNS) == report.total.accepted
    assert total["written"] + total["oral"] == report.total.successful == 1
    assert total["parties"] == 2 * report.total.accepted  # two parties to each case here
    for row in rows:
        assert sum(row[key] for key, _, _ in CATEGORY_COLUMNS) == row["accepted"]

    page = login("auditor0").get("/statistics/official")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "人民调解工作统计表" in html and "填表人" in html
    assert "data-print" in html and "<script" not in html.split("</head>")[1]

    now = this_month()
    query = f"kind=month&year={now.year}&month={now.number}"
    response = login("auditor0").get(f"/statistics.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(response.data))["人民调解工作统计表"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    total_row = next(v for v in values if v[0] == "合计")
    assert total_row[1] == report.total.accepted
    assert total_row[2:18] == [total[key] for key, _, _ in CATEGORY_COLUMNS]


def test_the_official_table_is_for_statistics_readers_only(world, login):
    for username in ("mediator1", "grid1", "admin"):
        assert login(username).get("/statistics/official").status_code == 403
    hexi = world.offices["hexi"].id
    assert login("auditor1").get(f"/statistics/official?org={hexi}").status_code == 404
    assert login("director1").get("/statistics/official").status_code == 200
