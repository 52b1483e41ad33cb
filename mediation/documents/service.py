"""Use cases of the documents (DOMAIN §3): which documents a case has material for, drawing one
as a PDF, storing it immutably as a new version, the signed scan of a version, the case file
(卷宗) and the public verification of a code or of a PDF someone holds."""

import base64
import contextlib
import hashlib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pikepdf
from flask import current_app, has_request_context, render_template, url_for
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from mediation import access
from mediation.audit.service import record_event
from mediation.calendar.service import appointments_of
from mediation.documents.render import qr_data_uri, render_pdf
from mediation.extensions import db
from mediation.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AppointmentStatus,
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
from mediation.records.attachments import sniff, store_file
from mediation.referrals import service as referrals
from mediation.storage import Missing, storage
from mediation.workflow import WorkflowError

K = DocumentKind
# Kinds whose paper copy is signed by the parties and comes back as a scan.
SIGNED_KINDS = frozenset({K.APPLICATION, K.REGISTRATION, K.RIGHTS_NOTICE, K.INVESTIGATION,
                          K.NOTICE, K.SESSION, K.AGREEMENT, K.TERMINATION, K.FOLLOW_UP,
                          K.CONFIRMATION})  # fmt: skip
# A4 in PDF points, and the page area inside the case file's margins where a bound page is
# drawn.
A4 = (595.28, 841.89)
# An oral agreement is registered, not written up: its document has its own title.
AGREEMENT_TITLES = {
    AgreementKind.WRITTEN: "人民调解协议书",
    AgreementKind.ORAL: "人民调解口头协议登记表",
}
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


def entries(case: Case, appointments=appointments_of) -> list[Entry]:
    """Every document the case's current data supports, in the case file's order
    (`appointments`: how to ask for the case's appointments; the case page passes its memo)."""
    found = []
    if case.source == Source.APPLICATION:
        found.append(Entry(K.APPLICATION, 0, case, K.APPLICATION.label))
    found.append(Entry(K.REGISTRATION, 0, case, K.REGISTRATION.label))
    found.append(Entry(K.RIGHTS_NOTICE, 0, case, K.RIGHTS_NOTICE.label))  # rule 15, Art. 23
    for r in case.investigation_records:
        when = r.held_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        found.append(Entry(K.INVESTIGATION, r.id, r, f"调查记录（{when}，{r.person_questioned}）"))
    for a in appointments(case):
        if a.status != AppointmentStatus.CANCELLED:
            when = a.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            found.append(Entry(K.NOTICE, a.id, a, f"调解通知书（{when}）"))
    for r in case.session_records:
        when = r.held_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        found.append(Entry(K.SESSION, r.id, r, f"调解记录（{when}）"))
    for a in case.agreements:
        title = AGREEMENT_TITLES[a.kind]
        if a.status == AgreementStatus.SUPERSEDED:
            title += "（已被新协议取代）"
        found.append(Entry(K.AGREEMENT, a.id, a, title))
    event = case.last_event("terminate")
    if event is not None:
        found.append(Entry(K.TERMINATION, event.id, event, K.TERMINATION.label))
    for f in case.follow_ups:
        found.append(Entry(K.FOLLOW_UP, f.id, f, f"回访记录（{f.visited_on.isoformat()}）"))
    for a in case.agreements:
        if a.is_effective and a.kind == AgreementKind.WRITTEN:  # rule 16: written only
            found.append(Entry(K.CONFIRMATION, a.id, a, K.CONFIRMATION.label))
    desk = getattr(case, "desk_entry", None)  # dispatched by a justice office's window
    if desk is not None and desk.is_replied:
        found.append(Entry(K.DISPATCH_REPLY, 0, desk, K.DISPATCH_REPLY.label))
    letter = referrals.feedback_letter(case)  # a referred case that has ended
    if letter is not None:
        found.append(
            Entry(K.FEEDBACK, 0, letter, f"{K.FEEDBACK.label}（{letter.referral.body_name}）")
        )
    return found


