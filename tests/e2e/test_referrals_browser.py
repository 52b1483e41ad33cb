"""Referrals on a 360 px phone (issue 13, part 4): director1 registers a case 城关人民法院
referred, mediates it to its end (调解终止), prints the 反馈函 and reads it back, records the
sending, and finds the case in the list for the court's 协调 meeting. SCREENSHOT_DIR keeps
the pictures."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from browser import acknowledge_rights, snap

from mediation.extensions import db
from mediation.models import Case, CaseStatus, FeedbackMethod
from mediation.models.base import local_today

from factories import ID_FEMALE, ID_MALE

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
NUMBER = "（2026）示0102民诉前调456号"


def test_director_registers_a_court_referral_ends_it_and_feeds_back(world, page_as, shots):
    page = page_as("director1", width=PHONE["width"])
    page.set_viewport_size(PHONE)

    # The intake form shows the referral's fields only once a referred source is chosen.
    page.goto("/cases/new")
    assert not page.locator("[data-referral-fields]").is_visible()
    page.select_option("#category", "contract")
    page.select_option("#source", "court")
    assert page.locator("[data-referral-fields]").is_visible()
    page.fill("#summary", "装修合同尾款争议，法院立案前委派调解。")
    page.fill("#request", "请求支付装修尾款。")
    page.fill("[name='parties-0-name']", "张三")
    page.fill("[name='parties-0-id_number']", ID_MALE)
    page.fill("[name='parties-1-name']", "李四")
    page.fill("[name='parties-1-id_number']", ID_FEMALE)
    # Sent without the referral: refused next to its fields, nothing typed lost.
    page.click("button[name=save]")
    page.wait_for_load_state()
    assert "委派、移交的案件请填写对方的文号或案号。" in page.content()
    assert page.input_value("#summary") == "装修合同尾款争议，法院立案前委派调解。"
    snap(page, shots, "referrals-intake-refused")
    page.fill("#source_detail", "城关人民法院")
    page.fill("#reference_number", NUMBER)
    page.fill("#referred_on", (local_today() - timedelta(days=2)).isoformat())
    page.fill("#feedback_due", (local_today() + timedelta(days=20)).isoformat())
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = page.url
    assert "调解尚未结束" in page.locator("#referral").inner_text()

    # Accepted, mediated by the director himself, ended: 调解终止.
    acknowledge_rights(page)
    page.click("form[action$='/actions/accept'] button")
    page.wait_for_load_state()
    page.click("text=指派调解员")
    page.select_option("#mediator_id", label="周主任")
    page.click("form[action$='/mediators'] button[type=submit]")
    page.wait_for_load_state()
    page.click("form[action$='/actions/start_mediation'] button")
    page.wait_for_load_state()
    page.click("details.action:has(form[action$='/actions/terminate']) summary")
    page.fill("#reason-terminate", "被申请人坚持不同意支付尾款，调解不成。")
    page.fill("#route-terminate", "可向城关人民法院提起诉讼。")
    page.click("form[action$='/actions/terminate'] button[type=submit]")
    page.wait_for_load_state()
    assert "调解终止" in page.locator(".page-head").inner_text()
    assert "待反馈" in page.locator("#referral").inner_text()

    # The 反馈函 printed and read back: the court's number, our number, the outcome.
    page.click("#referral button:has-text('生成反馈函')")
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.click("#referral a:has-text('下载反馈函')")
    pdf = Path(download.value.path()).read_bytes()
    text = re.sub(r"\s+", "", subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True,
    ).stdout.decode())  # fmt: skip
    case = db.session.scalars(db.select(Case)).one()
    for part in ("人民调解情况反馈函", "城关人民法院：", NUMBER, case.number, "调解终止",
                 "被申请人坚持不同意支付尾款，调解不成。"):  # fmt: skip
        assert part in text, part
    page.locator("#referral").scroll_into_view_if_needed()
    snap(page, shots, "referrals-case-owed")

    # The sending recorded: a refusal first (no way chosen), by its field.
    page.click("#referral summary:has-text('登记反馈函送出')")
    page.fill("#feedback-note", "挂号信 XA123456789CN")
    page.click("form[action$='/feedback'] button[type=submit]")
    page.wait_for_load_state()
    assert "请选择送达方式。" in page.locator("#referral").inner_text()
    assert page.input_value("#feedback-note") == "挂号信 XA123456789CN"
    page.select_option("#feedback-method", "mail")
    page.click("form[action$='/feedback'] button[type=submit]")
    page.wait_for_load_state()
    panel = page.locator("#referral").inner_text()
    assert "已反馈" in panel and "邮寄" in panel
    assert "向委派/移交单位反馈" in page.locator(".timeline").inner_text()
    page.locator("#referral").scroll_into_view_if_needed()
    snap(page, shots, "referrals-case-sent")
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.TERMINATED
    assert case.referral.feedback_method == FeedbackMethod.MAIL

    # The court's list for the 协调 meeting links the case.
    page.goto("/referrals?body=城关人民法院")
    assert NUMBER in page.content() and "已反馈" not in page.locator("main h1").inner_text()
    snap(page, shots, "referrals-list")
    page.click(f"text={case.number}")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}#referral$"))
    assert page.url.startswith(case_url)
