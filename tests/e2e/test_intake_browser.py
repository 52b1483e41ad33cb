"""The intake flow in a real browser: Debian's chromium, driven by Playwright."""

import re

import pytest
from browser import acknowledge_rights

from mediation.extensions import db
from mediation.models import Case, CaseStatus

from factories import ID_FEMALE, ID_MALE

pytestmark = pytest.mark.e2e


def fill_party(page, index: int, name: str, id_number: str = "", phone: str = ""):
    page.fill(f"[name='parties-{index}-name']", name)
    if id_number:
        page.fill(f"[name='parties-{index}-id_number']", id_number)
    if phone:
        page.fill(f"[name='parties-{index}-phone']", phone)


def fill_intake(page):
    page.goto("/cases/new")
    page.select_option("#category", "neighbour")
    page.fill("#summary", "两家因共用楼道堆放杂物发生争执。")
    page.fill("#request", "请求清理楼道杂物。")
    fill_party(page, 0, "张三", ID_MALE, "13812345678")
    fill_party(page, 1, "李四", ID_FEMALE, "13987654321")


def test_mediator_registers_accepts_and_starts_mediation(world, page_as, login):
    page = page_as("mediator1")
    fill_intake(page)
    # A third party added and removed again, without a round trip to the server.
    page.click("[data-add-party=respondent]")
    assert page.locator("[data-parties] [data-party]").count() == 3
    fill_party(page, 2, "王五")
    page.locator("[data-parties] [data-party]").nth(2).locator("[data-remove-party]").click()
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("[data-parties] [data-party]").nth(2).locator("[data-remove-party]").click()
    assert page.locator("[data-parties] [data-party]").count() == 2
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已登记案件" in page.content()
    number = page.locator("h1").inner_text()
    assert re.fullmatch(r"（\d{4}）东街调字第0001号", number)
    assert "张三" in page.content() and "3301**********0033" in page.content()

    acknowledge_rights(page)
    assert "已登记受理前告知" in page.content()
    page.click("form[action$='/actions/accept'] button")
    page.wait_for_load_state()
    assert "已受理：案件现为“已受理”。" in page.content()
    page.click("form[action$='/actions/start_mediation'] button")
    page.wait_for_load_state()
    assert page.locator(".page-head .status").inner_text() == "调解中"
    timeline = page.locator(".timeline").inner_text()
    assert "已受理 → 调解中" in timeline and "申请/上报 → 已受理" in timeline

    case = db.session.scalars(db.select(Case)).one()
    db.session.refresh(case)
    assert case.status == CaseStatus.MEDIATING and len(case.parties) == 2
    # Another committee's mediator cannot open it.
    other = page_as("mediator2")
    response = other.goto(f"/cases/{case.id}")
    assert response.status == 404 and "找不到页面" in other.content()


def test_wrong_id_number_is_shown_next_to_the_field_and_nothing_is_lost(world, page_as):
    page = page_as("mediator1")
    fill_intake(page)
    page.fill("[name='parties-1-id_number']", "110105194912310021")
    page.click("button[name=save]")
    page.wait_for_load_state()
    error = page.locator("#parties-1-id_number-error")
    assert error.inner_text() == "公民身份号码校验位不正确，请核对后重新填写。"
    party = page.locator("[data-party]").nth(1)
    assert party.locator(".has-error [name='parties-1-id_number']").count() == 1
    assert page.input_value("[name='parties-1-id_number']") == "110105194912310021"
    assert page.input_value("[name='parties-0-name']") == "张三"
    assert page.input_value("#summary") == "两家因共用楼道堆放杂物发生争执。"
    page.fill("[name='parties-1-id_number']", ID_FEMALE)
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))


def test_two_tabs_editing_the_same_case_conflict_without_losing_data(world, page_as):
    from factories import make_case

    case = make_case(world["mediator1"])
    tab_a = page_as("mediator1")
    tab_b = page_as("director1")
    for tab in (tab_a, tab_b):
        tab.goto(f"/cases/{case.id}/edit")
    tab_a.fill("#request", "甲：请求赔偿三千元。")
    tab_a.click("button[name=save]")
    tab_a.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    tab_b.fill("#summary", "乙：补充了现场情况。")
    tab_b.click("button[name=save]")
    tab_b.wait_for_load_state()
    conflict = tab_b.locator(".conflict").inner_text()
    assert "您的保存未生效" in conflict and "甲：请求赔偿三千元。" in conflict
    assert tab_b.input_value("#summary") == "乙：补充了现场情况。"
    assert tab_b.input_value("#request") == "甲：请求赔偿三千元。"
    tab_b.click("button[name=save]")
    tab_b.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.summary == "乙：补充了现场情况。" and stored.request == "甲：请求赔偿三千元。"


def test_draft_survives_a_reload(world, page_as):
    page = page_as("mediator1")
    fill_intake(page)
    page.click("[data-add-party=applicant]")
    fill_party(page, 2, "赵六")
    page.wait_for_timeout(600)  # the draft is saved a moment after typing stops
    page.reload()
    page.click("[data-restore]")
    assert page.input_value("[name='parties-2-name']") == "赵六"
    assert page.input_value("#summary") == "两家因共用楼道堆放杂物发生争执。"


def test_pages_fit_a_phone_screen(world, page_as):
    from factories import make_case

    case = make_case(world["mediator1"])
    pages = {
        "mediator1": ["/cases", "/cases/new", f"/cases/{case.id}", f"/cases/{case.id}/edit",
                      "/password"],
        "admin": ["/admin/users", "/admin/users/new", "/admin/orgs", "/admin/orgs/new"],
    }  # fmt: skip
    for username, paths in pages.items():
        page = page_as(username, width=360)
        for path in paths:
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