def find_entry(case: Case, kind: DocumentKind, source_id: int = 0) -> Entry:
    for entry in entries(case):
        if entry.kind == kind and entry.source_id == source_id:
            return entry
    raise WorkflowError(f"本案目前没有可生成“{kind.label}”的内容。", status=404)


def may_generate(user: User, case: Case, kind: DocumentKind) -> bool:
    """The case's handlers draw its documents; the case file is also for auditors in scope,
    on demand, and for the director once the case is closed."""
    if kind == K.DISPATCH_REPLY:  # the window's own letter, drawn by its office
        return access.may_draw_desk_reply(user, case)
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


def document_html(case: Case, entry: Entry, code: str, mask_ids_except: int | None = None) -> str:
    """The document's HTML. `mask_ids_except`: drawn for that party, with the other parties'
    ID numbers and phones masked."""
    return render_template(
        "documents/document.html", case=case, entry=entry, record=entry.record, code=code,
        doc_qr=qr_data_uri(verify_url(code)), copies=_copies(case), generated_on=_today(),
        tz=LOCAL_TZ, mask_ids_except=mask_ids_except,
    )  # fmt: skip


def party_copy(document: GeneratedDocument, party_id: int) -> bytes:
    """A copy of an issued document drawn for one party (the resident pages), the other
    parties' ID numbers and phones masked: the stored official copy carries them in full.
    It is drawn, never stored, and names the same verification code as the original."""
    entry = find_entry(document.case, document.kind, document.source_id)
    return render_pdf(document_html(document.case, entry, document.code, party_id))


def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def read_document(document: GeneratedDocument) -> bytes:
    """The stored PDF of a document version, as issued (from the configured storage)."""
    return storage().get(document.sha256)


def _store(pdf: bytes) -> str:
    return store_file(pdf)


# Verification codes are typed from paper: capitals and digits without the look-alikes 0/O,
# 1/I/L; 20 of these 31 symbols (99 random bits), printed in groups of four (K7QM-3XPD-...).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH, CODE_GROUP = 20, 4


def _new_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return _grouped(symbols)


def _grouped(symbols: str) -> str:
    return "-".join(symbols[n : n + CODE_GROUP] for n in range(0, len(symbols), CODE_GROUP))


def normalise_code(text: str) -> str:
    """A code as typed: any case, full-width characters, spaces and dashes anywhere. Returns
    the printed form of a code of today's format, or the text stripped (codes printed before
    them, random URL-safe text, are compared exactly)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    symbols = re.sub(r"[\s\-‐‑–—_]", "", text).upper()
    if len(symbols) == CODE_LENGTH and all(c in CODE_ALPHABET for c in symbols):
        return _grouped(symbols)
    return text


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
        if kind == K.DISPATCH_REPLY:
            raise WorkflowError("答复书由交办的司法所（司法局）窗口生成。", status=403)
        raise WorkflowError("只有本案调解员或调委会主任可以生成文书。", status=403)
    document = _issue(case, user, kind, source_id)
    db.session.commit()
    return document


def _issue(case: Case, user: User, kind: DocumentKind, source_id: int = 0) -> GeneratedDocument:
    """Draw, store and record one document version, in the caller's transaction."""
    code = _new_code()
    if kind == K.CASE_FILE:
        source_id = 0
        pdf, pages = build_case_file(case, code, user)
    else:
        entry = find_entry(case, kind, source_id)
        appended = _appended_agreement(case, entry) if kind == K.FEEDBACK else None
        pdf = render_pdf(document_html(case, entry, code))
        if appended is not None:
            pdf = _append_pages(pdf, appended)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    # No document claims PDF/A (the column stays for the case files that once did): the case
    # file binds the documents as stored, plain PDF, and the scans as uploaded, which no one
    # has checked against PDF/A.
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
        "文书": title_of(document), "版本": document.version, "核验码": code,
        "SHA-256": digest[:16],
    })  # fmt: skip
    return document


