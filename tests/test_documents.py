"""Official documents (DOMAIN §3): every PDF is read back with pypdf and poppler's tools, the
stored versions, the public verification page and the case file (卷宗) bound from them."""

import hashlib
import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
import segno
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage

from mediation.agreements import service as agreements
from mediation.cases import service as cases
from mediation.documents import service as documents
from mediation.documents.render import qr_data_uri, render_pdf
from mediation.extensions import db
from mediation.models import (
    AgreementKind,
    AttachmentKind,
    CaseStatus,
    DocumentKind,
    PartyKind,
    PartyRole,
    Performance,
    Satisfaction,
)
from mediation.models.base import local_today, utcnow
from mediation.records.attachments import store_attachment
from mediation.records.service import record_investigation, record_session
from mediation.workflow import WorkflowError

from factories import ID_FEMALE, ID_MALE, make_case, person

K = DocumentKind
# Rare surname characters (乜, 亓 in GB 2312; 㛃 in Extension A) and full-width punctuation.
APPLICANT = "乜㛃"
RESPONDENT = "亓官"


def text_of(pdf: bytes, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    done = subprocess.run([*args, "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def flat(text: str) -> str:
    """pdftotext output without the spaces and line breaks layout puts inside sentences."""
    return re.sub(r"\s+", "", text)


def fonts_of(pdf: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    return [line.split() for line in out.stdout.splitlines()[2:]]


def contents_of(pdf: bytes) -> dict[str, int]:
    """The case file's table of contents (page 2): entry title → the page it says (a remark
    may follow the page number)."""
    listed = {}
    for line in text_of(pdf, 2).splitlines():
        match = re.match(r"\s*(\d+)\s+(\S.*?)\s+(\d+)(\s{2,}\S.*)?\s*$", line)
        if match:
            listed[match.group(2).replace(" ", "")] = int(match.group(3))
    return listed


# The title each kind of document carries on its first page.
HEADINGS = {
    K.APPLICATION: "人民调解申请书", K.REGISTRATION: "人民调解受理登记表",
    K.INVESTIGATION: "人民调解调查记录", K.SESSION: "人民调解记录", K.AGREEMENT: "人民调解协议书",
    K.TERMINATION: "调解终止告知书", K.FOLLOW_UP: "人民调解回访记录",
    K.CONFIRMATION: "司法确认申请书", K.RIGHTS_NOTICE: "人民调解权利义务告知书",
}  # fmt: skip


def scan_pdf(pages: int = 2) -> bytes:
    body = "".join(f'<p style="break-before: page">扫描页{n}</p>' for n in range(1, pages + 1))
    return render_pdf(f'<html><body style="font-family: Mediation Song">{body}</body></html>')


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def working_case(world):
    """A case mediated up to a written agreement awaiting signature, with rare characters."""
    mediator = world["mediator1"]
    case = make_case(mediator, [
        person(PartyRole.APPLICANT, APPLICANT, id_number=ID_MALE, phone="13812345678",
               address="东街1号（东单元）"),
        person(PartyRole.RESPONDENT, RESPONDENT, id_number=ID_FEMALE, phone="13987654321"),
    ], summary="楼上漏水，导致楼下天花板受损；双方协商未果。")  # fmt: skip
    cases.apply_action(case, mediator, "accept")
    cases.apply_action(case, mediator, "start_mediation")
    held = utcnow() - timedelta(hours=3)
    record_investigation(case, mediator, {
        "held_at": held, "place": "东街1号", "investigator": "李调解",
        "person_questioned": "物业王经理", "content": "经查看，漏水点位于楼上卫生间。",
    })  # fmt: skip
    record_session(case, mediator, {
        "held_at": held + timedelta(hours=1), "place": "调解室", "mediators": "李调解",
        "attendees": f"{APPLICANT}、{RESPONDENT}", "course": "双方陈述，调解员释法说理。",
        "result": "双方达成一致意见。",
    })  # fmt: skip
    terms = [
        {"obligor": RESPONDENT, "obligee": APPLICANT, "content": "维修楼下天花板",
         "amount": None, "manner": "自行雇工维修", "deadline": local_today() + timedelta(days=10)},
        {"obligor": RESPONDENT, "obligee": APPLICANT, "content": "赔偿损失",
         "amount": 1500, "manner": "银行转账", "deadline": local_today() + timedelta(days=20)},
    ]  # fmt: skip
    agreements.reach_agreement(case, mediator, AgreementKind.WRITTEN, {
        "facts": "楼上卫生间防水层破损漏水。", "disputed_points": "维修责任与赔偿数额。",
        "responsibility": f"{RESPONDENT}承担全部责任。",
    }, terms)  # fmt: skip
    return case


def archived_case(world):
    """Signed (a 2-page PDF scan), followed up, confirmed, with a photo; closed and archived."""
    case = working_case(world)
    mediator = world["mediator1"]
    agreements.confirm_signed(case, mediator, case.agreement, upload(scan_pdf(2), "签字.pdf"), True)
    png = segno.make("photo").png_data_uri(scale=8)
    import base64

    photo = base64.b64decode(png.split(",", 1)[1])
    store_attachment(case, mediator, upload(photo, "现场.png"), AttachmentKind.PHOTO)
    perf = {t.id: (Performance.PERFORMED, "已付清") for t in case.agreement.terms}
    agreements.record_follow_up(case, mediator, {
        "visited_on": local_today(), "visited": APPLICANT, "satisfaction": Satisfaction.SATISFIED,
        "opinions": "满意。",
    }, perf)  # fmt: skip
    agreements.apply_for_confirmation(case, mediator, local_today(), "示例县人民法院")
    cases.apply_action(case, world["director1"], "close")
    cases.apply_action(case, world["director1"], "archive")
    return case


COMPANY = "示例县安居物业服务有限责任公司"


def organisation_case(world, archive: bool = True):
    """A demo-like case: a person against a company (represented by its legal
    representative and an agent), a neighbour present at the session, a written agreement
    with a place of performance, signed, followed up with a risk found, court confirmation
    applied for; every document generated; closed and archived."""
    mediator = world["mediator1"]
    case = make_case(mediator, [
        person(PartyRole.APPLICANT, APPLICANT, id_number=ID_MALE, phone="13812345678",
               address="东街1号（东单元）", sex=None, occupation="退休职工"),
        {"role": PartyRole.RESPONDENT, "kind": PartyKind.ORGANISATION, "name": COMPANY,
         "legal_representative": "宋美华", "address": "示例县城关镇东街88号",
         "phone": "0571-88886666"},
    ], summary="物业公司维修水管时损坏申请人家中地板，双方就赔偿数额协商未果。",
       request="请求被申请人赔偿地板维修费用。")  # fmt: skip
    cases.apply_action(case, mediator, "accept")
    cases.apply_action(case, mediator, "start_mediation")
    held = utcnow() - timedelta(hours=3)
    record_investigation(case, mediator, {
        "held_at": held, "place": "东街1号", "investigator": "李调解",
        "person_questioned": "邻居王五", "content": "经查看，地板有三处水渍和开裂。",
    })  # fmt: skip
    record_session(case, mediator, {
        "held_at": held + timedelta(hours=1), "place": "东街社区调解室", "mediators": "李调解",
        "attendees": f"{APPLICANT}、宋美华、王五", "course": "双方陈述，调解员释法说理。",
        "result": "双方达成一致意见。",
    })  # fmt: skip
    terms = [
        {"obligor": COMPANY, "obligee": APPLICANT, "content": "赔偿地板维修费用。",
         "amount": Decimal("1500"), "manner": "银行转账",
         "deadline": local_today() + timedelta(days=20), "place": "东街社区人民调解委员会"},
        {"obligor": COMPANY, "obligee": APPLICANT, "content": "检修楼内水管，保证不再漏水。",
         "amount": None, "manner": "自行雇工维修", "deadline": local_today() + timedelta(days=10),
         "place": "东街1号"},
    ]  # fmt: skip
    agreement = agreements.reach_agreement(case, mediator, AgreementKind.WRITTEN, {
        "facts": "物业公司维修水管时损坏地板。", "disputed_points": "赔偿数额。",
        "responsibility": "被申请人承担全部责任。",
        "agents": f"{COMPANY}的委托代理人：钱律师（示例律师事务所律师）",
    }, terms)  # fmt: skip
    for entry in documents.entries(case):
        documents.generate_document(case, mediator, entry.kind, entry.source_id)
    agreements.confirm_signed(case, mediator, agreement, upload(scan_pdf(2), "签字.pdf"), True)
    store_attachment(case, mediator, upload(scan_pdf(1), "身份证.pdf"), AttachmentKind.IDENTITY)
    perf = {t.id: (Performance.PERFORMED, "已付清") for t in agreement.terms}
    agreements.record_follow_up(case, mediator, {
        "visited_on": local_today(), "visited": APPLICANT, "satisfaction": Satisfaction.SATISFIED,
        "opinions": "满意。", "reason": "履行期限届满回访", "risks": "楼上另一户也有渗水。",
        "measures": "已通知物业一并检修。",
    }, perf)  # fmt: skip
    agreements.apply_for_confirmation(case, mediator, local_today(), "示例县人民法院")
    for entry in documents.entries(case):
        if entry.kind in (K.FOLLOW_UP, K.CONFIRMATION):
            documents.generate_document(case, mediator, entry.kind, entry.source_id)
    if archive:
        cases.apply_action(case, world["director1"], "close")
        cases.apply_action(case, world["director1"], "archive")
    return case


def panel(app, case, user) -> str:
    """The case page's documents panel as that user sees it."""
    from flask import g, render_template
    from flask_login import login_user

    with app.test_request_context():
        login_user(user)
        try:
            return render_template("documents/_case_panel.html", case=case)
        finally:  # the test's app context outlives the request: forget the user
            g.pop("_login_user", None)


def test_agreement_pdf_has_every_art29_field_and_embedded_fonts(world, tmp_path):
    case = working_case(world)
    doc = documents.generate_document(case, world["mediator1"], K.AGREEMENT, case.agreement.id)
    pdf = documents.read_document(doc)
    assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and doc.size == len(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == doc.pages and reader.pages[0].mediabox.width == pytest.approx(
        595.28, abs=0.5
    )
    text = flat(text_of(pdf))
    for expected in (
        "人民调解协议书", case.number, APPLICANT, RESPONDENT, ID_MALE, "东街1号（东单元）",
        "楼上卫生间防水层破损漏水。", "维修责任与赔偿数额。", f"{RESPONDENT}承担全部责任。",
        "维修楼下天花板", "自行雇工维修", "赔偿损失", "1,500.00", "银行转账",
        f"{(local_today() + timedelta(days=20)):%Y}年",
        "本协议书一式三份，当事人各执一份，人民调解委员会留存一份。",
        f"申请人{APPLICANT}（签名或按指印）", f"被申请人{RESPONDENT}（签名或按指印）",
        "人民调解员李调解（签名）", "（调委会印章）", "第二十九条", "第三十三条",
        f"第1页共{doc.pages}页", doc.code,
    ):  # fmt: skip
        assert expected in text, expected
    deadline = local_today() + timedelta(days=10)
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日前" in text
    rows = fonts_of(pdf, tmp_path)
    assert rows and all(row[-5] == "yes" for row in rows), rows  # emb column
    names = {row[0].split("+")[-1] for row in rows}
    assert names <= {"Mediation-Song", "Mediation-Song-Bold", "Mediation-Song-Ext"}, names
    assert "Mediation-Song-Ext" in names  # 㛃 came from the shipped extension font


def test_an_organisation_party_seals_and_its_representative_signs(world, tmp_path):
    """A company's long name keeps to one cell line in the party table, and its signature
    lines are a seal and its legal representative's signature, each with a full blank."""
    company = "示例县安居物业服务有限责任公司"
    case = make_case(world["mediator1"], [
        person(PartyRole.APPLICANT, "赵军", id_number=ID_MALE),
        {"role": PartyRole.RESPONDENT, "kind": PartyKind.ORGANISATION, "name": company,
         "legal_representative": "宋美华", "address": "示例县城关镇", "phone": "0571-88886666"},
    ])  # fmt: skip
    doc = documents.generate_document(case, world["mediator1"], K.REGISTRATION)
    layout = text_of(documents.read_document(doc))
    assert any(company in line and "宋美华" in line for line in layout.splitlines()), layout
    cases.apply_action(case, world["mediator1"], "accept")
    cases.apply_action(case, world["mediator1"], "start_mediation")
    record_session(case, world["mediator1"], {
        "held_at": utcnow(), "place": "调解室", "mediators": "李调解", "attendees": "赵军、宋美华",
        "course": "双方陈述。", "result": "未达成一致。",
    })  # fmt: skip
    doc = documents.generate_document(case, world["mediator1"], K.SESSION,
                                      case.session_records[0].id)  # fmt: skip
    pdf = documents.read_document(doc)
    text = flat(text_of(pdf))
    assert "当事人赵军（签名或按指印）" in text
    assert f"当事人{company}（盖章）" in text and "法定代表人/负责人宋美华（签名）" in text
    # Every signature line, however long its name, keeps its blank and date on one line.
    for line in text_of(pdf).splitlines():
        if "（签名" in line or "（盖章）" in line:
            assert "年" in line and "日" in line, line


def test_every_document_of_the_case_renders_with_its_content(world):
    case = archived_case(world)
    director = world["director1"]
    expected = {
        K.APPLICATION: ["人民调解申请书", "请求修复并赔偿损失。", "此致"],
        K.REGISTRATION: ["人民调解受理登记表", "当事人申请", "邻里纠纷", "李调解"],
        K.INVESTIGATION: ["调查记录", "物业王经理", "经查看，漏水点位于楼上卫生间。",
                          "被调查人（签名或按指印）"],
        K.SESSION: ["人民调解记录", "双方陈述，调解员释法说理。", "双方达成一致意见。",
                    "记录人（签名）"],
        K.FOLLOW_UP: ["人民调解回访记录", "已履行", "已付清", "满意"],
        K.CONFIRMATION: ["司法确认申请书", "示例县人民法院", "请求人民法院确认", "赔偿损失"],
    }  # fmt: skip
    seen = set()
    for entry in documents.entries(case):
        if entry.kind not in expected:
            continue
        doc = documents.generate_document(case, director, entry.kind, entry.source_id)
        text = flat(text_of(documents.read_document(doc)))
        for part in expected[entry.kind]:
            assert part in text, (entry.kind, part)
        seen.add(entry.kind)
    assert seen == set(expected)


def test_termination_notice_gives_the_reason_and_the_other_routes(world):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    cases.apply_action(case, world["mediator1"], "terminate", "被申请人拒不到场。",
                       "可向示例县人民法院提起诉讼。")  # fmt: skip
    doc = documents.generate_document(case, world["mediator1"], K.TERMINATION,
                                      documents.entries(case)[-1].source_id)  # fmt: skip
    text = flat(text_of(documents.read_document(doc)))
    for part in (
        "调解终止告知书",
        "被申请人拒不到场。",
        "可向示例县人民法院提起诉讼。",
        "第二十六条",
    ):
        assert part in text, part


def test_regenerating_makes_a_new_version_and_a_signed_version_is_never_replaced(world):
    case = working_case(world)
    mediator = world["mediator1"]
    first = documents.generate_document(case, mediator, K.AGREEMENT, case.agreement.id)
    first_bytes = documents.read_document(first)
    signed = documents.attach_signed_scan(case, mediator, first, upload(scan_pdf(1), "签.pdf"))
    assert signed.is_signed
    with pytest.raises(WorkflowError) as refused:
        documents.attach_signed_scan(case, mediator, first, upload(scan_pdf(1), "又签.pdf"))
    assert "不能替换" in refused.value.message
    second = documents.generate_document(case, mediator, K.AGREEMENT, case.agreement.id)
    assert (first.version, second.version) == (1, 2)
    assert second.code != first.code and second.sha256 != first.sha256
    assert len(first.code) >= 16
    assert documents.read_document(first) == first_bytes and first.is_signed
    assert second.generated_by_id == mediator.id and second.generated_at is not None


def test_only_handlers_generate_and_only_handlers_and_auditors_download(world, login, app):
    case = working_case(world)
    with pytest.raises(WorkflowError) as refused:
        documents.generate_document(case, world["mediator3"], K.REGISTRATION)
    assert refused.value.status == 403
    with pytest.raises(WorkflowError):  # the case file waits for the case to be closed
        documents.generate_document(case, world["mediator1"], K.CASE_FILE)
    c = login("mediator1")
    made = c.post(f"/cases/{case.id}/documents", data={"kind": "registration", "source_id": "0"})
    assert made.status_code == 302
    doc = documents.documents_of(case)[0]
    url = f"/cases/{case.id}/documents/{doc.id}.pdf"
    got = c.get(url)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    assert hashlib.sha256(got.data).hexdigest() == doc.sha256
    page = panel(app, case, world["mediator1"])
    assert doc.code in page and "第1版" in page and doc.sha256[:12] in page
    assert "人民调解协议书" in page and "上传签字件" in page  # generate buttons, signed upload
    assert login("mediator3").get(url).status_code == 403  # same committee, not assigned
    assert login("auditor1").get(url).status_code == 200
    assert login("auditor2").get(url).status_code == 404  # out of scope
    assert login("mediator2").post(f"/cases/{case.id}/documents",
                                   data={"kind": "registration"}).status_code == 404  # fmt: skip


def test_verification_code_resolves_publicly_and_a_modified_pdf_fails(world, client):
    case = working_case(world)
    doc = documents.generate_document(case, world["mediator1"], K.AGREEMENT, case.agreement.id)
    pdf = documents.read_document(doc)
    page = client.get(f"/verify/{doc.code}")  # no login
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "验证码有效" in html
    assert case.number in html and "人民调解协议书" in html and "乜*" in html and "亓*" in html
    assert APPLICANT not in html and ID_MALE not in html
    assert 'href="/cases' not in html  # no navigation for anonymous visitors
    same = client.post(f"/verify/{doc.code}", data={"file": (io.BytesIO(pdf), "a.pdf")},
                       content_type="multipart/form-data")  # fmt: skip
    assert same.status_code == 200 and "相符：" in same.get_data(as_text=True)
    changed = pdf.replace(b"/Producer", b"/Producer ", 1) if b"/Producer" in pdf else pdf + b"%x"
    other = client.post(f"/verify/{doc.code}", data={"file": (io.BytesIO(changed), "a.pdf")},
                        content_type="multipart/form-data")  # fmt: skip
    assert "不相符" in other.get_data(as_text=True)
    no_token = client.post(
        f"/verify/{doc.code}",
        data={"csrf_token": "", "file": (io.BytesIO(pdf), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    assert client.get("/verify/not-a-real-code123").status_code == 404
    assert client.get(f"/verify?code={doc.code}").status_code == 200


def test_checking_a_pdf_is_sized_by_the_document_and_refusals_sit_by_the_field(
    world, client, app, monkeypatch
):
    case = working_case(world)
    doc = documents.generate_document(case, world["mediator1"], K.AGREEMENT, case.agreement.id)
    pdf = documents.read_document(doc)
    url = f"/verify/{doc.code}"

    def check(data: bytes, name: str = "a.pdf"):
        return client.post(url, data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")  # fmt: skip

    # A case file can be larger than ordinary uploads: the document's size sets the limit.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    assert len(pdf) > 4096
    same = check(pdf)
    assert same.status_code == 200 and "相符：" in same.get_data(as_text=True)
    # A file much longer than the document cannot be it: answered, not refused as too large.
    longer = check(pdf + b"%" * (documents.FORM_OVERHEAD + 1000))
    assert longer.status_code == 200 and "不相符" in longer.get_data(as_text=True)
    # A little longer (within the envelope's room): read, and still not the document.
    assert "不相符" in check(pdf + b"%%EOF\n").get_data(as_text=True)
    # Not a PDF, or no file: the message is next to the file field.
    for data, name, message in ((b"GIF89a....", "x.gif", "不是 PDF 文件"),
                                (b"", "", "请选择文件")):  # fmt: skip
        page = check(data, name)
        html = page.get_data(as_text=True)
        assert page.status_code == 400, message
        field = html[html.index('data-field="file"') :]
        assert message in field[: field.index("</div>")], message
    expired = client.post(url, data={"csrf_token": "x", "file": (io.BytesIO(pdf), "a.pdf")},
                          content_type="multipart/form-data")  # fmt: skip
    assert expired.status_code == 400 and "页面已过期" in expired.get_data(as_text=True)


def test_pdf_carries_the_qr_code_of_its_verification_url(world, app, monkeypatch):
    case = working_case(world)
    with app.test_request_context(base_url="https://tiaojie.example.gov.cn"):
        entry = documents.find_entry(case, K.AGREEMENT, case.agreement.id)
        html = documents.document_html(case, entry, "CODE123")
    url = "https://tiaojie.example.gov.cn/verify/CODE123"
    assert documents.verify_url("X").endswith("/verify/X")
    assert qr_data_uri(url) in html and "验证码 CODE123" in html
    # Mediators on an intranet address: the code still leads residents to the public one.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://gongzhong.example.gov.cn/")
    with app.test_request_context(base_url="http://10.1.2.3:5000"):
        assert documents.verify_url("X") == "https://gongzhong.example.gov.cn/verify/X"


def test_case_file_has_cover_toc_with_real_page_numbers_scans_and_claims_no_pdf_a(world, tmp_path):
    case = archived_case(world)
    doc = documents.generate_document(case, world["auditor1"], K.CASE_FILE)
    pdf = documents.read_document(doc)
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    # Bound from the documents as stored (plain PDF) and scans as uploaded: not PDF/A, and
    # it does not say it is.
    assert doc.pages == total and doc.pdf_variant == ""
    assert b"pdfaid" not in pdf and "/OutputIntents" not in reader.trailer["/Root"]
    # The code on its cover verifies the file as stored.
    assert documents.find_by_code(doc.code) is doc
    assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and doc.size == len(pdf)
    assert f"验证码{doc.code}" in flat(text_of(pdf, 1))
    cover = flat(text_of(pdf, 1))
    for part in ("人民调解卷宗", "东街社区人民调解委员会", case.number, "邻里纠纷",
                 APPLICANT, RESPONDENT, "受理日期", "结案日期", "李调解", "保管期限",
                 "定期10年"):  # fmt: skip
        assert part in cover, part
    listed = contents_of(pdf)
    titles = [e.title for e in documents.entries(case)]
    assert len(listed) == len(titles) + 2 + 1 + 1, listed  # cover, toc, the photo, notes
    for entry in documents.entries(case):
        if entry.kind == K.AGREEMENT:
            continue  # its signed scan is bound in its place
        first = listed[entry.title.replace(" ", "")]
        assert HEADINGS[entry.kind] in flat(text_of(pdf, first)), entry.title
    scan_first = listed["人民调解协议书"]
    assert "扫描页1" in flat(text_of(pdf, scan_first))
    assert "扫描页2" in flat(text_of(pdf, scan_first + 1))
    assert f"第{scan_first}页共{total}页" in flat(text_of(pdf, scan_first))
    photo_page = next(v for k, v in listed.items() if "现场.png" in k)
    assert "现场.png" in flat(text_of(pdf, photo_page))
    assert listed["卷内备考表"] == total - 1 and f"本卷共{total - 1}页" in flat(
        text_of(pdf, total - 1)
    )

    # Every font embedded, nothing fetched from outside.
    rows = fonts_of(pdf, tmp_path)
    assert rows and all(row[-5] == "yes" for row in rows), rows
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None:
                assert action.get_object().get("/S") not in ("/URI", "/Launch", "/GoToR")
    assert b"/URI" not in pdf and b"/Launch" not in pdf
    path = tmp_path / "case-file.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    assert re.search(rf"^Pages:\s+{total}$", info.stdout, re.M)
    assert re.search(r"^PDF version:\s+1\.7$", info.stdout, re.M), info.stdout


def test_a_contents_longer_than_a_page_numbers_every_page_right(world):
    """Thirty exhibits make the contents run over a page: every page after it moves on, and
    each number in the contents still leads to its exhibit, stamped with its own number."""
    case = archived_case(world)
    mediator = world["mediator1"]
    case.status, was = CaseStatus.MEDIATING, case.status  # files are closed once archived
    for n in range(1, 31):
        exhibit = render_pdf(f'<p style="font-family: Mediation Song">证据第{n}号</p>')
        store_attachment(case, mediator, upload(exhibit, f"证据{n}.pdf"), AttachmentKind.EVIDENCE)
    case.status = was
    pdf, total = documents.build_case_file(case, "LONGTOC", world["auditor1"])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == total
    listed = {}
    for page in (2, 3):
        for line in text_of(pdf, page).splitlines():
            match = re.match(r"\s*(\d+)\s+(\S.*?)\s+(\d+)(\s{2,}\S.*)?\s*$", line)
            if match:
                listed[match.group(2).replace(" ", "")] = int(match.group(3))
    assert "序号文件名称页号备注" in flat(text_of(pdf, 3))  # the contents took two pages
    assert listed["卷内目录"] == 2 and listed["人民调解申请书"] == 4
    for n in (1, 17, 30):
        first = next(v for k, v in listed.items() if f"证据{n}.pdf" in k)
        page = flat(text_of(pdf, first))
        assert f"证据第{n}号" in page and f"第{first}页共{total}页" in page
    assert listed["卷内备考表"] == total - 1
    assert f"本卷共{total - 1}页" in flat(text_of(pdf, total - 1))
    assert f"第{total - 1}页共{total}页" in flat(text_of(pdf, total - 1))
    assert "第" not in flat(text_of(pdf, total)).replace(case.number, "")  # the back: no number


def test_public_verify_page_has_a_code_form_without_login(client):
    page = client.get("/verify")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)


# --- The documents against the Ministry of Justice's formats (legal review 2026-12) --------


def raw_text(pdf: bytes) -> str:
    """The text in the order it was drawn (a table cell's lines stay together), flattened."""
    done = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                          check=True)  # fmt: skip
    return flat(done.stdout.decode())


def issued(case, user, kind, source_id=0) -> str:
    """The text of a freshly generated document of the case."""
    doc = documents.generate_document(case, user, kind, source_id)
    return raw_text(documents.read_document(doc))


def test_application_says_the_rules_were_told_and_is_the_partys_own_one_page(world):
    case = working_case(world)
    doc = documents.generate_document(case, world["mediator1"], K.APPLICATION)
    text = flat(text_of(documents.read_document(doc)))
    assert "东街社区人民调解委员会已向申请人告知人民调解的有关规定" in text
    assert "申请人自愿申请人民调解" in text
    assert "出具" not in text  # the committee does not issue a party's application
    assert doc.pages == 1  # no near-empty second page


def test_registration_records_the_consent_the_parties_signatures_and_the_seal(world):
    case = working_case(world)
    text = issued(case, world["mediator1"], K.REGISTRATION)
    consent = f"经当事人同意，东街社区人民调解委员会调解{APPLICANT}与{RESPONDENT}之间的邻里纠纷。"
    assert consent in text
    assert f"当事人{APPLICANT}（签名或按指印）" in text
    assert f"当事人{RESPONDENT}（签名或按指印）" in text
    assert "（调委会印章）" in text


def test_investigation_record_is_titled_as_the_format(world):
    case = working_case(world)
    record = case.investigation_records[0]
    assert "人民调解调查记录" in issued(case, world["mediator1"], K.INVESTIGATION, record.id)


def test_session_record_lists_others_present_apart_and_records_rights_told(world):
    case = organisation_case(world, archive=False)
    record = case.session_records[0]
    text = issued(case, world["mediator1"], K.SESSION, record.id)
    assert f"当事人申请人{APPLICANT}；被申请人{COMPANY}（法定代表人/负责人宋美华）" in text
    assert "参加人王五" in text and f"参加人{APPLICANT}" not in text
    assert "调解员已告知当事人在人民调解活动中享有的权利和承担的义务" in text
    assert "参加人王五（签名）" in text


def test_money_is_written_in_figures_and_in_financial_capitals():
    from mediation.documents.wording import amount_text, chinese_count, money_capitals

    assert money_capitals(Decimal("1500")) == "人民币壹仟伍佰元整"
    assert money_capitals(Decimal("1500.50")) == "人民币壹仟伍佰元伍角"
    assert money_capitals(Decimal("10005")) == "人民币壹万零伍元整"
    assert money_capitals(Decimal("1200000.07")) == "人民币壹佰贰拾万元零柒分"
    assert money_capitals(0) == "人民币零元整"
    assert amount_text(Decimal("1500")) == "人民币1,500.00元（大写：人民币壹仟伍佰元整）"
    assert [chinese_count(n) for n in (2, 3, 4, 11)] == ["二", "三", "四", "十一"]


def test_agreement_has_place_agents_mediators_recorder_copies_in_numerals_and_capitals(world):
    case = organisation_case(world, archive=False)
    text = issued(case, world["mediator1"], K.AGREEMENT, case.agreement.id)
    assert "履行地点：东街社区人民调解委员会" in text and "履行地点：东街1号" in text
    assert f"代理人{COMPANY}的委托代理人：钱律师" in text and "代理人（签名）" in text
    assert "人民调解员李调解（签名）" in text and "记录人李调解（签名）" in text
    assert "本协议书一式三份，当事人各执一份，人民调解委员会留存一份。" in text
    assert "金额人民币1,500.00元（大写：人民币壹仟伍佰元整）" in text


def test_copies_are_one_per_party_and_one_for_the_committee_in_numerals(world):
    case = make_case(world["mediator1"], [
        person(PartyRole.APPLICANT, "甲", id_number=ID_MALE),
        person(PartyRole.APPLICANT, "乙"), person(PartyRole.RESPONDENT, "丙"),
    ])  # fmt: skip
    case.agreements  # noqa: B018 - no agreement needed: the clause is drawn from the parties
    assert documents._copies(case) == 4
    from mediation.documents.wording import chinese_count

    assert chinese_count(documents._copies(case)) == "四"


def test_terms_are_one_sentence_each_with_one_full_stop_in_every_document(world):
    case = organisation_case(world, archive=False)
    mediator = world["mediator1"]
    expected = (
        f"{COMPANY}向{APPLICANT}赔偿地板维修费用，金额人民币1,500.00元（大写：人民币壹仟伍佰元整）；"
        "履行方式：银行转账；"
    )
    second = f"{COMPANY}向{APPLICANT}检修楼内水管，保证不再漏水；履行方式：自行雇工维修；"
    for kind in (K.AGREEMENT, K.CONFIRMATION):
        text = issued(case, mediator, kind, case.agreement.id)
        assert expected in text and second in text, kind
        assert "。。" not in text and "）。（" not in text and "漏水。；" not in text, kind
    follow_up = case.follow_ups[0]
    assert second in issued(case, mediator, K.FOLLOW_UP, follow_up.id)


def test_confirmation_application_puts_the_respondents_under_their_own_heading(world):
    case = organisation_case(world, archive=False)
    text = issued(case, world["mediator1"], K.CONFIRMATION, case.agreement.id)
    first, second = text.index("申请人（调解申请人）"), text.index("申请人（调解被申请人）")
    assert APPLICANT in text[first:second] and COMPANY not in text[first:second]
    assert COMPANY in text[second : text.index("请求事项")]
    assert "出具" not in text  # the parties apply; the committee does not issue it


def test_oral_agreement_register_has_its_own_title_summary_and_signatures(world, app):
    mediator = world["mediator1"]
    case = make_case(mediator, summary="两家因排水沟堵塞发生争执。")
    cases.apply_action(case, mediator, "accept")
    cases.apply_action(case, mediator, "start_mediation")
    record_session(case, mediator, {
        "held_at": utcnow(), "place": "调解室", "mediators": "李调解", "attendees": "张三、李四",
        "course": "双方陈述。", "result": "口头达成协议。",
    })  # fmt: skip
    agreement = agreements.reach_agreement(
        case, mediator, AgreementKind.ORAL, {"oral_content": "李四三日内疏通排水沟。"}, []
    )
    doc = documents.generate_document(case, mediator, K.AGREEMENT, agreement.id)
    text = flat(text_of(documents.read_document(doc)))
    assert "人民调解口头协议登记表" in text and "人民调解协议书" not in text
    assert "纠纷简要情况两家因排水沟堵塞发生争执。" in text
    assert "申请人张三（签名或按指印）" in text and "被申请人李四（签名或按指印）" in text
    assert documents.title_of(doc) == "人民调解口头协议登记表"
    assert "人民调解口头协议登记表" in documents.filename_of(doc)
    page = panel(app, case, mediator)
    row = page[page.index(f"/documents/{doc.id}.pdf") :]
    assert row[: row.index("</a>")].endswith("人民调解口头协议登记表")


def test_follow_up_record_names_the_agreement_reason_risks_and_measures(world):
    case = organisation_case(world, archive=False)
    text = issued(case, world["mediator1"], K.FOLLOW_UP, case.follow_ups[0].id)
    assert f"协议书编号{case.number}" in text
    assert "回访事由履行期限届满回访" in text
    assert "发现的隐患楼上另一户也有渗水。" in text and "采取的措施已通知物业一并检修。" in text


def test_termination_notice_says_mediation_took_place_only_when_it_did(world):
    mediator = world["mediator1"]
    early = make_case(mediator)
    cases.apply_action(early, mediator, "accept")
    cases.apply_action(early, mediator, "terminate", "被申请人拒绝调解。", "可以起诉。")
    event = early.last_event("terminate")
    text = issued(early, mediator, K.TERMINATION, event.id)
    assert "受理" in text and "依法进行了调解" not in text
    later = make_case(mediator)
    cases.apply_action(later, mediator, "accept")
    cases.apply_action(later, mediator, "start_mediation")
    record_session(later, mediator, {
        "held_at": utcnow(), "place": "调解室", "mediators": "李调解", "attendees": "张三、李四",
        "course": "双方陈述。", "result": "分歧较大。",
    })  # fmt: skip
    cases.apply_action(later, mediator, "terminate", "分歧较大。", "可以起诉。")
    text = issued(later, mediator, K.TERMINATION, later.last_event("terminate").id)
    assert "受理并依法进行了调解" in text


def test_verification_codes_are_typed_from_paper(world, client):
    """Capitals and digits without look-alikes, in groups of four, at least 80 bits; typed in
    any case, with spaces, full-width, without dashes; codes printed before still work."""
    import math

    case = working_case(world)
    doc = documents.generate_document(case, world["mediator1"], K.AGREEMENT, case.agreement.id)
    assert re.fullmatch(r"([2-9A-HJKMNP-Z]{4}-){4}[2-9A-HJKMNP-Z]{4}", doc.code), doc.code
    assert not set("01OIL") & set(doc.code)
    assert documents.CODE_LENGTH * math.log2(len(documents.CODE_ALPHABET)) >= 80
    assert doc.code in text_of(documents.read_document(doc))
    bare = doc.code.replace("-", "")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in bare.lower())
    for typed in (doc.code.lower(), bare, f" {bare[:10]} {bare[10:]} ", full_width):
        assert documents.find_by_code(typed) is doc, typed
        page = client.get("/verify", query_string={"code": typed})
        assert page.status_code == 200 and "验证码有效" in page.get_data(as_text=True)
    # A code printed in the old format (URL-safe, case-sensitive) keeps working, exactly.
    doc.code = "aB3-xY_9kLmNoPqR"
    db.session.commit()
    assert documents.find_by_code("aB3-xY_9kLmNoPqR") is doc
    assert client.get("/verify/aB3-xY_9kLmNoPqR").status_code == 200
    assert documents.find_by_code("AB3-XY_9KLMNOPQR") is None


# --- The case file (卷宗) and archiving (rule 19) -----------------------------------------


def case_files(case):
    return sorted(
        (d for d in documents.documents_of(case) if d.kind == K.CASE_FILE),
        key=lambda d: d.version,
    )


def test_archive_binds_what_was_issued(world):
    """Rule 19: archiving stores the case file, drawn from the stored versions, with the
    signed scan in place of the unsigned agreement it replaces."""
    case = organisation_case(world)
    (filed,) = case_files(case)
    assert filed.version == 1 and filed.generated_by_id == world["director1"].id
    pdf = documents.read_document(filed)
    listed = contents_of(pdf)
    stored = {d.kind: d for d in documents.documents_of(case) if d.version == 1}
    application_page = flat(text_of(pdf, listed["人民调解申请书"]))
    assert stored[K.APPLICATION].code in application_page  # the stored PDF, as issued
    agreement_page = flat(text_of(pdf, listed["人民调解协议书"]))
    assert "扫描页1" in agreement_page and stored[K.AGREEMENT].code not in flat(text_of(pdf))
    toc = flat(text_of(pdf, 2))
    assert "签字件（第1版）" in toc and "备注" in toc


def test_case_file_cover_has_title_filer_retention_and_remarks(world):
    case = organisation_case(world)
    pdf = documents.read_document(case_files(case)[0])
    cover = flat(text_of(pdf, 1))
    assert f"卷名{APPLICANT}与{COMPANY}邻里纠纷调解卷" in cover
    assert "立卷人周主任" in cover and "保管期限定期10年" in cover and "备注" in cover
    notes = flat(text_of(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1))
    assert "卷内备考表" in notes and "立卷人周主任" in notes and "检查人" in notes


def test_retention_follows_todays_archival_terms(world):
    case = make_case(world["mediator1"])
    assert documents.retention_period(case) == "定期10年"
    case.is_group = True
    assert documents.retention_period(case) == "定期30年"


def test_case_file_binds_identity_proofs_after_registration_and_has_a_back_cover(world):
    case = organisation_case(world)
    pdf = documents.read_document(case_files(case)[0])
    titles = list(contents_of(pdf))
    identity = titles.index("当事人身份证明")  # after the registration (and rights notice)
    assert titles.index("受理登记表") < identity
    assert identity < next(n for n, t in enumerate(titles) if t.startswith("调查记录"))
    last = flat(text_of(pdf, len(PdfReader(io.BytesIO(pdf)).pages)))
    assert "页" not in last and case.number in last  # the back cover: no page number


def test_case_file_binds_a_confirmation_application_only_when_one_was_made(world):
    case = working_case(world)
    mediator = world["mediator1"]
    agreements.confirm_signed(case, mediator, case.agreement, upload(scan_pdf(1), "签.pdf"), True)
    perf = {t.id: (Performance.PERFORMED, "") for t in case.agreement.terms}
    agreements.record_follow_up(case, mediator, {
        "visited_on": local_today(), "visited": APPLICANT, "satisfaction": Satisfaction.SATISFIED,
    }, perf)  # fmt: skip
    cases.apply_action(case, world["director1"], "close")
    cases.apply_action(case, world["director1"], "archive")
    listed = contents_of(documents.read_document(case_files(case)[0]))
    assert "司法确认申请书" not in listed and "人民调解协议书" in listed
    assert all("签.pdf" not in title for title in listed)  # bound in place, not again


def test_addendum_after_archiving_is_a_new_case_file_version(world, client):
    case = organisation_case(world)
    (first,) = case_files(case)
    first_bytes = documents.read_document(first)
    agreements.add_addendum(case, world["director1"], "更正：申请人住址为东街1号（西单元）。")
    old, new = case_files(case)
    assert (old.id, new.version) == (first.id, 2)
    assert documents.read_document(old) == first_bytes
    text = flat(text_of(documents.read_document(new)))
    assert "更正：申请人住址为东街1号（西单元）。" in text and "周主任" in text
    assert "归档后补充说明1条" in text
    page = client.get(f"/verify/{old.code}").get_data(as_text=True)
    assert "此后已出具第 2 版" in page
