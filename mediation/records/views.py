"""Record pages: mediation sessions, investigations, attachments, invited participants.

Every URL names the case, so the app-wide scope check answers 404 out of scope before
anything here runs; a record or attachment is then looked up among that case's own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access, workflow
from mediation.audit.security import log_now
from mediation.calendar.service import session_defaults
from mediation.cases.panels import register_form
from mediation.cases.views import post_on_case
from mediation.forms import show_refusal
from mediation.models import Case, User
from mediation.models.base import utcnow
from mediation.records import service
from mediation.records.attachments import send_stored
from mediation.records.forms import (
    InvestigationForm,
    ParticipantForm,
    RecordForm,
    SessionForm,
    UploadForm,
)
from mediation.storage import storage
from mediation.workflow import WorkflowError

bp = Blueprint("records", __name__)

register_form("participant", lambda case: ParticipantForm(formdata=None))


@bp.before_request
@login_required
def _require_login():
    return None


@dataclass(frozen=True)
class Kind:
    """What differs between the session and the investigation pages."""

    name: str
    title: str
    form: type[RecordForm]
    records: Callable[[Case], list]  # the case's records of this kind
    check_new: Callable[[Case, User], None]
    create: Callable[[Case, User, dict], Any]
    update: Callable[[Any, User, int, dict], Any]
    defaults: Callable[[Case, User], dict]  # the new form's initial values


def _session_defaults(case: Case, user: User) -> dict:
    """A new session record starts from the case; written for a scheduled session
    (?appointment=<id>, from the calendar), from that session's time, place and people."""
    parties = "；".join(f"{p.role.label}{p.name}" for p in case.parties)
    return {
        "held_at": utcnow().replace(second=0, microsecond=0),
        "mediators": "、".join(m.user.name for m in case.active_mediators) or user.name,
        "attendees": parties,
        **session_defaults(case, request.args.get("appointment")),
    }


def _investigation_defaults(case: Case, user: User) -> dict:
    return {"held_at": utcnow().replace(second=0, microsecond=0), "investigator": user.name}


KINDS = {
    "session": Kind(
        "session", "调解记录", SessionForm, lambda case: case.session_records,
        service.check_may_record_session, service.record_session, service.update_session,
        _session_defaults,
    ),
    "investigation": Kind(
        "investigation", "调查记录", InvestigationForm, lambda case: case.investigation_records,
        service.check_may_investigate, service.record_investigation,
        service.update_investigation, _investigation_defaults,
    ),
}  # fmt: skip


def _one_of(items, item_id: int):
    """The item of the case with that id, or 404: an id of another case is not found here."""
    found = next((i for i in items if i.id == item_id), None)
    if found is None:
        abort(404)
    return found


def _invalid(form) -> int:
    if "csrf_token" in form.errors:
        form.form_errors.append("页面已过期，请刷新后重新提交。您填写的内容都还在。")
    return 400


def _case_url(case, anchor: str | None = None) -> str:
    return url_for("cases.show", case_id=case.id, _anchor=anchor)


def _draft_key(kind: Kind, case, record) -> str:
    """Names the browser-side draft of a form (static/js/app.js); cleared once saved."""
    if record is not None:
        return f"{kind.name}-{record.id}"
    return f"new-{kind.name}-{case.id}-{current_user.id}"


# One route per page, each handing its kind to the shared handler below.


@bp.route("/cases/<int:case_id>/sessions/new", methods=["GET", "POST"])
def new_session(case_id: int):
    return _new_record(KINDS["session"], case_id)


@bp.route("/cases/<int:case_id>/investigations/new", methods=["GET", "POST"])
def new_investigation(case_id: int):
    return _new_record(KINDS["investigation"], case_id)


@bp.route("/cases/<int:case_id>/sessions/<int:record_id>", methods=["GET", "POST"])
def session(case_id: int, record_id: int):
    return _edit_record(KINDS["session"], case_id, record_id)


@bp.route("/cases/<int:case_id>/investigations/<int:record_id>", methods=["GET", "POST"])
def investigation(case_id: int, record_id: int):
    return _edit_record(KINDS["investigation"], case_id, record_id)


@bp.route("/cases/<int:case_id>/sessions/<int:record_id>/attachments", methods=["POST"])
def session_upload(case_id: int, record_id: int):
    return _upload(KINDS["session"], case_id, record_id)


@bp.route("/cases/<int:case_id>/investigations/<int:record_id>/attachments", methods=["POST"])
def investigation_upload(case_id: int, record_id: int):
    return _upload(KINDS["investigation"], case_id, record_id)


