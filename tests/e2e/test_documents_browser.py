"""The documents as a new user meets them, on the demo data: mediator1 prints the agreement of
a case, the PDF reads as a 人民调解协议书, and its printed QR code, decoded from the rendered
page, opens the public page saying the document is authentic; auditor1 downloads the case
file (卷宗) of an archived case, and its table of contents gives the right pages."""

import subprocess

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from mediation import demo
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import Agreement, AgreementKind, Case, CaseMediator, CaseStatus, User
from mediation.models import DocumentKind as K

from test_documents import HEADINGS, contents_of, flat, text_of

pytestmark = pytest.mark.e2e


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


def test_mediator_prints_a_demo_agreement_and_its_qr_code_verifies(
    demo_county, page_as, browser, live, tmp_path
):
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

    text = flat(text_of(pdf.read_bytes()))
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


def test_auditor_downloads_the_case_file_of_an_archived_demo_case(demo_county, page_as, tmp_path):
    case = db.session.scalars(  # one that went through agreement and follow-up
        select(Case).join(Agreement, Agreement.case_id == Case.id)
        .where(Case.status == CaseStatus.ARCHIVED).order_by(Case.id)
    ).first()  # fmt: skip
    assert case.follow_ups and case.agreement.is_effective
    # Archiving stored the case file (rule 19); the auditor draws a later version on demand.
    filed = [d for d in documents.documents_of(case) if d.kind == K.CASE_FILE]
    assert [d.version for d in filed] == [1]
    entries = documents._bindable(case)
    page = page_as("auditor1", demo.PASSWORD)
    page.goto(f"/cases/{case.id}")
    page.click("#documents form:has(input[name=kind][value=case_file]) button")
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.locator("#documents table.documents a:text('卷宗')").first.click()
    path = tmp_path / "case-file.pdf"
    download.value.save_as(path)
    pdf = path.read_bytes()
    newest = max(d.version for d in documents.documents_of(case) if d.kind == K.CASE_FILE)
    assert newest == 2

    total = len(PdfReader(path).pages)
    assert case.number in flat(text_of(pdf, 1))
    listed = contents_of(pdf)
    assert listed["卷内备考表"] == total - 1, listed  # then the back cover
    assert len(listed) >= len(entries) + 3, listed  # cover, contents, documents, notes
    # Every document starts on the page the contents give, and they come in order; a signed
    # agreement is its scan.
    pages = []
    for entry in entries:
        first = listed[entry.title.replace(" ", "")]
        signed = entry.kind == K.AGREEMENT and entry.record.is_effective
        heading = entry.title.split("（")[0] if entry.kind == K.AGREEMENT else HEADINGS[entry.kind]
        assert signed or heading in flat(text_of(pdf, first)), (entry.title, first)
        pages.append(first)
    assert pages == sorted(pages) and pages[0] == 3
    assert f"第{pages[-1]}页共{total}页" in flat(text_of(pdf, pages[-1]))
