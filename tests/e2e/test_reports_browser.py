"""Statistics in a real browser, on the demo data: auditor1 opens 统计 from the menu, asks for
a quarter, follows a committee's row down, and exports the spreadsheet."""

import pytest
from openpyxl import load_workbook

from mediation import demo
from mediation.models.base import local_today

pytestmark = pytest.mark.e2e


def test_auditor_reads_a_quarter_and_exports_it(demo_county, page_as, tmp_path):
    today = local_today()
    quarter = (today.month + 2) // 3
    page = page_as("auditor1", demo.PASSWORD)
    page.click("nav >> text=统计")
    assert "城关镇司法所" in page.locator("h1").inner_text()  # this month, own unit

    page.select_option("#kind", "quarter")
    assert page.locator("#month").is_hidden() and page.locator("#quarter").is_visible()
    page.select_option("#quarter", str(quarter))
    page.click("form[aria-label='统计单位和期间'] button[type=submit]")
    page.wait_for_load_state()
    assert f"{today.year}年第{quarter}季度" in page.locator("h1").inner_text()
    accepted = page.locator(".stat-tiles div:has(dt:text-is('受理')) dd").inner_text()
    assert accepted.isdigit()

    page.click("table.stats a:text('东街社区人民调解委员会')")
    page.wait_for_load_state()
    assert "东街社区人民调解委员会" in page.locator("h1").inner_text()
    assert page.locator("#quarter").input_value() == str(quarter)  # the period is kept

    with page.expect_download() as download:
        page.click("text=导出 Excel 表格")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith(f"{today.year}-Q{quarter}.xlsx")
    sheet = load_workbook(path)["按单位"]
    assert "东街社区人民调解委员会" in sheet["A1"].value