def _appended_agreement(case: Case, entry: Entry) -> bytes | None:
    """The 反馈函 of a case that ended in an agreement carries the agreement: its signed scan
    when that is a PDF, else the stored PDF of its newest version. None when neither is kept
    (the letter then draws the agreement from its terms, entry.record.agreement_appended)."""
    agreement = entry.record.outcome.agreement
    if agreement is None:
        return None
    scans = [_signed_agreement_scan(case, agreement.id)]
    stored = [
        d for d in documents_of(case) if d.kind == K.AGREEMENT and d.source_id == agreement.id
    ]
    scans += [d.signed_attachment for d in stored]
    keys = [s.sha256 for s in scans if s is not None and s.content_type == "application/pdf"]
    keys += [d.sha256 for d in stored]  # newest version first
    for key in keys:
        if storage().exists(key):
            entry.record.agreement_appended = True
            return storage().get(key)
    return None


def _append_pages(pdf: bytes, appended: bytes) -> bytes:
    """The letter followed by the pages of a stored PDF (drawings only: no annotations)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in PdfReader(io.BytesIO(appended)).pages:
        if "/Annots" in page:
            del page["/Annots"]
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def file_case(case: Case, user: User) -> GeneratedDocument:
    """Rule 19: archiving binds what was issued. The case file is drawn from the stored
    documents (a document never printed is issued now, so it too is bound as stored) and is
    itself stored; the caller commits, with the archiving. An addendum after archiving calls
    this again: a new version whose 备考表 lists it, the earlier version kept."""
    return _issue(case, user, K.CASE_FILE)


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


def title_of(document: GeneratedDocument) -> str:
    """What a stored document is called in lists and file names: its kind's label, or for an
    agreement the title its form carries (an oral agreement's register)."""
    if document.kind == K.AGREEMENT:
        agreement = db.session.get(Agreement, document.source_id)
        if agreement is not None:
            return AGREEMENT_TITLES[agreement.kind]
    return document.kind.label


def filename_of(document: GeneratedDocument) -> str:
    return f"{document.case.number}-{title_of(document)}-第{document.version}版.pdf"


def signed_name(scan: Attachment) -> str:
    """The download name of a signed scan: the case, what it is, its own extension."""
    suffix = Path(scan.original_name).suffix.lower() or ".pdf"
    return f"{scan.case.number}-{scan.kind.label}{suffix}"


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
class Bound:
    """One item bound into the case file: an issued document (its stored PDF, or the signed
    scan that replaced it) or an uploaded file, with its line in the table of contents."""

    anchor: str
    title: str
    note: str
    key: str  # the stored file's SHA-256 (mediation/storage.py)
    is_pdf: bool
    pages: int  # pages it takes in the case file
    caption: str = ""  # printed above an image
    content_type: str = "application/pdf"

    def data(self) -> bytes:
        return storage().get(self.key)

    def src(self) -> str:
        """An image's bytes as a data: URI, for the case file's page (the renderer fetches
        nothing but fonts and data)."""
        return f"data:{self.content_type};base64,{base64.b64encode(self.data()).decode()}"


def retention_period(case: Case) -> str:
    """保管期限 in the terms archives use since the 2006 rules on retention periods (国家档案局
    令第8号 replaced 永久/长期/短期 with 永久 and 定期30年/10年): a major, group or escalating
    dispute's file is kept 30 years, as records of lasting reference for the area's stability
    work; an ordinary dispute's 10 years, well past every limitation period (民法典 Art. 188).
    永久 is the archivist's call for a file of lasting historical value, not set by the system."""
    if case.is_major or case.is_group or case.may_escalate:
        return "定期30年"
    return "定期10年"


def case_file_title(case: Case) -> str:
    """卷名: who against whom, over what."""
    applicants = "、".join(p.name for p in case.applicants)
    respondents = "、".join(p.name for p in case.respondents)
    return f"{applicants}与{respondents}{case.category.label}调解卷"


def _bindable(case: Case) -> list[Entry]:
    """The entries a case file binds: a court confirmation application only when the
    parties applied (a confirmation is on record for that agreement)."""
    applied = {c.agreement_id for c in case.confirmations}
    return [
        e
        for e in entries(case)
        if (e.kind != K.CONFIRMATION or e.source_id in applied) and e.kind != K.DISPATCH_REPLY
    ]


def _rights_notice_kinds() -> set[DocumentKind]:
    """The 权利义务告知书, when the registry has such a document (looked up by its name)."""
    return {k for k in DocumentKind if "权利义务告知书" in k.label}


def _attachment_item(attachment: Attachment, title: str, note: str) -> Bound | None:
    key = attachment.sha256
    try:
        data = storage().get(key)
    except Missing:
        return None
    anchor = f"att-{attachment.id}"
    name = attachment.original_name
    caption = title if name in title else f"{title}（{name}）"
    if attachment.content_type != "application/pdf":
        return Bound(anchor, title, note, key, False, 1, caption, attachment.content_type)
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # an unreadable PDF is listed, not bound in
        pages = 0
    return Bound(anchor, title, note or f"{pages}页", key, True, pages)


def _document_item(document: GeneratedDocument, title: str) -> Bound | None:
    if document.signed_attachment is not None:  # the signed scan replaces the unsigned form
        note = f"签字件（第{document.version}版）"
        return _attachment_item(document.signed_attachment, title, note)
    anchor = f"doc-{document.id}"
    note = f"第{document.version}版"
    return Bound(anchor, title, note, document.sha256, True, document.pages)


def bound_items(case: Case, user: User) -> list[Bound]:
    """What the case file binds, in order: the documents as issued (signed scans in place of
    the forms they replace; a document never printed is issued now), the parties' identity
    proofs after the registration and the rights notice, then the other uploaded files."""
    stored: dict[tuple, GeneratedDocument] = {}
    for document in documents_of(case):
        key = (document.kind, document.source_id)
        if document.kind != K.CASE_FILE and key not in stored:
            stored[key] = current_version(document)
    wanted = [(e.kind, e.source_id, e.title) for e in _bindable(case)]
    listed = {(kind, source_id) for kind, source_id, _ in wanted}
    for (kind, source_id), document in stored.items():
        if (kind, source_id) not in listed and kind in _rights_notice_kinds():
            wanted.append((kind, source_id, title_of(document)))
    order = {k: n for n, k in enumerate(DocumentKind)}
    wanted.sort(key=lambda w: order[w[0]])
    items: list[Bound] = []
    bound_scans: set[int] = set()
    opening = {K.APPLICATION, K.REGISTRATION, *_rights_notice_kinds()}
    identity = [a for a in case.attachments if a.kind == AttachmentKind.IDENTITY]
    for n, (kind, source_id, title) in enumerate(wanted):
        document = stored.get((kind, source_id))
        scan = _signed_agreement_scan(case, source_id) if kind == K.AGREEMENT else None
        if scan is not None and (document is None or not document.is_signed):
            # Confirmed with a scan before any version was linked to it: the scan is bound.
            bound_scans.add(scan.id)
            item = _attachment_item(scan, title, "签字件")
        else:
            document = document or _issue(case, user, kind, source_id)
            if document.signed_attachment_id:
                bound_scans.add(document.signed_attachment_id)
            item = _document_item(document, title)
        if item is not None:
            items.append(item)
        following = wanted[n + 1][0] if n + 1 < len(wanted) else None
        if kind in opening and following not in opening:
            items += _identity_items(identity)
            identity = []
    items += _identity_items(identity)
    for attachment in case.attachments:
        if attachment.id in bound_scans or attachment.kind == AttachmentKind.IDENTITY:
            continue
        title = f"附件：{attachment.kind.label}（{attachment.original_name}）"
        item = _attachment_item(attachment, title, "")
        if item is not None:
            items.append(item)
    return items


def _signed_agreement_scan(case: Case, agreement_id: int) -> Attachment | None:
    kind = AttachmentKind.SIGNED_AGREEMENT
    scans = [a for a in case.attachments if a.kind == kind and a.agreement_id == agreement_id]
    return scans[-1] if scans else None


def _identity_items(attachments: list[Attachment]) -> list[Bound]:
    found = [_attachment_item(a, "当事人身份证明", "") for a in attachments]
    return [item for item in found if item is not None]


def _addenda(case: Case):
    """Corrections recorded after archiving (rule 12), for the 备考表."""
    return [e for e in case.events if e.kind == EventKind.ADDENDUM]


def build_case_file(case: Case, code: str, user: User) -> tuple[bytes, int]:
    """Cover, table of contents, everything bound in order, the 备考表 and the back cover.
    The documents are bound as they were stored (read_document), never drawn again:
    WeasyPrint draws only the pages the case file adds (cover, contents with the page numbers
    worked out here, a page per photo, the 备考表, the back cover) and three strips for the
    running head and the footer. pikepdf then puts each stored page, scaled into the page
    area, on a page of its own, and stamps every page but the back cover with the head and
    its own "第 X 页 共 Y 页". Returns the PDF and its page count."""
    items = bound_items(case, user)
    first = db.session.scalar(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == case.id, GeneratedDocument.kind == K.CASE_FILE)
        .order_by(GeneratedDocument.version)
        .limit(1)
    )
    facts = dict(
        case=case, items=items, code=code, qr=qr_data_uri(verify_url(code)),
        title=case_file_title(case),
        generated_on=first.generated_at.astimezone(LOCAL_TZ).date() if first else _today(),
        retention=retention_period(case), filer=first.generated_by.name if first else user.name,
        addenda=_addenda(case), signed=sum(1 for i in items if i.note.startswith("签字件")),
        tz=LOCAL_TZ,
        mediators=[m.user.name for m in case.mediators if m.removed_at is None]
        or [m.user.name for m in case.mediators],
    )  # fmt: skip
    # The drawn sections' lengths are known only once drawn: a long contents or 备考表 runs
    # over a page. Guess one page each, draw, and draw again with the lengths found (once).
    lengths: dict[str, int] = {}
    for attempt in range(3):
        plan = _page_plan(items, lengths)
        html = render_template("documents/case_file.html", numbers=plan.first,
                               total=plan.total, **facts)  # fmt: skip
        drawn = pikepdf.open(io.BytesIO(render_pdf(html)))
        lengths = _section_lengths(drawn)
        if attempt == 2 or all(lengths.get(a, 1) == plan.lengths[a] for a in plan.drawn):
            break
        drawn.close()
    # The stored PDFs stay open until the case file is written: their pages are copied then.
    with drawn, contextlib.ExitStack() as sources:
        _bind(drawn, plan, items, sources)
        out = io.BytesIO()
        drawn.save(out, compress_streams=True)
    return out.getvalue(), plan.total


