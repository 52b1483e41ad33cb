"""受理窗口: the office's list, the desk registration, an entry's page with its steps (交办 or
转其他机关, 催办, 并口回复) and the printable reply. Thin: parse, call the service, render."""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access
from mediation.cases.forms import PartyForm
from mediation.cases.views import _handle_party_buttons, _party_entry_defaults
from mediation.dispatch import service
from mediation.dispatch.forms import (
    DeskForm,
    DispatchForm,
    OutsideAnswerForm,
    OutsideForm,
    RemindForm,
    ReplyForm,
)
from mediation.forms import choices, refused_status, show_refusal
from mediation.models import PartyRole
from mediation.models.base import local_today
from mediation.workflow import WorkflowError, attempt

bp = Blueprint("dispatch", __name__, url_prefix="/desk")
ENTRY_URL = re.compile(r"^/desk/(\d+)(/|$)")


@bp.before_request
@login_required
def _require_login():
    return None


@bp.before_app_request
def _entry_scope_first():
    """An entry of another office is 404 for every method, before routing (as a case is)."""
    match = ENTRY_URL.match(request.path)
    if match and current_user.is_authenticated:
        access.desk_entry_or_404(current_user, int(match.group(1)))


def _desk_staff():
    if not access.can_use_desk(current_user):
        abort(403)


@bp.route("/")
def index():
    _desk_staff()
    which = request.args.get("show", "")
    found = service.desk_list(current_user, which)
    return render_template("dispatch/index.html", found=found, which=which, filters=service.FILTERS)


@bp.route("/new", methods=["GET", "POST"])
def new():
    _desk_staff()
    form = DeskForm()
    if request.method == "GET":
        form.registered_on.data = local_today()
        roles = [PartyRole.APPLICANT.value, PartyRole.RESPONDENT.value]
        for entry, role in zip(form.parties.entries, roles, strict=True):
            entry.form.process(None, data=_party_entry_defaults(role))
    elif not _handle_party_buttons(form) and form.validate():
        try:
            entry = service.register_entry(current_user, form.entry_fields(), form.party_dicts())
        except WorkflowError as refused:
            show_refusal(form, refused)
        else:
            flash(f"已登记（{entry.number}），请交办或转其他机关办理。", "success")
            flash(f"desk-{current_user.id}", "draft-clear")
            return redirect(url_for("dispatch.show", entry_id=entry.id))
    blank = PartyForm(prefix="parties-__i__-", data=_party_entry_defaults("respondent"))
    page = render_template("dispatch/new.html", form=form, party_template=blank)
    return page, refused_status(form, request)


def _forms(entry, **given):
    """The blank forms the entry's page may show, or the refused one with what was typed."""
    forms = {
        "dispatch": DispatchForm(formdata=None),
        "outside": OutsideForm(formdata=None),
        "answer": OutsideAnswerForm(formdata=None),
        "remind": RemindForm(formdata=None),
        "reply": ReplyForm(formdata=None),
    }
    forms.update(given)
    committees = access.dispatch_committees(current_user)
    forms["dispatch"].committee_id.choices = choices(
        ((str(c.id), c.name) for c in committees), "请选择"
    )
    suggested = service.suggested_committee(current_user, entry)
    if "dispatch" not in given:
        forms["dispatch"].committee_id.data = str(suggested.id) if suggested else ""
        forms["dispatch"].due_on.data = service.default_due_on()
        forms["outside"].on.data = local_today()
        forms["answer"].on.data = local_today()
    if "reply" not in given:
        forms["reply"].on.data = local_today()
        forms["reply"].text.data = service.reply_draft(entry) if entry.has_ended else ""
    return forms, suggested


def _render(entry, status: int = 200, error_key: str = "", **given):
    forms, suggested = _forms(entry, **given)
    page = render_template(
        "dispatch/show.html",
        entry=entry,
        forms=forms,
        suggested=suggested,
        error_key=error_key,
        outcome=service.outcome_of(entry),
        may_remind=service.may_remind(current_user, entry),
        reply_documents=service.reply_documents(entry),
        case_in_scope=entry.case is not None and access.in_scope(current_user, entry.case),
    )
    return page, status


@bp.route("/<int:entry_id>")
def show(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    return _render(entry)


def _post(entry, key: str, form, do, done: str):
    """A step posted from the entry's page; a refusal shows next to its form, typed text kept."""
    if form.validate():
        try:
            attempt(lambda: do(form))
        except WorkflowError as refused:
            return _render(entry, show_refusal(form, refused), key, **{key: form})
        flash(done, "success")
        return redirect(url_for("dispatch.show", entry_id=entry.id))
    return _render(entry, 400, key, **{key: form})


@bp.route("/<int:entry_id>/dispatch", methods=["POST"])
def dispatch(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    form = DispatchForm()
    form.committee_id.choices = choices(
        (str(c.id), c.name) for c in access.dispatch_committees(current_user)
    )
    form.committee_id.validate_choice = False  # the service says which committee is wrong
    return _post(
        entry, "dispatch", form,
        lambda f: service.dispatch(
            entry, current_user,
            int(f.committee_id.data) if (f.committee_id.data or "").isdigit() else None,
            f.instructions.data or "", f.due_on.data,
        ),
        "已交办，调委会主任将决定是否受理。",
    )  # fmt: skip


@bp.route("/<int:entry_id>/outside", methods=["POST"])
def outside(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    return _post(
        entry, "outside", OutsideForm(),
        lambda f: service.send_outside(
            entry, current_user, f.body.data or "", f.on.data, f.how.data or ""
        ),
        "已登记转其他机关办理。",
    )  # fmt: skip


@bp.route("/<int:entry_id>/outside-answer", methods=["POST"])
def outside_answer(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    return _post(
        entry, "answer", OutsideAnswerForm(),
        lambda f: service.record_outside_answer(entry, current_user, f.on.data, f.text.data or ""),
        "已登记其他机关的答复，可以答复来源了。",
    )  # fmt: skip


@bp.route("/<int:entry_id>/remind", methods=["POST"])
def remind(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    return _post(
        entry, "remind", RemindForm(),
        lambda f: service.remind(entry, current_user, f.message.data or ""),
        "已催办，调委会主任和承办调解员将在“我的待办”中看到。",
    )  # fmt: skip


@bp.route("/<int:entry_id>/reply", methods=["POST"])
def reply(entry_id: int):
    entry = access.desk_entry_or_404(current_user, entry_id)
    return _post(
        entry, "reply", ReplyForm(),
        lambda f: service.record_reply(
            entry, current_user, f.on.data, f.how.data or "", f.text.data or ""
        ),
        "已记录答复。可打印答复书交来源。",
    )  # fmt: skip


@bp.route("/<int:entry_id>/reply/print")
def reply_print(entry_id: int):
    """The printable 矛盾纠纷办理结果答复书, once the reply is recorded."""
    entry = access.desk_entry_or_404(current_user, entry_id)
    if not entry.is_replied:
        abort(404)
    return render_template("dispatch/reply_print.html", entry=entry)
