"""The JSON API as a new administrator meets it (issue 14, "done means"): admin registers a
court client in the browser, issues a token and reads it once; a call with the token refers a
case to 东街, which director1 finds in the list and accepts; the reference page draws from
the vendored Swagger UI under the strict CSP. SCREENSHOT_DIR keeps the pictures."""

import json
import urllib.request

import pytest
from apiclient import referral
from browser import acknowledge_rights

from mediation.extensions import db
from mediation.models import ApiOutbox, Case, CaseStatus

pytestmark = pytest.mark.e2e


def test_admin_registers_a_court_and_its_referral_reaches_the_director(world, page_as, live, shots):
    admin = page_as("admin")
    admin.click("nav >> text=接口客户端")
    admin.click("text=登记接口客户端")
    admin.fill("#name", "城关区人民法院")
    admin.select_option("#kind", "court")
    admin.select_option("#unit_ids", str(world.offices["chengguan"].id))
    admin.fill("#callback_url", "http://127.0.0.1:9/callback")
    admin.screenshot(path=str(shots / "api-client-form.png"), full_page=True)
    admin.click("button:has-text('保存')")
    assert "已保存接口客户端 城关区人民法院" in admin.inner_text("body")
    admin.click("table a:has-text('城关区人民法院')")
    admin.fill("#days", "90")
    admin.click("button:has-text('签发新令牌')")
    token = admin.inner_text("#secret-value").strip()
    assert token.startswith("mdapi_")
    admin.screenshot(path=str(shots / "api-token-once.png"), full_page=True)
    admin.click("text=返回接口客户端")
    assert token not in admin.content()  # shown once: only its first characters now
    admin.screenshot(path=str(shots / "api-client-page.png"), full_page=True)

    request = urllib.request.Request(
        live.url + "/api/v1/referrals",
        data=json.dumps(referral(world.committees["东街"]), ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        case_id = json.loads(response.read())["id"]

    director = page_as("director1")
    director.goto(f"/cases/{case_id}")
    assert "城关区人民法院" in director.inner_text("body")
    acknowledge_rights(director)
    director.click("button:has-text('受理')")
    director.wait_for_load_state()
    director.screenshot(path=str(shots / "api-case-accepted.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Case, case_id).status == CaseStatus.ACCEPTED
    # The court's callback gets the change: it is queued in the outbox for the worker.
    queued = db.session.scalars(db.select(ApiOutbox)).all()
    assert [r.payload["to_status"] for r in queued] == ["accepted"]


def test_the_reference_page_draws_under_the_csp(browser, live, shots):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  base_url=live.url)  # fmt: skip
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector("text=移交（委派）一件纠纷")
    page.click("text=移交（委派）一件纠纷")
    page.wait_for_selector("text=（2026）浙0102民诉前调1234号")
    page.screenshot(path=str(shots / "api-docs.png"), full_page=False)
    assert [p for p in problems if "Content Security Policy" in p] == []
    context.close()