def _record_url(k: Kind, case, record) -> str:
    return url_for(f"records.{k.name}", case_id=case.id, record_id=record.id, _anchor="attachments")


def _new_record(k: Kind, case_id: int):
    case = access.case_or_404(current_user, case_id)
    if request.method == "GET":
        try:
            k.check_new(case, current_user)
        except WorkflowError as error:
            flash(error.message, "error")
            return redirect(_case_url(case))
        form = k.form(data=k.defaults(case, current_user))
        return _render_form(k, case, None, form)
    form = k.form()
    if not form.validate():
        return _render_form(k, case, None, form, status=_invalid(form))
    try:
        record = workflow.attempt(lambda: k.create(case, current_user, form.fields()))
    except WorkflowError as error:
        return _render_form(k, case, None, form, status=show_refusal(form, error))
    flash(
        f"已保存{k.title}。签字后的记录、照片或证据材料，可点击该记录下的“上传附件”上传。",
        "success",
    )
    flash(_draft_key(k, case, None), "draft-clear")
    return redirect(_case_url(case, f"{k.name}-{record.id}"))


def _edit_record(k: Kind, case_id: int, record_id: int):
    case = access.case_or_404(current_user, case_id)
    record = _one_of(k.records(case), record_id)
    if request.method == "GET":
        try:
            service.check_may_edit(record, current_user)
        except WorkflowError as error:
            flash(error.message, "error")
            return redirect(_case_url(case, f"{k.name}-{record.id}"))
        return _render_form(k, case, record, k.form(obj=record).remember_base())
    form = k.form()
    if not form.validate():
        return _render_form(k, case, record, form, status=_invalid(form))
    try:
        workflow.attempt(lambda: k.update(record, current_user, form.version_seen(), form.fields()))
    except service.RecordConflictError as error:
        # The next save is a deliberate one over what the other person saved.
        merged, _ = form.merged_with(k.form(formdata=None, obj=record).remember_base())
        return _render_form(k, case, record, merged, status=409, conflict=error)
    except WorkflowError as error:
        return _render_form(k, case, record, form, status=show_refusal(form, error))
    flash(f"已保存对{k.title}的修改。", "success")
    flash(_draft_key(k, case, record), "draft-clear")
    return redirect(_case_url(case, f"{k.name}-{record.id}"))


def _upload(k: Kind, case_id: int, record_id: int):
    case = access.case_or_404(current_user, case_id)
    record = _one_of(k.records(case), record_id)
    upload_form = UploadForm()
    if not upload_form.validate():
        status = _invalid(upload_form)
    else:
        try:
            attachment = workflow.attempt(
                lambda: service.attach_to_record(
                    record, current_user, upload_form.file.data, upload_form.attachment_kind()
                )
            )
        except WorkflowError as error:
            status = show_refusal(upload_form, error)
        else:
            flash(f"已上传附件“{attachment.original_name}”。", "success")
            return redirect(_record_url(k, case, record))
    form = k.form(formdata=None, obj=record).remember_base()
    return _render_form(k, case, record, form, status=status, upload_form=upload_form)


def _render_form(k: Kind, case, record, form, status: int = 200, **context):
    context.setdefault("upload_form", UploadForm(formdata=None))
    attachments = []
    if record is not None:
        link = "session_record_id" if k.name == "session" else "investigation_record_id"
        attachments = [a for a in case.attachments if getattr(a, link) == record.id]
    return render_template(
        f"records/{k.name}_form.html", kind=k, case=case, record=record, form=form,
        attachments=attachments, draft_key=_draft_key(k, case, record), **context,
    ), status  # fmt: skip


@bp.route("/cases/<int:case_id>/participants", methods=["POST"])
def invite(case_id: int):
    case = access.case_or_404(current_user, case_id)

    return post_on_case(
        case, "participant", ParticipantForm(),
        lambda form: service.invite_participant(case, current_user, form.fields()),
        "已记录邀请参与调解的人员。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>")
def download(case_id: int, attachment_id: int):
    """Always a download with the stored type, never shown inline: a file that slipped past
    the content check still cannot run as a page of this site."""
    case = access.case_or_404(current_user, case_id)
    if not access.can_read_files(current_user, case):
        abort(403)
    attachment = _one_of(case.attachments, attachment_id)
    if not storage().exists(attachment.sha256):
        abort(404)
    log_now(
        "download",
        user=current_user,
        target=f"attachment:{attachment.id}",
        detail={"案件": case.number, "文件": attachment.original_name},
    )
    response = send_stored(
        attachment, mimetype=attachment.content_type, download_name=attachment.original_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    # Evidence holds personal data: no shared or lingering caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response
