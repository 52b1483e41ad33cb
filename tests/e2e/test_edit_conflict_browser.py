"""Two tabs editing one case's registration, in a real browser: the conflict page shows
what both changed side by side, keeps every party one of them added or changed, and the
"use theirs" button takes the saved value."""

import re

import pytest

from mediation.extensions import db
from mediation.models import Case, PartyRole

from factories import make_case, person

pytestmark = pytest.mark.e2e


def test_conflict_page_shows_both_values_and_keeps_every_party(world, page_as, tmp_path):
    case = make_case(world["mediator1"], parties=[
        person(PartyRole.APPLICANT, "张三", phone="13812345678"),
        person(PartyRole.RESPONDENT, "李四", phone="13987654321"),
        person(PartyRole.RESPONDENT, "王五", address="东街社区5号"),
    ])  # fmt: skip
    tab_a = page_as("mediator1")
    tab_b = page_as("director1", width=360)
    for tab in (tab_a, tab_b):
        tab.goto(f"/cases/{case.id}/edit")

    tab_a.fill("[name='parties-1-phone']", "13700001111")
    tab_a.fill("#request", "甲：请求赔偿维修费三千元。")
    tab_a.on("dialog", lambda dialog: dialog.accept())  # "删除当事人“王五”？"
    tab_a.locator("[data-party]").nth(2).locator("[data-remove-party]").click()
    tab_a.click("[data-add-party=respondent]")
    tab_a.fill("[name='parties-2-name']", "赵六")  # the next free index
    tab_a.click("button[name=save]")
    tab_a.wait_for_url(re.compile(rf".*/cases/{case.id}$"))

    tab_b.fill("[name='parties-1-phone']", "13600002222")
    tab_b.fill("[name='parties-2-address']", "东街社区6号")
    tab_b.fill("#summary", "乙：补充了现场情况。")
    tab_b.click("button[name=save]")
    tab_b.wait_for_load_state()
    pair = tab_b.locator("[data-conflict-for='parties-1-phone']")
    assert "13700001111" in pair.locator(".theirs").inner_text()
    assert "13600002222" in pair.locator(".mine").inner_text()
    assert "对方已删除此当事人" in tab_b.locator(".row-conflict").inner_text()
    assert tab_b.input_value("#request") == "甲：请求赔偿维修费三千元。"
    assert tab_b.input_value("#summary") == "乙：补充了现场情况。"
    tab_b.screenshot(path=str(tmp_path / "conflict-360.png"), full_page=True)
    tab_b.set_viewport_size({"width": 1366, "height": 900})
    tab_b.screenshot(path=str(tmp_path / "conflict-1366.png"), full_page=True)

    pair.locator("[data-use-theirs]").click()
    assert tab_b.input_value("[name='parties-1-phone']") == "13700001111"
    tab_b.click("button[name=save]")
    tab_b.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    parties = {p.name: p for p in stored.parties}
    assert set(parties) == {"张三", "李四", "王五", "赵六"}
    assert parties["李四"].phone == "13700001111" and parties["王五"].address == "东街社区6号"
    assert stored.request == "甲：请求赔偿维修费三千元。"
    assert stored.summary == "乙：补充了现场情况。"


def test_a_restored_draft_is_merged_with_what_was_saved_since(world, page_as):
    """A draft typed before someone else saved, restored into a fresh page: its save is a
    refused, merged one, so it does not put back the old values the other person changed."""
    case = make_case(world["mediator1"])
    tab_a, tab_b = page_as("mediator1"), page_as("director1")
    tab_b.goto(f"/cases/{case.id}/edit")
    tab_b.fill("#summary", "乙：草稿里补充的情况。")
    tab_b.wait_for_timeout(600)  # the draft is saved a moment after typing stops
    tab_a.goto(f"/cases/{case.id}/edit")
    tab_a.fill("[name='parties-1-phone']", "13700001111")
    tab_a.click("button[name=save]")
    tab_a.wait_for_url(re.compile(rf".*/cases/{case.id}$"))

    tab_b.goto(f"/cases/{case.id}/edit")  # a fresh page (a reload would keep the inputs)
    tab_b.click("[data-restore]")
    assert tab_b.input_value("#summary") == "乙：草稿里补充的情况。"
    tab_b.click("button[name=save]")
    tab_b.wait_for_load_state()
    assert "您的保存未生效" in tab_b.locator(".conflict").inner_text()
    assert tab_b.input_value("[name='parties-1-phone']") == "13700001111"
    tab_b.click("button[name=save]")
    tab_b.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.summary == "乙：草稿里补充的情况。"
    assert stored.parties[1].phone == "13700001111"
