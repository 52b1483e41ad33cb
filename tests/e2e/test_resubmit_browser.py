"""Sent twice in a real browser: a double click, the same form posted twice at once (what a
double click does where the page's script is not running), and Back + submit again, on
registration, a session record, an agreement and a follow-up. Each is done once, and the
person sees the first one's success, never an error."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_agreements import effective, mediating, with_session
from test_intake_browser import fill_intake

from mediation.extensions import db
from mediation.models import Agreement, Case, FollowUp, SessionRecord
from mediation.models.base import LOCAL_TZ, local_today, utcnow

pytestmark = pytest.mark.e2e

# The same form posted twice at the same moment by the browser itself, bypassing the
# button's own courtesy (app.js disables it after the first click): the server must cope.
POST_TWICE = """(selector) => {
  const form = document.querySelector(selector);
  const data = new FormData(form);
  const save = form.querySelector("button[name=save]");
  if (save) data.append(save.name, save.value);
  const send = () => fetch(form.action, {method: "POST", body: data, credentials: "same-origin"})
    .then((r) => r.text().then((text) => ({url: r.url, status: r.status, text: text})));
  return Promise.all([send(), send()]);
}"""


def rows(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def flash_text(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def assert_posted_twice_once(page, selector: str, model, before: int, message: str):
    answers = page.evaluate(POST_TWICE, selector)
    assert [a["status"] for a in answers] == [200, 200]
    assert answers[0]["url"] == answers[1]["url"]  # both sent to the one record made
    assert any(message in a["text"] for a in answers)
    assert not any('class="flash flash-error"' in a["text"] for a in answers)
    assert rows(model) == before + 1


def assert_back_and_again_once(page, button: str, url: re.Pattern, model, count: int, message):
    page.go_back()
    page.click(button)
    page.wait_for_url(url)
    assert message in flash_text(page)
    assert "flash-error" not in page.content()
    assert rows(model) == count


def test_registration_double_click_and_back_register_one_case(world, page_as):
    page = page_as("mediator1")
    fill_intake(page)
    page.dblclick("button[name=save]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case = db.session.scalars(select(Case)).one()
    assert f"已登记案件 {case.number}。" in flash_text(page)
    assert rows(Case) == 1
    assert_back_and_again_once(
        page, "button[name=save]", re.compile(rf".*/cases/{case.id}$"), Case, 1,
        f"已登记案件 {case.number}。",
    )  # fmt: skip
    fill_intake(page)
    page.fill("#summary", "另一起纠纷：院墙倒塌。")  # another dispute: the same content is one post
    assert_posted_twice_once(page, "form.case-form", Case, 1, "已登记案件")


def fill_session(page, case_id: int):
    page.goto(f"/cases/{case_id}/sessions/new")
    held = (utcnow() - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    page.fill("#held_at", held)
    page.fill("#place", "东街社区调解室")
    page.fill("#course", "张三陈述漏水经过；李四同意检查防水层。")
    page.fill("#result", "双方同意周六共同查看。")


def test_session_record_double_click_and_back_save_one_record(world, page_as):
    case = mediating(world)
    page = page_as("mediator1")
    fill_session(page, case.id)
    page.dblclick("button[name=save]")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}#session-\d+$"))
    assert "已保存调解记录" in flash_text(page)
    assert rows(SessionRecord) == 1
    assert_back_and_again_once(
        page, "button[name=save]", re.compile(rf".*/cases/{case.id}#session-\d+$"),
        SessionRecord, 1, "已保存调解记录",
    )  # fmt: skip
    fill_session(page, case.id)
    page.fill("#result", "双方同意下周再谈。")  # another session: the same content is one post
    assert_posted_twice_once(page, "form.record-form", SessionRecord, 1, "已保存调解记录")


def fill_agreement(page, case_id: int):
    page.goto(f"/cases/{case_id}/agreement/new")
    page.fill("#disputed_points", "漏水维修责任。")
    page.fill("#responsibility", "李四负责维修。")
    page.fill("[name='terms-0-obligor']", "李四")
    page.fill("[name='terms-0-obligee']", "张三")
    page.fill("[name='terms-0-content']", "赔偿维修费")
    page.fill("[name='terms-0-manner']", "银行转账")
    page.fill("[name='terms-0-deadline']", (local_today() + timedelta(days=7)).isoformat())


def test_agreement_double_click_and_back_save_one_agreement(world, page_as):
    case = with_session(mediating(world), world["mediator1"])
    page = page_as("mediator1")
    fill_agreement(page, case.id)
    page.dblclick("button[name=save]")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    assert "已记录调解协议" in flash_text(page)
    assert rows(Agreement) == 1
    assert_back_and_again_once(
        page, "button[name=save]", re.compile(rf".*/cases/{case.id}$"), Agreement, 1,
        "已记录调解协议",
    )  # fmt: skip
    other = with_session(mediating(world), world["mediator1"])
    fill_agreement(page, other.id)
    assert_posted_twice_once(page, "form.agreement-form", Agreement, 1, "已记录调解协议")


def fill_follow_up(page, case_id: int, terms: int):
    page.goto(f"/cases/{case_id}/follow-ups/new")
    page.select_option("#satisfaction", "satisfied")
    for i in range(terms):
        page.select_option(f"[name='performances-{i}-status']", "performed")


def test_follow_up_double_click_and_back_save_one_follow_up(world, page_as):
    case = effective(world)
    terms = len(case.agreement.terms)
    page = page_as("mediator1")
    fill_follow_up(page, case.id, terms)
    submit = "main form[method=post] button.primary"
    page.dblclick(submit)
    page.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    assert "已记录回访" in flash_text(page)
    assert rows(FollowUp) == 1
    assert_back_and_again_once(
        page, submit, re.compile(rf".*/cases/{case.id}$"), FollowUp, 1, "已记录回访"
    )
    fill_follow_up(page, case.id, terms)
    page.fill("#opinions", "第二次回访，双方无新意见。")  # another visit, not the same post
    assert_posted_twice_once(page, "main form[method=post]", FollowUp, 1, "已记录回访")