@dataclass
class PagePlan:
    """Where each section of the case file starts (its anchor → page number, from 1), how many
    pages it takes, which sections are drawn here (not bound from a stored PDF), and the
    case file's length."""

    first: dict[str, int]
    lengths: dict[str, int]
    drawn: list[str]
    total: int


def _page_plan(items: list[Bound], lengths: dict[str, int]) -> PagePlan:
    sections = [("cover", False, 1), ("toc", False, 1)]
    sections += [(i.anchor, i.is_pdf, i.pages if i.is_pdf else 1) for i in items]
    sections += [("end", False, 1), ("back", False, 1)]
    first: dict[str, int] = {}
    length: dict[str, int] = {}
    page = 1
    for anchor, bound, pages in sections:
        first[anchor] = page
        length[anchor] = pages if bound else lengths.get(anchor, pages)
        page += length[anchor]
    drawn = [anchor for anchor, bound, _ in sections if not bound]
    return PagePlan(first, length, drawn, page - 1)


# The running head and the footer are stamped from strips drawn as pages of their own, as
# tall as the top and bottom margins of templates/documents/_print.css.
HEAD_MM = 30
MM = 72 / 25.4


def _section_lengths(drawn: pikepdf.Pdf) -> dict[str, int]:
    """How many pages each drawn section took, from the named destinations WeasyPrint gives
    the sections' anchors (the first strip, anchored "sheet", ends the back cover)."""
    index = {page.obj.objgen: n for n, page in enumerate(drawn.pages)}
    starts = {}
    names = drawn.Root.get("/Names")
    if names is not None and "/Dests" in names:
        for name, destination in pikepdf.NameTree(names.Dests).items():
            target = destination[0] if isinstance(destination, pikepdf.Array) else None
            if target is not None and target.objgen in index:
                starts[name] = index[target.objgen]
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    ends = [n for _, n in ordered[1:]] + [len(drawn.pages)]
    return {name: end - start for (name, start), end in zip(ordered, ends, strict=True)}


