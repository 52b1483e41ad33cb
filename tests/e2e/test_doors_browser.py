"""Doors in, on a 360 px phone (issue 13, parts 1–3): a resident finds the application on
the home page, applies to 东街, director1 accepts it and the resident's page shows it; grid1
files a report that becomes a case and a 零上报, and sees what became of them. Every page is
also drawn at 1366 px (SCREENSHOT_DIR keeps the pictures)."""

import pytest
from browser import acknowledge_rights, both_widths, phone
from sqlalchemy import select

from mediation.extensions import db
from mediation.grid import service as grids
from mediation.models import Case, CaseStatus, OnlineApplication

pytestmark = pytest.mark.e2e


def test_resident_applies_on_a_phone_and_follows_the_acceptance(world, browser, live, shots):
    world.committees["东街"].service_area = "东街社区、幸福路"
    world.committees["河西"].service_area = "河西村"
    db.session.commit()
    resident, page = phone(browser, live)
    director, desk = phone(browser, live, "director1")
    try:
        page.goto("/")
        assert "人民调解不收取任何费用" in page.locator("main").inner_text()
        both_widths(page, shots, "home")
        page.click("main >> text=网上申请调解")
        page.fill("#name", "张三")
        page.fill("#id_number", "330109198510120033")
        page.fill("#phone", "138 1234 5678")
        page.fill("#other_name", "李四")
        page.select_option("#category", "neighbour")
        page.fill("#summary", "楼上卫生间漏水，我家天花板发霉。")
        page.fill("#request", "请对方修好防水层。")
        page.fill("#place", "东街社区幸福路3号")
        selected = page.locator("#committee_id option:checked").inner_text()
        assert selected == "东街社区人民调解委员会"  # suggested from the place
        assert "按发生地推荐" in page.locator("[data-suggestion]").inner_text()
        page.click("button[type=submit]")  # no consent yet
        assert "请阅读说明后勾选同意" in page.locator("main").inner_text()
        assert page.locator("#summary").input_value() == "楼上卫生间漏水，我家天花板发霉。"
        both_widths(page, shots, "apply-refused")
        page.check("#consent")
        page.click("main button[type=submit]")
        page.wait_for_url("**/apply/done")
        receipt = page.locator("[data-receipt]").inner_text().strip()
        both_widths(page, shots, "applied")

        page.click("text=查询申请进展")
        page.fill("#number", receipt)
        page.fill("#proof", "13812345678")
        page.click("form button[type=submit]")
        page.wait_for_url("**/portal/case")
        assert "申请/上报" in page.locator("main").inner_text()
        assert "李" not in page.locator(".facts").inner_text()

        case = db.session.scalar(select(OnlineApplication)).case
        desk.goto("/cases")
        desk.click(f"text={case.number}")
        acknowledge_rights(desk)  # the 权利义务告知书 before acceptance (rule 15)
        desk.click("button:has-text('受理')")
        assert "已受理" in desk.locator("main").inner_text()

        page.reload()
        main = page.locator("main").inner_text()
        assert "已受理" in main and "将指派调解员" in main
        both_widths(page, shots, "portal-accepted")
    finally:
        resident.close()
        director.close()


def test_grid_worker_reports_and_zero_reports_on_a_phone(world, browser, live, shots):
    dongjie = world.committees["东街"].id
    first = {"committee_id": dongjie, "name": "东街第一网格", "worker_id": str(world["grid1"].id)}
    grids.create_grid(world["admin"], first)
    grids.create_grid(world["admin"], {"committee_id": dongjie, "name": "东街第二网格"})
    worker, page = phone(browser, live, "grid1")
    director, desk = phone(browser, live, "director1")
    admin, manage = phone(browser, live, "admin")
    try:
        assert page.url.endswith("/grid")
        page.click("main >> text=上报纠纷")
        page.fill("#place", "幸福路30号")
        page.fill("#parties", "房东王某、租户刘某")
        page.select_option("#category", "contract")
        page.fill("#summary", "租户称房东不退押金，双方争执。")
        page.select_option("#risk_level", "medium")
        both_widths(page, shots, "grid-report-form")
        page.click("main button[type=submit]")
        page.wait_for_url("**/grid")
        assert "待处理" in page.locator("main").inner_text()

        page.select_option("#week", index=1)  # 上周: nothing found
        page.click("text=排查未发现纠纷，零上报")
        assert "已零上报" in page.locator("main").inner_text()
        both_widths(page, shots, "grid-mine")

        desk.goto("/grid")
        desk.click("text=幸福路30号")
        both_widths(desk, shots, "grid-report-decide")
        desk.fill("#applicant", "刘某")
        desk.fill("#respondent", "王某")
        desk.click("button:has-text('转为案件')")
        assert "已转为案件" in desk.locator("main").inner_text()
        case = db.session.scalar(select(Case))
        assert case.status == CaseStatus.SUBMITTED

        desk.goto("/grid/matrix")
        row = desk.locator("tr:has-text('东街第一网格')").inner_text()
        assert "上报 1 件" in row and "零上报" in row
        assert "未上报" in desk.locator("tr:has-text('东街第二网格')").inner_text()
        both_widths(desk, shots, "grid-matrix")
        desk.goto("/statistics")
        assert "网格排查" in desk.locator("main").inner_text()
        desk.locator("#screening-h").scroll_into_view_if_needed()
        both_widths(desk, shots, "statistics-screening")

        page.reload()
        main = page.locator("main").inner_text()
        assert "已转为案件" in main and case.number in main and "零上报" in main
        manage.goto("/grid/manage")
        both_widths(manage, shots, "grid-manage")
    finally:
        worker.close()
        director.close()
        admin.close()
