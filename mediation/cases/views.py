"""Case pages: list, intake, detail, edit and the workflow actions. Thin: parse, call the
service, render."""

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access, workflow
from mediation.cases import page, service
from mediation.cases.forms import (
    ActionForm,
    AssignForm,
    CaseForm,
    FilterForm,
    PartyForm,
    RefusalForm,
    RightsNoticeForm,
)
from mediation.cases.listing import list_cases, unit_name
from mediation.cases.panels import PANEL_FORMS, LazyForm, register_form
from mediation.forms import choices, new_row_key, place_refusal, refused_status, show_refusal
from mediation.models import PartyKind, PartyRole, Publicity, Role
from mediation.models.base import local_today
from mediation.workflow import WorkflowError

bp = Blueprint("cases", __name__)
register_form("rights", lambda case: RightsNoticeForm(formdata=None, prefix="rights"))
CASE_URL = re.compile(r"^/(?:review/)?cases/(\d+)(/|$)")


@bp.before_request
@login_required
def _require_login():
    return None


@bp.before_app_request
def _case_scope_first():
    """A case out of the user's scope is 404 for every method, before anything else is
    decided: even a 405 would tell an outsider that the case exists."""
    match = CASE_URL.match(request.path)
    if match and current_user.is_authenticated:
        access.case_or_404(current_user, int(match.group(1)))


@bp.route("/cases")
def index():
    if not access.can_see_case_lists(current_user):
        abort(403)
    form = FilterForm(request.args)
    form.validate()
    filters = {k: v for k, v in form.data.items() if not form[k].errors}
    page = list_cases(
        current_user, filters, after=request.args.get("after"),
        before=request.args.get("before"), per_page=current_app.config["CASES_PER_PAGE"],
    )  # fmt: skip
    args = {k: v for k, v in request.args.items() if k not in ("after", "before") and v}
    return render_template(
        "cases/index.html", form=form, page=page, args=args, unit_name=unit_name(filters)
    )


def _party_entry_defaults(role: str) -> dict:
    return {"role": role, "kind": PartyKind.PERSON.value, "ethnicity": "汉族"}


def _handle_party_buttons(form: CaseForm) -> bool:
    """The add/remove party buttons, for browsers without JavaScript: change the form's
    party rows and show it again, keeping everything typed. True when one was pressed."""
    if "add_party" in request.form:
        role = request.form["add_party"]
        if role not in (PartyRole.APPLICANT, PartyRole.RESPONDENT):
            role = PartyRole.RESPONDENT.value
        form.parties.append_entry({**_party_entry_defaults(role), "key": new_row_key()})
        return True
    if "remove_party" in request.form:
        index = request.form.get("remove_party", type=int)
        entries = form.parties.entries
        if index is not None and 0 <= index < len(entries) and len(entries) > 2:
            entries.pop(index)
        return True
    return False


def _for_user(form: CaseForm) -> CaseForm:
    """A grid worker's report is always a grid report (service.register_case and
    update_case see to it): their form does not ask for the source."""
    if current_user.role == Role.GRID:
        del form.source
    return form


def _new_case_form() -> CaseForm:
    form = _for_user(CaseForm())
    if request.method == "GET":
        form.registered_on.data = local_today()
        defaults = [PartyRole.APPLICANT.value, PartyRole.RESPONDENT.value]
        for entry, role in zip(form.parties.entries, defaults, strict=True):
            entry.form.process(None, data=_party_entry_defaults(role))
    return form


@bp.route("/cases/new", methods=["GET", "POST"])
def new():
    if not access.can_register(current_user):
        abort(403)
    form = _new_case_form()
    if request.method == "POST" and not _handle_party_buttons(form) and form.validate():
        try:
            case = workflow.attempt(lambda: service.register_case(
                current_user, form.case_fields(), form.party_dicts(), form.referral_dict()
            ))  # fmt: skip
        except WorkflowError as error:
            show_refusal(form, error)
        else:
            flash(f"已登记案件 {case.number}。", "success")
            flash(_draft_key(None), "draft-clear")
            return redirect(url_for("cases.show", case_id=case.id))
    return _render_form(form, None, refused_status(form, request))


def _render_form(form: CaseForm, case, status: int, conflict=None):
    # The blank party row that the page's script copies when a party is added.
    blank = PartyForm(prefix="parties-__i__-", data=_party_entry_defaults("respondent"))
    return render_template(
        "cases/form.html", form=form, case=case, conflict=conflict, party_template=blank,
        draft_key=_draft_key(case),
    ), status  # fmt: skip


def _draft_key(case) -> str:
    """Names the browser-side draft of a form; cleared once the form has been saved."""
    return f"case-{case.id}" if case else f"new-case-{current_user.id}"


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    case = access.case_or_404(current_user, case_id)
    editable = access.can_edit(current_user, case)
    if request.method == "GET" and not editable:
        flash("本案件当前状态下您不能修改登记信息。", "error")
        return redirect(url_for("cases.show", case_id=case.id))
    form = _stored_case_form(case) if request.method == "GET" else _for_user(CaseForm())
    conflict = None
    if request.method == "POST" and not editable:
        # Shown with what was typed, so nothing is lost even though it cannot be saved.
        form.form_errors.append(
            "案件状态或承办人已变化，您已不能修改本案登记信息，填写的内容未保存。"
        )
        return _render_form(form, case, 403)
    if request.method == "POST" and not _handle_party_buttons(form) and form.validate():
        try:
            workflow.attempt(
                lambda: service.update_case(
                    case,
                    current_user,
                    form.version_seen(),
                    form.case_fields(),
                    form.party_dicts(),
                    seen=form.parties_seen(),
                    referral=form.referral_dict(),
                )
            )
        except service.ConflictError as error:
            conflict = error
            form = _merged_form(form, case)
        except WorkflowError as error:
            show_refusal(form, error)
        else:
            flash("修改已保存。", "success")
            flash(_draft_key(case), "draft-clear")
            return redirect(url_for("cases.show", case_id=case.id))
    return _render_form(form, case, 409 if conflict else refused_status(form, request), conflict)