def _bind(
    drawn: pikepdf.Pdf, plan: PagePlan, items: list[Bound], sources: contextlib.ExitStack
) -> None:
    """Turn the drawn pages into the case file, in place: the strips at the end become stamps,
    each stored page is put on a page of its own in its place, and every page but the back
    cover is stamped with its head and footer."""
    width, height = A4
    drawn_pages = sum(plan.lengths[anchor] for anchor in plan.drawn)
    head, code, sample = drawn.pages[drawn_pages:]
    number = PageNumbers(drawn, sample)
    head, code = head.as_form_xobject(), code.as_form_xobject()
    del drawn.pages[drawn_pages:]
    x, y, w, h = SCAN_BOX
    area = pikepdf.Rectangle(x, y, x + w, y + h)
    for item in items:
        if not (item.is_pdf and item.pages):
            continue
        source = sources.enter_context(pikepdf.open(io.BytesIO(item.data())))
        for n, page in enumerate(source.pages[: item.pages]):
            blank = pikepdf.Page(drawn.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height],
                Resources=pikepdf.Dictionary(), Contents=drawn.make_stream(b""),
            )))  # fmt: skip
            drawn.pages.insert(plan.first[item.anchor] - 1 + n, blank)
            # Only the page's drawing is bound (a form of its content): links and other
            # annotations of a scan have no place in the archive.
            form = drawn.copy_foreign(page.as_form_xobject())
            drawn.pages[plan.first[item.anchor] - 1 + n].add_overlay(form, area)
    for n in range(1, plan.total):  # the back cover is not numbered
        stamps = [(code, 0.0), (number.form(f"第 {n} 页 共 {plan.total} 页"), 0.0)]
        if n >= plan.first["toc"]:  # the cover has no running head
            stamps.append((head, height - HEAD_MM * MM))
        _stamp(drawn.pages[n - 1], stamps)


