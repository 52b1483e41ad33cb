"""Use cases of the documents (DOMAIN §3): which documents a case has material for, drawing one
as a PDF, storing it immutably as a new version, the signed scan of a version, the case file
(卷宗) and the public verification of a code or of a PDF someone holds."""

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from pypdf import PdfReader, PdfWriter, Transformation
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from mediation import access
from mediation.audit.service import record_event
from mediation.documents.render import qr_data_uri, render_pdf
from mediation.extensions import db
from mediation.models import (
    AgreementKind,
    AgreementStatus,
    Attachment,
    AttachmentKind,
    Case,
    CaseStatus,
    DocumentKind,
    EventKind,
    GeneratedDocument,
    Role,
    Source,
    User,
)
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.privacy import public_name
from mediation.records.attachments import attachment_path, sniff, store_file, upload_folder
from mediation.workflow import WorkflowError

K = DocumentKind
# The case file is what auditors file away: PDF/A-3b, so it stays readable for decades.
CASE_FILE_VARIANT = "pdf/a-3b"
# Kinds whose paper copy is signed by the parties and comes back as a scan.
SIGNED_KINDS = frozenset({K.APPLICATION, K.REGISTRATION, K.INVESTIGATION, K.SESSION,
                          K.AGREEMENT, K.TERMINATION, K.FOLLOW_UP, K.CONFIRMATION})  # fmt: skip
# A4 in PDF points, and the page area inside the case file's margins where a scan is drawn.
A4 = (595.28, 841.89)
SCAN_BOX = (56.7, 85.0, 481.9, 680.3)  # x, y, width, height: 20 mm sides, 30/27 mm top/bottom


@dataclass
class Entry:
    """One document the case has the material for: its kind, the record it is drawn from."""

    kind: DocumentKind
    source_id: int
    record: Any
    title: str

    @property
    def template(self) -> str:
        return f"documents/_{self.kind.value}.html"


# --- What can be drawn -------------------------------------------------------------------


def entries(case: Case) -> list[Entry]:
    """Every document the case's current data supports, in the case file's order."""
    found = []
    if case.source == Source.APPLICATION:
        found.append(Entry(K.APPLICATION, 0, case, K.APPLICATION.label))
    found.append(Entry(K.REGISTRATION, 0, case, K.REGISTRATION.label))
    for r in case.investigation_records:
        when = r.held_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        found.append(Entry(K.INVESTIGATION, r.id, r, f"调查记录（{when}，{r.person_questioned}）"))
    for r in case.session_records:
        when = r.held_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        found.append(Entry(K.SESSION, r.id, r, f"调解记录（{when}）"))
    for a in case.agreements:
        title = "人民调解协议书" if a.kind == AgreementKind.WRITTEN else "口头调解协议登记表"
        if a.status == AgreementStatus.SUPERSEDED:
            title += "（已被新协议取代）"
        found.append(Entry(K.AGREEMENT, a.id, a, title))
    event = case.last_event("terminate")
    if event is not None:
        found.append(Entry(K.TERMINATION, event.id, event, K.TERMINATION.label))
    for f in case.follow_ups:
        found.append(Entry(K.FOLLOW_UP, f.id, f, f"回访记录（{f.visited_on.isoformat()}）"))
    for a in case.agreements:
        if a.is_effective:
            found.append(Entry(K.CONFIRMATION, a.id, a, K.CONFIRMATION.label))
    return found


def find_entry(case: Case, kind: DocumentKind, source_id: int = 0) -> Entry:
    for entry in entries(case):
        if entry.kind == kind and entry.source_id == source_id:
            return entry
    raise WorkflowError(f"本案目前没有可生成“{kind.label}”的内容。", status=404)


def may_generate(user: User, case: Case, kind: DocumentKind) -> bool:
    """The case's handlers draw its documents; the case file is also for auditors in scope,
    on demand, and for the director once the case is closed."""
    if kind == K.CASE_FILE:
        if user.role == Role.AUDITOR:
            return access.in_scope(user, case)
        return access.may(user, case, access.HANDLER) and case.status in (
            CaseStatus.CLOSED, CaseStatus.ARCHIVED,
        )  # fmt: skip
    return access.may(user, case, access.HANDLER)


def may_download(user: User, case: Case) -> bool:
    return access.can_read_files(user, case)


# --- Drawing and storing ---------------------------------------------------------------


