"""A case from registration to archive in a real browser, as director1 and mediator1."""

import re
from datetime import timedelta

import pytest
from browser import acknowledge_rights

from mediation.extensions import db
from mediation.models import Case, CaseStatus
from mediation.models.base import local_today

from factories import ID_FEMALE, ID_MALE
from test_documents import scan_pdf

pytestmark = pytest.mark.e2e


def click_action(page, name: str):
    page.click(f"form[action$='/actions/{name}'] button")
    page.wait_for_load_state()


def test_case_travels_from_registration_to_archive(world, page_as, tmp_path):
    mediator = page_as("mediator1")
    director = page_as("director1")

    # Registration by the mediator.
    mediator.goto("/cases/new")
    mediator.select_option("#category", "damages")
    mediator.fill("#summary", "被申请人饲养的犬只将申请人咬伤。")
    mediator.fill("#request", "请求赔偿医疗费。")
    mediator.fill("[name='parties-0-name']", "张三")
    mediator.fill("[name='parties-0-id_number']", ID_MALE)
    mediator.fill("[name='parties-1-name']", "李四")
    mediator.fill("[name='parties-1-id_number']", ID_FEMALE)
    mediator.click("button[name=save]")
    mediator.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = mediator.url
    case = db.session.scalars(db.select(Case)).one()

    # The director accepts and assigns mediator1 as lead.
    director.goto(case_url)
    acknowledge_rights(director)
    click_action(director, "accept")
    director.click("text=指派调解员")
    director.select_option("#mediator_id", label="李调解")
    director.check("#lead")
    director.click("form[action$='/mediators'] button[type=submit]")
    director.wait_for_load_state()
    assert "李调解" in director.locator(".col-side").inner_text()

    # The mediator starts, records a session, writes a two-term agreement.
    mediator.goto(case_url)
    click_action(mediator, "start_mediation")
    mediator.goto(case_url + "/sessions/new")
    mediator.fill("#place", "东街社区调解室")
    mediator.fill("#mediators", "李调解")
    mediator.fill("#attendees", "张三、李四")
    mediator.fill("#course", "双方陈述，调解员释法说理。")
    mediator.fill("#result", "双方同意赔偿方案。")
    mediator.click("button[type=submit].primary")
    mediator.wait_for_url(re.compile(r".*/cases/\d+(#.*)?$"))
    assert "东街社区调解室" in mediator.content()

    mediator.click("text=达成协议：填写调解协议")
    mediator.fill("#disputed_points", "医疗费赔偿数额。")
    mediator.fill("#responsibility", "被申请人未拴绳，负全部责任。")
    deadline = (local_today() + timedelta(days=10)).isoformat()
    for i, (content, amount) in enumerate([("赔偿医疗费", "2,300"), ("赔礼道歉", "")]):
        if i:
            mediator.click("button[name=add_term]")
            mediator.wait_for_load_state()
        mediator.fill(f"[name='terms-{i}-obligor']", "李四")
        mediator.fill(f"[name='terms-{i}-obligee']", "张三")
        mediator.fill(f"[name='terms-{i}-content']", content)
        mediator.fill(f"[name='terms-{i}-amount']", amount)
        mediator.fill(f"[name='terms-{i}-manner']", "当面交付")
        mediator.fill(f"[name='terms-{i}-deadline']", deadline)
    mediator.click("button[name=save]")
    mediator.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已达成协议" in mediator.locator(".page-head").inner_text()
    assert "2,300.00" in mediator.content()

    # The signed and sealed copy is uploaded: the agreement takes effect.
    scan = tmp_path / "签字盖章协议.pdf"
    scan.write_bytes(scan_pdf(1))  # a real page: uploads are rewritten, a stub is refused
    mediator.set_input_files("form[action$='/signed'] input[type=file]", str(scan))
    mediator.check("form[action$='/signed'] input[type=checkbox]")
    mediator.click("form[action$='/signed'] button[type=submit]")
    mediator.wait_for_load_state()
    assert "调解协议已生效" in mediator.content()

    # Follow-up: both terms performed.
    mediator.click("text=填写回访记录")
    mediator.select_option("#satisfaction", "satisfied")
    for i in range(2):
        mediator.select_option(f"[name='performances-{i}-status']", "performed")
    mediator.click("button[type=submit].primary")
    mediator.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已回访" in mediator.locator(".page-head").inner_text()

    # The director closes and archives.
    director.goto(case_url)
    click_action(director, "close")
    assert "已结案" in director.locator(".page-head").inner_text()
    click_action(director, "archive")
    assert "已归档" in director.locator(".page-head").inner_text()

    # Nothing can be changed any more.
    mediator.goto(case_url)
    assert mediator.locator("text=修改登记信息").count() == 0
    assert mediator.locator("form[action*='/actions/']").count() == 0
    mediator.goto(case_url + "/edit")
    assert "不能修改登记信息" in mediator.content()
    response = mediator.request.post(case_url + "/actions/reopen", form={"reason": "x"})
    assert response.status in (400, 403, 409)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.ARCHIVED
    assert case.agreement.is_effective and len(case.agreement.terms) == 2
