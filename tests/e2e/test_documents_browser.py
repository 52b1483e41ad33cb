"""The documents as a new user meets them, on the demo data: mediator1 prints the agreement of
a case, the PDF reads as a 人民调解协议书, and its printed QR code, decoded from the rendered
page, opens the public page saying the document is authentic."""

import re
import subprocess

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from mediation import demo
from mediation.extensions import db
from mediation.models import Agreement, AgreementKind, Case, CaseMediator, CaseStatus, User

pytestmark = pytest.mark.e2e


def pdf_text(path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", done.stdout.decode())


def qr_codes_on_first_page(path, tmp_path) -> list[str]:
    """Render page 1 as a 150 dpi greyscale print would look, and read every QR code on it."""
    stem = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", "1", "-l", "1",
                    "-singlefile", str(path), str(stem)], check=True)  # fmt: skip
    image = Image.open(f"{stem}.png")
    found = zxingcpp.read_barcodes(image)
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


def a_demo_agreement_of(username: str) -> Case:
    """A demo case mediator1 handles, with a written agreement, still being worked."""
    user = db.session.scalar(select(User).where(User.username == username))
    return db.session.scalars(
        select(Case)
        .join(CaseMediator, CaseMediator.case_id == Case.id)
        .join(Agreement, Agreement.case_id == Case.id)
        .where(CaseMediator.user_id == user.id, Agreement.kind == AgreementKind.WRITTEN,
               Case.status.in_([CaseStatus.AGREED, CaseStatus.FOLLOWED_UP]))
        .order_by(Case.id)
    ).first()  # fmt: skip


def test_mediator_prints_a_demo_agreement_and_its_qr_code_verifies(app, page_as, browser, live,
                                                                   tmp_path):  # fmt: skip
    assert demo.seed()
    case = a_demo_agreement_of("mediator1")
    assert case is not None, "the demo data has agreed cases for mediator1"
    parties = [p.name for p in case.parties]

    page = page_as("mediator1", demo.PASSWORD)
    page.goto(f"/cases/{case.id}")
    page.click("#documents form:has(input[name=kind][value=agreement]) button")
    page.wait_for_load_state()
    assert "已生成文书" in page.content()
    with page.expect_download() as download:
        page.click("#documents table.documents a:text('人民调解协议书')")
    pdf = tmp_path / "agreement.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename.startswith(case.number)

    text = pdf_text(pdf)
    for part in ("人民调解协议书", case.number, case.committee.name, "纠纷主要事实",
                 "履行方式", "履行期限", *parties):  # fmt: skip
        assert part in text, part
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:]]
    assert rows and all("Mediation-Song" in row[0] and row[-5] == "yes" for row in rows), rows

    # Scanning the printed code: what the phone reads is the public page of this document.
    codes = qr_codes_on_first_page(pdf, tmp_path)
    assert len(codes) == 1 and codes[0].startswith(live.url + "/verify/"), codes
    resident = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    try:
        phone = resident.new_page()
        phone.goto(codes[0])
        body = phone.locator("main").inner_text()
        assert "验证码有效" in body and case.number in body and "人民调解协议书" in body
        assert not any(name in body for name in parties if len(name) > 1)  # names are masked
        # The holder checks the copy they were given by uploading it.
        phone.set_input_files("input[type=file]", str(pdf))
        phone.click("form button[type=submit]")
        phone.wait_for_load_state()
        assert "相符：" in phone.locator("main").inner_text()
    finally:
        resident.close()