def verify_url(code: str) -> str:
    """The address the printed QR code leads to: the public base URL when one is set."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base and has_request_context():
        return url_for("documents.verify", code=code, _external=True)
    return f"{(base or 'http://localhost').rstrip('/')}/verify/{code}"


def _copies(case: Case) -> int:
    return len(case.parties) + 1  # one per party, one kept by the committee (rule 8)


def document_html(case: Case, entry: Entry, code: str) -> str:
    return render_template(
        "documents/document.html", case=case, entry=entry, record=entry.record, code=code,
        doc_qr=qr_data_uri(verify_url(code)), copies=_copies(case), generated_on=_today(),
        tz=LOCAL_TZ,
    )  # fmt: skip


def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def document_path(document: GeneratedDocument) -> Path:
    return upload_folder() / document.sha256[:2] / document.sha256


def read_document(document: GeneratedDocument) -> bytes:
    return document_path(document).read_bytes()


def _store(pdf: bytes) -> str:
    return store_file(pdf)


def _new_code() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


def generate_document(
    case: Case, user: User, kind: DocumentKind, source_id: int = 0
) -> GeneratedDocument:
    """Draw the document from the case's current data and keep it as the next version of
    (case, kind, source). Earlier versions, signed or not, are never touched."""
    if not may_generate(user, case, kind):
        if kind == K.CASE_FILE:
            raise WorkflowError(
                "卷宗由结案后的调委会主任、本案调解员或司法行政审核人员生成。", status=403
            )
        raise WorkflowError("只有本案调解员或调委会主任可以生成文书。", status=403)
    code = _new_code()
    if kind == K.CASE_FILE:
        source_id = 0
        pdf, pages = build_case_file(case, code)
        variant = CASE_FILE_VARIANT
    else:
        entry = find_entry(case, kind, source_id)
        pdf = render_pdf(document_html(case, entry, code))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        variant = ""
    digest = _store(pdf)
    # Lock the case row: two people generating at once get consecutive version numbers.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    last = db.session.scalar(
        select(func.max(GeneratedDocument.version)).where(
            GeneratedDocument.case_id == case.id,
            GeneratedDocument.kind == kind,
            GeneratedDocument.source_id == source_id,
        )
    )
    document = GeneratedDocument(
        case_id=case.id, kind=kind, source_id=source_id, version=(last or 0) + 1,
        sha256=digest, size=len(pdf), pages=pages, pdf_variant=variant, code=code,
        generated_by_id=user.id, generated_at=utcnow(),
    )  # fmt: skip
    db.session.add(document)
    db.session.flush()
    record_event(case, user, EventKind.DOCUMENT, details={
        "文书": kind.label, "版本": document.version, "核验码": code, "SHA-256": digest[:16],
    })  # fmt: skip
    db.session.commit()
    return document


def link_signed_agreement(case: Case, agreement_id: int, attachment: Attachment) -> None:
    """The signed scan that made an agreement effective is the signed copy of the newest
    generated version of that agreement, when one was generated and is not signed yet."""
    document = db.session.scalar(
        select(GeneratedDocument)
        .where(
            GeneratedDocument.case_id == case.id,
            GeneratedDocument.kind == K.AGREEMENT,
            GeneratedDocument.source_id == agreement_id,
        )
        .order_by(GeneratedDocument.version.desc())
        .limit(1)
    )
    if document is not None and not document.is_signed:
        document.signed_attachment_id = attachment.id


def documents_of(case: Case) -> list[GeneratedDocument]:
    order = {k: n for n, k in enumerate(DocumentKind)}
    found = db.session.scalars(
        select(GeneratedDocument).where(GeneratedDocument.case_id == case.id)
    )
    return sorted(found, key=lambda d: (order[d.kind], d.source_id, -d.version))


def document_of_case(case: Case, document_id: int) -> GeneratedDocument:
    document = db.session.get(GeneratedDocument, document_id)
    if document is None or document.case_id != case.id:
        raise WorkflowError("没有这份文书。", status=404)
    return document


def attach_signed_scan(
    case: Case, user: User, document: GeneratedDocument, upload: FileStorage | None
) -> GeneratedDocument:
    """The signed paper copy of this version, scanned. A signed version stays as it is for
    good; a later correction is a new version, signed again."""
    from mediation.records.attachments import store_attachment

    if document.kind not in SIGNED_KINDS:
        raise WorkflowError("卷宗不需要签字扫描件。", status=400)
    if document.is_signed:
        raise WorkflowError(f"{document.kind.label}第{document.version}版已上传签字件，不能替换。")
    attachment = store_attachment(case, user, upload, AttachmentKind.SCAN, commit=False)
    document.signed_attachment_id = attachment.id
    db.session.commit()
    return document


# --- The case file (卷宗) -------------------------------------------------------------------


@dataclass
class Scan:
    attachment: Attachment
    path: Path
    is_pdf: bool
    pages: int  # pages it takes in the case file


def retention_period(case: Case) -> str:
    """Major, group or escalating disputes are kept long-term; the others for ten years.
    (The justice bureau's filing rules; a committee setting if practice differs.)"""
    if case.is_major or case.is_group or case.may_escalate:
        return "长期（30年）"
    return "短期（10年）"


def _scans(case: Case) -> list[Scan]:
    found = []
    for attachment in case.attachments:
        path = attachment_path(attachment)
        if not path.exists():
            continue
        if attachment.content_type == "application/pdf":
            try:
                pages = len(PdfReader(path).pages)
            except Exception:  # an unreadable PDF is listed, not bound in
                pages = 0
            found.append(Scan(attachment, path, True, pages))
        else:
            found.append(Scan(attachment, path, False, 1))
    return found


def build_case_file(case: Case, code: str) -> tuple[bytes, int]:
    """Cover, table of contents, every document in order, then the uploaded scans. One
    WeasyPrint pass lays it all out: a PDF scan gets as many numbered placeholder pages as it
    has pages, so the contents' page numbers (target-counter) and "共 Y 页" are right, and
    each scanned page is then drawn onto its placeholder, keeping the page number."""
    scans = _scans(case)
    html = render_template(
        "documents/case_file.html", case=case, entries=entries(case), scans=scans, code=code,
        qr=qr_data_uri(verify_url(code)), copies=_copies(case), generated_on=_today(),
        retention=retention_period(case), tz=LOCAL_TZ,
        mediators=[m.user.name for m in case.mediators if m.removed_at is None]
        or [m.user.name for m in case.mediators],
    )  # fmt: skip
    pdf = render_pdf(html, base_url=upload_folder(), pdf_variant=CASE_FILE_VARIANT)
    reader = PdfReader(io.BytesIO(pdf))
    pdf_scans = [s for s in scans if s.is_pdf and s.pages]
    if not pdf_scans:
        return pdf, len(reader.pages)
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header  # pypdf would write 1.3; PDF/A-3 is PDF 1.7
    placeholders = _placeholder_pages(reader)
    for scan in pdf_scans:
        first = placeholders[scan.attachment.id]
        for n, page in enumerate(PdfReader(scan.path).pages):
            _draw_into(writer.pages[first + n], page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(reader.pages)


def _placeholder_pages(reader: PdfReader) -> dict[int, int]:
    """Index of the first placeholder page of each PDF scan, from the named destinations the
    template gives them (scan-<attachment id>)."""
    found = {}
    for name, destination in reader.named_destinations.items():
        if name.startswith("scan-"):
            found[int(name.removeprefix("scan-"))] = reader.get_destination_page_number(destination)
    return found


def _draw_into(target, page) -> None:
    """Scale a scanned page into the page area of its placeholder, centred."""
    if page.rotation:
        page.transfer_rotation_to_content()
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    x, y, w, h = SCAN_BOX
    scale = min(w / width, h / height)
    dx = x + (w - width * scale) / 2 - float(box.left) * scale
    dy = y + (h - height * scale) / 2 - float(box.bottom) * scale
    target.merge_transformed_page(page, Transformation().scale(scale).translate(dx, dy))


# --- Verification -----------------------------------------------------------------------


def find_by_code(code: str) -> GeneratedDocument | None:
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(GeneratedDocument).where(GeneratedDocument.code == code))


def public_facts(document: GeneratedDocument) -> dict[str, Any]:
    """What the public page may say about a document: nothing beyond masked names."""
    case = document.case
    newer = db.session.scalar(
        select(func.max(GeneratedDocument.version)).where(
            GeneratedDocument.case_id == document.case_id,
            GeneratedDocument.kind == document.kind,
            GeneratedDocument.source_id == document.source_id,
        )
    )
    return {
        "case_number": case.number,
        "committee": case.committee.name,
        "kind": document.kind.label,
        "version": document.version,
        "latest_version": newer,
        "generated_at": document.generated_at,
        "pages": document.pages,
        "parties": [public_name(p) for p in case.parties],
        "signed": document.is_signed,
        "signable": document.kind in SIGNED_KINDS,
        "sha256": document.sha256,
    }


# Room for the multipart envelope (boundaries, headers, the CSRF token) around the file.
FORM_OVERHEAD = 64 * 1024


def upload_limit(document: GeneratedDocument) -> int:
    """The largest request a check of this document needs: a file longer than the document
    cannot be it. (A case file may be larger than the limit on ordinary uploads.)"""
    return document.size + FORM_OVERHEAD


def verify_upload(document: GeneratedDocument, upload: FileStorage | None) -> bool:
    """Whether the uploaded file is, byte for byte, the PDF issued under this code."""
    if upload is None or not upload.filename:
        raise WorkflowError("请选择要核验的 PDF 文件。", status=400, field="file")
    data = upload.stream.read(document.size + 1)
    if sniff(data) != "application/pdf":
        raise WorkflowError("所选文件不是 PDF 文件，请上传本系统出具的 PDF 文书。", status=400,
                            field="file")  # fmt: skip
    return len(data) == document.size and secrets.compare_digest(
        hashlib.sha256(data).hexdigest(), document.sha256
    )
