"""A resident on a phone, on the demo data: from the login page to their own case, its
progress, and the agreement they print again; a wrong guess is answered by the field."""

import re
import subprocess

import pytest
from sqlalchemy import select

from mediation.agreements import service as agreements
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Case,
    CaseStatus,
    DocumentKind,
    Performance,
    Satisfaction,
    User,
)
from mediation.models.base import local_today

pytestmark = pytest.mark.e2e


def _followed_up_case(mediator: User) -> Case:
    """A demo case just followed up. Which demo cases are at that step depends on today's
    date (the demo history ends today), so when none is, an agreed one with its written
    agreement in force is followed up now."""
    with_agreement = select(Case).join(Agreement, Agreement.case_id == Case.id).order_by(Case.id)
    case = db.session.scalars(with_agreement.where(Case.status == CaseStatus.FOLLOWED_UP)).first()
    if case is not None:
        return case
    agreed = db.session.scalars(
        with_agreement.where(
            Case.status == CaseStatus.AGREED,
            Agreement.kind == AgreementKind.WRITTEN,
            Agreement.status == AgreementStatus.EFFECTIVE,
        )
    ).first()
    handler = next((m.user for m in agreed.mediators if m.removed_at is None), mediator)
    agreements.record_follow_up(agreed, handler, {
        "visited_on": local_today(), "visited": "、".join(p.name for p in agreed.parties),
        "satisfaction": Satisfaction.SATISFIED, "opinions": "双方均表示满意。",
    }, {t.id: (Performance.PERFORMED, "") for t in agreed.agreement.terms})  # fmt: skip
    return agreed


def test_resident_looks_up_their_case_and_prints_the_agreement(
    demo_county, browser, live, tmp_path
):
    mediator = db.session.scalar(select(User).where(User.username == "mediator1"))
    case = _followed_up_case(mediator)
    party = next(p for p in case.parties if p.phone and p.is_person)
    handler = next((m.user for m in case.mediators if m.removed_at is None), mediator)
    issued = documents.generate_document(case, handler, DocumentKind.AGREEMENT,
                                         case.agreement.id)  # fmt: skip

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  base_url=live.url, accept_downloads=True)  # fmt: skip
    try:
        page = context.new_page()
        page.goto("/login")
        page.click("text=查询本人案件")
        page.fill("#number", case.number.replace("（", "(").replace("）", ")"))
        page.fill("#proof", "13900000000")
        page.click("form button[type=submit]")
        assert "案件编号与身份信息不符" in page.locator("main").inner_text()
        assert page.locator("#number").input_value().startswith("(")  # kept as typed

        page.fill("#proof", party.phone)
        page.click("form button[type=submit]")
        page.wait_for_url("**/portal/case")
        main = page.locator("main").inner_text()
        assert case.number in main and "已回访" in main and party.name in main
        assert page.locator(".progress li.current").inner_text().endswith("回访")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(tmp_path / "portal-case.png"), full_page=True)

        with page.expect_download() as download:
            page.click("text=下载打印：人民调解协议书")
        path = tmp_path / "agreement.pdf"
        download.value.save_as(path)
        # Identified by phone: a copy drawn for them, the others' ID numbers masked.
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert issued.code in text and "其他当事人的公民身份号码" in re.sub(r"\s+", "", text)
        for other in case.parties:
            if other.id != party.id and other.id_number:
                assert other.id_number not in text

        page.click("text=结束查询")
        assert "已结束查询" in page.locator("main").inner_text()
    finally:
        context.close()