class PageNumbers:
    """ "第 X 页 共 Y 页" for every page, set in the font, size and place WeasyPrint gave a
    sample of it: the sample's glyph codes (from its ToUnicode map) and widths centre each
    number where WeasyPrint would, and a form per page holds that page's text alone (text
    cut out of one sheet would still be found by copy and search)."""

    def __init__(self, pdf: pikepdf.Pdf, sample: pikepdf.Page) -> None:
        self.pdf = pdf
        self.box = sample.mediabox
        self.setup: list[bytes] = []  # the transformations before the text
        font, size, fonts, runs, shown = "", 0.0, set(), 0, ""
        for operands, operator in pikepdf.parse_content_stream(sample):
            op = str(operator)
            if op == "cm" and not runs:
                self.setup.append(" ".join(_num(o) for o in operands).encode() + b" cm")
            elif op == "Tf":
                font, size = str(operands[0]), float(operands[1])
            elif op == "Tm":
                self.matrix = [float(o) for o in operands]
                runs += 1
            elif op in ("TJ", "Tj"):
                fonts.add((font, size))
                parts = operands[0] if op == "TJ" else [operands[0]]
                shown += "".join(bytes(p).hex() for p in parts if isinstance(p, pikepdf.String))
        if runs != 1 or len(fonts) != 1:  # the template's sample is one run in one font
            raise RuntimeError("the page-number sample is not one run of text in one font")
        ((self.font, size),) = fonts
        self.size = size
        self.font_object = sample.Resources.Font[self.font]
        self.codes = _unicode_codes(self.font_object)
        self.widths, self.default_width = _cid_widths(self.font_object.DescendantFonts[0])
        sample_width = self._width_of_codes(bytes.fromhex(shown))
        self.centre = self.matrix[4] + sample_width / 2

    def _width_of_codes(self, codes: bytes) -> float:
        cids = [int.from_bytes(codes[n : n + 2], "big") for n in range(0, len(codes), 2)]
        return sum(self.widths.get(c, self.default_width) for c in cids) * self.size / 1000

    def form(self, text: str) -> pikepdf.Stream:
        codes = b"".join(self.codes[c] for c in text)
        x = self.centre - self._width_of_codes(codes) / 2
        a, b, c, d, _, f = self.matrix
        content = b"\n".join([
            b"q", *self.setup, b"0 0 0 rg BT",
            f"{_num(a)} {_num(b)} {_num(c)} {_num(d)} {x:.4f} {_num(f)} Tm".encode(),
            f"{self.font} {_num(self.size)} Tf <{codes.hex()}> Tj ET Q".encode(),
        ])  # fmt: skip
        return pikepdf.Stream(self.pdf, content, Type=pikepdf.Name.XObject,
                              Subtype=pikepdf.Name.Form, BBox=list(self.box),
                              Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(
                                  {self.font: self.font_object})))  # fmt: skip


