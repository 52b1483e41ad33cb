"""Agreement, follow-up, court confirmation, deadline and archive pages."""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access, workflow
from mediation.agreements import service
from mediation.agreements.forms import (
    AddendumForm,
    AgreementForm,
    ConfirmationForm,
    ConfirmationResultForm,
    ExtensionForm,
    FollowUpForm,
    NoteForm,
    ReminderForm,
    SignedForm,
)
from mediation.cases.panels import register_form
from mediation.cases.views import post_on_case
from mediation.extensions import db
from mediation.forms import choices, refused_status, show_refusal
from mediation.models import (
    AgreementKind,
    ConfirmationResult,
    CourtConfirmation,
    Reminder,
    Satisfaction,
)
from mediation.models.base import local_today
from mediation.models.case import DUE_SOON_DAYS
from mediation.workflow import WorkflowError

bp = Blueprint("agreements", __name__)


@bp.app_context_processor
def _panel_rules():
    """What templates/agreements/_case_panel.html asks the service about a case."""
    return {"agreement_rules": SimpleNamespace(
        may_follow_up=service.may_follow_up, may_refer_to_court=service.may_refer_to_court,
        may_apply_for_confirmation=service.may_apply_for_confirmation,
    )}  # fmt: skip


for _key, _form in (
    ("signed", SignedForm), ("referral", NoteForm), ("confirmation", ConfirmationForm),
    ("confirmation_result", ConfirmationResultForm), ("remedies", NoteForm),
    ("reminder", ReminderForm), ("addendum", AddendumForm),
):  # fmt: skip
    register_form(_key, lambda case, form=_form: form(formdata=None))


def extension_form(case, formdata=None) -> ExtensionForm:
    """The extension form, offering the case's parties as the ones who consent."""
    form = ExtensionForm(formdata=formdata)
    form.consenting.choices = choices((p.id, f"{p.role.label} {p.name}") for p in case.parties)
    return form


register_form("extension", extension_form)


@bp.before_request
@login_required
def _require_login():
    return None


@bp.route("/cases/<int:case_id>/agreement/new", methods=["GET", "POST"])
def new_agreement(case_id: int):
    case = access.case_or_404(current_user, case_id)
    form = AgreementForm()
    status = None  # a refusal's own (409: the case has moved on; 403; 400)
    if request.method == "GET":
        form.facts.data = case.summary
        form.kind.data = AgreementKind.WRITTEN.value
    elif "add_term" in request.form:
        form.terms.append_entry()
    elif "remove_term" in request.form:
        index = request.form.get("remove_term", type=int)
        if index is not None and 0 <= index < len(form.terms.entries) and len(form.terms) > 1:
            form.terms.entries.pop(index)
    elif form.validate():
        try:
            workflow.attempt(lambda: service.reach_agreement(
                case, current_user, AgreementKind(form.kind.data), form.fields_dict(),
                form.term_dicts(),
            ))  # fmt: skip
        except WorkflowError as error:
            db.session.rollback()
            status = show_refusal(form, error)
        else:
            flash("已记录调解协议，案件现为“已达成协议”。", "success")
            return redirect(url_for("cases.show", case_id=case.id))
    parties = [p.name for p in case.parties]
    return render_template(
        "agreements/agreement_form.html", form=form, case=case, parties=parties
    ), status or refused_status(form, request)


@bp.route("/cases/<int:case_id>/agreements/<int:agreement_id>/signed", methods=["POST"])
def signed(case_id: int, agreement_id: int):
    case = access.case_or_404(current_user, case_id)
    agreement = next((a for a in case.agreements if a.id == agreement_id), None) or abort(404)
    return post_on_case(
        case, "signed", SignedForm(),
        lambda f: service.confirm_signed(case, current_user, agreement, f.file.data,
                                         f.checked.data),
        "已上传签字盖章件，调解协议已生效。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/follow-ups/new", methods=["GET", "POST"])