def _stored_case_form(case) -> CaseForm:
    """The edit form filled from the database, remembering what it showed (for merging)."""
    referral = case.referral
    stored = {"reference_number": referral.reference_number, "referred_on": referral.referred_on,
              "feedback_due": referral.feedback_due} if referral else {}  # fmt: skip
    form = _for_user(CaseForm(formdata=None, obj=case, **stored))
    form.version.data = case.version
    return form.remember_base()


def _merged_form(mine: CaseForm, case) -> CaseForm:
    """After a refused save: the user's input merged with what the other person saved
    (EditForm.merged_with), party by party, so the next save is an informed one."""
    merged, _ = mine.merged_with(_stored_case_form(case))
    return _for_user(merged)


def _render_case(case, status: int = 200, **context):
    page.load(case)
    for key, factory in PANEL_FORMS.items():
        context.setdefault(f"{key}_form", LazyForm(lambda factory=factory: factory(case)))
    context.setdefault("action_form", ActionForm())
    refusal_form = context.setdefault("refusal_form", RefusalForm())
    refusal_form.party_id.choices = choices(
        (p.id, f"{p.role.label} {p.name}") for p in case.parties
    )
    assign_form = context.setdefault("assign_form", AssignForm())
    context["may_assign"] = service.may_assign(current_user, case)
    context["may_record_refusal"] = service.may_record_refusal(current_user, case)
    context["may_record_rights_notice"] = service.may_record_rights_notice(current_user, case)
    if context["may_assign"]:
        assign_form.mediator_id.choices = choices(
            (u.id, u.name) for u in access.assignable_mediators(case)
        )
    actions = workflow.available_actions(case, current_user)
    failed = workflow.ACTIONS.get(context.get("failed_action", ""))
    # A refusal of an action with its own reason form shows inside that form.
    context["error_inline"] = bool(failed and failed in actions and (failed.reason or failed.route))
    return render_template(
        "cases/show.html",
        case=case,
        actions=actions,
        show_personal=context.pop("show_personal", False),
        **context,
    ), status


@bp.route("/cases/<int:case_id>")
def show(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return _render_case(case)


@bp.route("/cases/<int:case_id>/actions/<name>", methods=["POST"])
def act(case_id: int, name: str):
    case = access.case_or_404(current_user, case_id)
    form = ActionForm()
    if not form.validate():
        return _render_case(case, 400, action_form=form, failed_action=name,
                            action_error=_form_problem(form))  # fmt: skip
    try:
        workflow.attempt(
            lambda: service.apply_action(
                case, current_user, name, form.reason.data or "", form.route.data or ""
            )
        )
    except WorkflowError as error:
        return _render_case(
            case, error.status, action_form=form, failed_action=name,
            action_error=error.message, action_field=error.field,
        )  # fmt: skip
    flash(f"已{workflow.ACTIONS[name].label}：案件现为“{case.status.label}”。", "success")
    return redirect(url_for("cases.show", case_id=case.id))


def post_on_case(case, key: str, form, do, done, then=None):
    """Run a small form posted from the case page. A refusal shows next to that form on the
    case page, with what was typed still in it. `done` is the message, or a function of
    what `do` returned; `then`, a function of the same, names where to go instead of the
    case page."""
    try:
        if not form.validate():
            raise WorkflowError(_form_problem(form), status=400)
        result = workflow.attempt(lambda: do(form))
    except WorkflowError as error:
        place_refusal(form, error)  # next to its field, with what was typed still in the form
        return _render_case(
            case, error.status, **{f"{key}_form": form, f"{key}_error": error.message}
        )
    flash(done(result) if callable(done) else done, "success")
    return redirect(then(result) if then else url_for("cases.show", case_id=case.id))


def _form_problem(form) -> str:
    if "csrf_token" in form.errors:
        return "页面已过期，请刷新后重试。"
    field, messages = next(iter(form.errors.items()))
    return f"{form[field].label.text}：{messages[0]}"


@bp.route("/cases/<int:case_id>/refusal", methods=["POST"])
def refusal(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case,
        "refusal",
        RefusalForm(),
        lambda f: service.record_refusal(case, current_user, f.party_id.data, f.note.data or ""),
        lambda c: (
            "已记录当事人拒绝调解。"
            + (
                "调解中当事人拒绝或要求终止调解的，请以“调解终止”结束本案。"
                if c.status == workflow.S.MEDIATING
                else ""
            )
        ),
    )


@bp.route("/cases/<int:case_id>/rights-notice", methods=["POST"])
def rights_notice(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "rights", RightsNoticeForm(prefix="rights"),
        lambda f: service.record_rights_notice(
            case, current_user, f.acknowledged.data,
            Publicity(f.publicity.data) if f.publicity.data else None, f.consent.data or "",
        ),
        "已登记受理前告知。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/mediators", methods=["POST"])
def assign(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "assign", AssignForm(),
        lambda f: service.assign_mediator(case, current_user, f.mediator_id.data, lead=f.lead.data,
                                          chosen_by_parties=f.chosen_by_parties.data),
        "已指派调解员。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/personal", methods=["POST"])
def personal(case_id: int):
    case = access.case_or_404(current_user, case_id)
    try:
        service.reveal_personal_data(case, current_user)
    except WorkflowError as error:
        abort(error.status)
    return _render_case(case, show_personal=True)