def _stamp(page: pikepdf.Page, stamps: list[tuple[pikepdf.Object, float]]) -> None:
    """Draw each strip on the page at its height, over what the page has."""
    ops = [b"Q"]
    for form, rise in stamps:
        name = page.add_resource(form, pikepdf.Name.XObject, prefix="Stamp")
        ops.append(f"q 1 0 0 1 0 {rise:.3f} cm {name} Do Q".encode())
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"\n".join(ops) + b"\n", prepend=False)


def _num(value) -> str:
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


def _unicode_codes(font: pikepdf.Object) -> dict[str, bytes]:
    """Character → the code that shows it in this font, from its ToUnicode map."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    codes: dict[str, bytes] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes[bytes.fromhex(text).decode("utf-16-be")] = bytes.fromhex(code)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        ranges = re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block)
        for low, high, text in ranges:
            for n in range(int(low, 16), int(high, 16) + 1):
                char = chr(int(text, 16) + n - int(low, 16))
                codes[char] = n.to_bytes(len(low) // 2, "big")
    return codes


def _cid_widths(descendant: pikepdf.Object) -> tuple[dict[int, float], float]:
    """The glyph widths (thousandths of the size) of a CID font, from its /W array."""
    widths: dict[int, float] = {}
    entries = list(descendant.get("/W", []))
    n = 0
    while n < len(entries):
        first = int(entries[n])
        if isinstance(entries[n + 1], pikepdf.Array):
            for k, width in enumerate(entries[n + 1]):
                widths[first + k] = float(width)
            n += 2
        else:
            for cid in range(first, int(entries[n + 1]) + 1):
                widths[cid] = float(entries[n + 2])
            n += 3
    return widths, float(descendant.get("/DW", 1000))


# --- Verification -----------------------------------------------------------------------


def find_by_code(code: str) -> GeneratedDocument | None:
    """The document of a code as typed; codes printed in the old format still resolve."""
    code = normalise_code(code)
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(GeneratedDocument).where(GeneratedDocument.code == code))


def current_version(document: GeneratedDocument) -> GeneratedDocument:
    """The version of this document that counts: the newest signed one, if any was signed
    (printing it again makes an unsigned copy, not a new agreement), else the newest."""
    versions = db.session.scalars(
        select(GeneratedDocument)
        .where(
            GeneratedDocument.case_id == document.case_id,
            GeneratedDocument.kind == document.kind,
            GeneratedDocument.source_id == document.source_id,
        )
        .order_by(GeneratedDocument.version.desc())
    ).all()
    return next((d for d in versions if d.is_signed), versions[0])


def is_superseded(document: GeneratedDocument) -> bool:
    """Whether the agreement this document records was replaced by a newer agreement."""
    if document.kind not in (K.AGREEMENT, K.CONFIRMATION):
        return False
    agreement = db.session.get(Agreement, document.source_id)
    return agreement is not None and agreement.status == AgreementStatus.SUPERSEDED


def public_facts(document: GeneratedDocument) -> dict[str, Any]:
    """What the public page may say about a document: nothing beyond masked names."""
    case = document.case
    current = current_version(document)
    return {
        "case_number": case.number,
        "committee": case.committee.name,
        "kind": title_of(document),
        "version": document.version,
        "current_version": current.version,
        "current_signed": current.is_signed,
        "superseded": is_superseded(document),
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