def new_follow_up(case_id: int):
    case = access.case_or_404(current_user, case_id)
    agreement = case.agreement
    if agreement is None:
        flash("本案尚无调解协议，不能回访。", "error")
        return redirect(url_for("cases.show", case_id=case.id))
    form = FollowUpForm()
    status = None  # a refusal's own: 409 when the case has moved on
    if request.method == "GET":
        form.visited_on.data = local_today()
        form.visited.data = "、".join(p.name for p in case.parties)
        form.reason.data = "回访调解协议履行情况"
        for term in agreement.terms:
            form.performances.append_entry({"term_id": str(term.id)})
    if request.method == "POST" and form.validate():
        try:
            workflow.attempt(lambda: service.record_follow_up(case, current_user, {
                "visited_on": form.visited_on.data, "visited": form.visited.data,
                "satisfaction": Satisfaction(form.satisfaction.data),
                "opinions": form.opinions.data, "reason": form.reason.data,
                "risks": form.risks.data, "measures": form.measures.data,
            }, form.performance_map()))  # fmt: skip
        except WorkflowError as error:
            db.session.rollback()
            status = show_refusal(form, error)
        else:
            flash("已记录回访。", "success")
            return redirect(url_for("cases.show", case_id=case.id))
    terms = {str(t.id): (n, t) for n, t in enumerate(agreement.terms, start=1)}
    return render_template(
        "agreements/follow_up_form.html", form=form, case=case, terms=terms
    ), status or refused_status(form, request)


@bp.route("/cases/<int:case_id>/court-referral", methods=["POST"])
def court_referral(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "referral", NoteForm(),
        lambda f: service.refer_to_court(case, current_user, f.note.data or ""),
        "已记录引导当事人向人民法院起诉。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/remedies", methods=["POST"])
def remedies(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case,
        "remedies",
        NoteForm(),
        lambda f: service.inform_remedies(case, current_user, f.note.data or ""),
        "已记录告知当事人救济途径。",
    )


@bp.route("/cases/<int:case_id>/confirmations", methods=["POST"])
def apply_confirmation(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "confirmation", ConfirmationForm(),
        lambda f: service.apply_for_confirmation(case, current_user, f.applied_on.data,
                                                 f.court.data or ""),
        "已登记司法确认申请。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/confirmations/<int:confirmation_id>", methods=["POST"])
def confirmation_result(case_id: int, confirmation_id: int):
    case = access.case_or_404(current_user, case_id)
    confirmation = db.session.get(CourtConfirmation, confirmation_id)
    if confirmation is None or confirmation.case_id != case.id:
        abort(404)

    def record(f):
        service.record_confirmation_result(case, current_user, confirmation, f.version_seen(),
                                           ConfirmationResult(f.result.data), f.decided_on.data,
                                           f.reference.data or "")  # fmt: skip

    return post_on_case(case, "confirmation_result", ConfirmationResultForm(), record,
                        "已登记司法确认结果。")  # fmt: skip


@bp.route("/cases/<int:case_id>/extension", methods=["POST"])
def extension(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "extension", extension_form(case, request.form),
        lambda f: service.extend_deadline(case, current_user, f.days.data, f.reason.data or "",
                                          f.consenting.data or [], f.manner.data or ""),
        "已延长办理期限。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/reminders", methods=["POST"])
def remind(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "reminder", ReminderForm(),
        lambda f: service.send_reminder(case, current_user, f.message.data or ""),
        "已催办。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/reminders/<int:reminder_id>/read", methods=["POST"])
def reminder_read(case_id: int, reminder_id: int):
    case = access.case_or_404(current_user, case_id)
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or reminder.case_id != case.id:
        abort(404)
    try:
        service.mark_reminder_read(reminder, current_user)
    except WorkflowError as error:
        abort(error.status)
    return redirect(url_for("cases.show", case_id=case.id))


@bp.route("/cases/<int:case_id>/addenda", methods=["POST"])
def addendum(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "addendum", AddendumForm(),
        lambda f: service.add_addendum(case, current_user, f.text.data or ""),
        "已添加归档后补充说明。",
    )  # fmt: skip


@bp.route("/todo")
def todo():
    return render_template("agreements/todo.html", todo=service.todo_for(current_user),
                           due_soon_days=DUE_SOON_DAYS)  # fmt: skip
