"""Early warning in a real browser, on the demo data: auditor0 opens 预警研判 from the menu and
reads each case's reasons, sends a 督办 that the committee's director answers from 我的待办,
clicks a figure in a statistics chart and gets exactly those cases, and prints the 统计表."""

import re

import pytest

from mediation import demo
from mediation.models.base import local_today

pytestmark = pytest.mark.e2e

DIRECTORS = {"东街": "director1", "河西": "director2", "城关": "director3", "医疗": "director4"}


def test_auditor_reads_warnings_instructs_and_follows_a_chart(demo_county, page_as, tmp_path):
    page = page_as("auditor0", demo.PASSWORD)
    page.click("nav >> text=预警研判")
    assert "示例县司法局" in page.locator("h1").inner_text()
    first = page.locator("table.warnings tbody tr").first
    assert first.locator("ul.reasons li").count() >= 1  # every row says why
    committee = first.locator("td[data-label='调委会']").inner_text()
    first.locator("a.button:text('督办')").click()
    page.fill("#message", "请三日内上门走访并回复。")
    page.click("button:text('发送督办')")
    assert page.locator(".flash-success").is_visible()

    director = page_as(next(v for k, v in DIRECTORS.items() if k in committee), demo.PASSWORD)
    director.click("nav >> text=我的待办")
    director.click("a:text('回复督办')")
    director.click("button:text('提交回复')")  # empty: the browser refuses it (required)
    assert director.locator("#answer:invalid").count() == 1
    director.fill("#answer", "已上门走访，双方同意继续调解。")
    director.click("button:text('提交回复')")
    assert "已上门走访" in director.locator("main").inner_text()

    page.goto("/statistics?kind=year&year=" + str(local_today().year))
    bar = page.locator("#chart-category svg a").first
    figure = int(bar.get_attribute("data-figure"))
    bar.click()
    page.wait_for_load_state()
    assert re.search(rf"共 {figure} 件", page.locator("main").inner_text())
    assert page.locator("table.cases tbody tr").count() == min(figure, 20)

    page.goto("/statistics/official")
    page.emulate_media(media="print")
    pdf = tmp_path / "统计表.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True)
    assert pdf.stat().st_size > 10_000
    assert not page.locator("nav.nav").is_visible()  # the print stylesheet hides the menu
