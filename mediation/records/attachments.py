"""Storing uploaded files: checked by content (not by name), size-limited, cleaned of active
content (records/sanitise.py), kept outside static/ under the SHA-256 of the cleaned copy
and only ever served as downloads through the scope check."""

import hashlib
from dataclasses import dataclass

from flask import abort, current_app, send_file
from werkzeug.datastructures import FileStorage

from mediation import access, workflow
from mediation.audit.service import record_event
from mediation.extensions import db
from mediation.models import Attachment, AttachmentKind, Case, EventKind, User
from mediation.records.sanitise import clean, clean_filename
from mediation.storage import Missing, storage
from mediation.workflow import WorkflowError

# What each accepted kind of file starts with, and the type it is served as.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(data: bytes) -> str | None:
    """The content type of a PDF, JPEG or PNG file from its first bytes; None for anything
    else, whatever its name says."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def store_file(data: bytes) -> str:
    """Keep the bytes (the same content once, mediation/storage.py) and return their
    SHA-256, the key they are read back by."""
    return storage().put(data)


def read_file(stored) -> bytes:
    """The bytes of a stored upload (anything with a sha256: attachments, photos)."""
    return storage().get(stored.sha256)


def send_stored(stored, *, download_name: str, mimetype: str):
    """A download of a stored file (never inline): streamed from the folder, or from the
    database row. 404 when its bytes are missing from the store."""
    try:
        handle = storage().open(stored.sha256)
    except Missing:
        abort(404)
    return send_file(
        handle, mimetype=mimetype, as_attachment=True, download_name=download_name,
        etag=False, max_age=0,
    )  # fmt: skip


@dataclass(frozen=True)
class StoredUpload:
    name: str
    content_type: str
    size: int
    sha256: str  # of the cleaned copy, which is what is kept
    original_sha256: str  # of the file as uploaded


def store_upload(upload: FileStorage | None) -> StoredUpload:
    """Check an uploaded file (size, content), clean it of active content and keep the
    cleaned copy under its SHA-256: the one place uploads are written, for case attachments
    and grid reports' photos alike. Refusals name the field `file`."""
    if upload is None or not upload.filename:
        raise WorkflowError("请选择要上传的文件。", status=400, field="file")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    upload.stream.seek(0)  # read from the start also when the use case is run again
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise WorkflowError(
            f"文件超过 {limit // (1024 * 1024)} MB，请压缩或分开上传。", status=400, field="file"
        )
    if not data:
        raise WorkflowError("上传的文件是空的。", status=400, field="file")
    content_type = sniff(data)
    if content_type is None:
        raise WorkflowError(
            "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断，与文件名无关）。",
            status=400,
            field="file",
        )
    original_digest = hashlib.sha256(data).hexdigest()
    # What is kept, downloaded and bound into the case file is the cleaned copy; the
    # original's digest stays on record, to match the file the uploader still holds.
    data = clean(data, content_type)
    digest = store_file(data)
    name = clean_filename(upload.filename, content_type)
    return StoredUpload(name, content_type, len(data), digest, original_digest)


def store_attachment(
    case: Case,
    user: User,
    upload: FileStorage | None,
    kind: AttachmentKind,
    *,
    commit: bool = True,
    **link,
) -> Attachment:
    """Keep an uploaded file for the case. `link` ties it to a record: session_record_id,
    investigation_record_id or agreement_id. Refusals name the field `file`."""
    workflow.ensure_working(case, "上传附件")
    if not access.may(user, case, access.HANDLER):
        raise WorkflowError("只有本案调解员或调委会主任可以上传附件。", status=403)
    stored = store_upload(upload)
    workflow.lock(case)  # before the insert: simultaneous uploads wait, never deadlock
    name, digest, original_digest = stored.name, stored.sha256, stored.original_sha256
    attachment = Attachment(
        case_id=case.id,
        kind=kind,
        original_name=name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=digest,
        original_sha256=original_digest,
        uploaded_by_id=user.id,
        **link,
    )
    db.session.add(attachment)
    case.attachments.append(attachment)
    db.session.flush()
    details = {"文件": name, "类别": kind.label, "SHA-256": digest[:16]}
    if original_digest != digest:
        details["原文件 SHA-256"] = original_digest[:16]
    record_event(case, user, EventKind.ATTACHMENT, details=details)
    if commit:
        db.session.commit()
    return attachment
