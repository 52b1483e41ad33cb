"""案卷评查 in a real browser: auditor1 samples the quarter, returns a 东街 file with a
comment, director1 answers it from 我的待办, auditor1 passes it (合格)."""

import re

import pytest
from test_review import closed_case

pytestmark = pytest.mark.e2e


def test_auditor_returns_director_answers_auditor_passes(world, page_as):
    case = closed_case(world)
    auditor = page_as("auditor1")
    director = page_as("director1")

    # The auditor finds 案卷评查 in the menu and draws this quarter's sample.
    auditor.click("nav.nav >> text=案卷评查")
    auditor.click("nav.subnav >> text=季度抽查")
    auditor.fill("#seed", "e2e-seed")
    auditor.click("form.sample-form button[type=submit]")
    auditor.wait_for_url(re.compile(r".*/review/samples/\d+$"))
    assert "e2e-seed" in auditor.locator("code.seed").inner_text()
    auditor.click(f"text={case.number}")
    auditor.wait_for_url(re.compile(rf".*/review/cases/{case.id}$"))

    # Returned with a comment on the follow-up item.
    auditor.fill("#note_follow_up", "卷内未见回访记录，请补充。")
    auditor.check("input[name=verdict][value=returned]")
    auditor.click("form.verdict-form button[type=submit]")
    auditor.wait_for_load_state()
    assert "不合格（退回补正）" in auditor.locator(".flash").inner_text()
    assert "卷内未见回访记录" in auditor.locator(".review-history").inner_text()

    # The director sees it in 我的待办 and answers.
    director.click("nav.nav >> text=我的待办")
    director.click(f".todo-list >> text={case.number}")
    director.wait_for_url(re.compile(rf".*/review/cases/{case.id}$"))
    assert "卷内未见回访记录" in director.content()
    director.fill("#text", "已于结案前电话回访，补充回访情况说明如下：双方均已履行。")
    director.click("form.answer-form button[type=submit]")
    director.wait_for_load_state()
    assert "等待司法所复查" in director.locator(".flash").inner_text()

    # The auditor reviews again and passes it.
    auditor.goto(f"/review/cases/{case.id}")
    assert "双方均已履行" in auditor.locator(".review-history").inner_text()
    auditor.check("input[name=verdict][value=passed]")
    auditor.click("form.verdict-form button[type=submit]")
    auditor.wait_for_load_state()
    history = auditor.locator(".review-history").inner_text()
    assert "第2次评查：合格" in history and "第1次评查：不合格（退回补正）" in history
    assert auditor.locator("form.verdict-form").count() == 0
