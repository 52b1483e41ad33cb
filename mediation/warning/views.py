"""预警研判: the warning list, 督办 and its answer, the weekly analysis. Thin views."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access
from mediation.forms import show_refusal
from mediation.warning import service
from mediation.warning.forms import AnswerForm, InstructionForm, UnitForm
from mediation.workflow import WorkflowError

bp = Blueprint("warning", __name__)


def _unit_form() -> UnitForm:
    if not access.can_read_warnings(current_user):
        abort(403)
    units = [u for u in access.statistics_units(current_user) if u.kind != "committee"] or (
        access.statistics_units(current_user)
    )
    form = UnitForm(request.args, units=units)
    if not form.validate():  # a mistyped query string is ignored, as the case list's is
        for name in form.errors:
            form[name].data = None
    return form


def _refused(refusal: WorkflowError):
    """The list pages' only refusals are who may look and which unit: 403 or 404."""
    abort(refusal.status)


@bp.route("/warning/")
@login_required
def index():
    form = _unit_form()
    try:
        found = service.warning_list(
            current_user, form.org.data or None, form.reason.data or None, form.page.data or 1
        )
    except WorkflowError as refused:
        return _refused(refused)
    return render_template("warning/index.html", form=form, found=found, reasons=service.REASONS)


@bp.route("/warning/weekly")
@login_required
def weekly():
    form = _unit_form()
    try:
        analysis = service.weekly(current_user, form.org.data or None)
    except WorkflowError as refused:
        return _refused(refused)
    return render_template("warning/weekly.html", form=form, analysis=analysis)


# Under /cases/<id>/ so that the case's scope is checked before routing (cases.views).
@bp.route("/cases/<int:case_id>/instruct", methods=["GET", "POST"])
@login_required
def instruct(case_id: int):
    case = access.case_or_404(current_user, case_id)
    if not access.may_instruct(current_user, case):
        abort(403)
    form = InstructionForm()
    status = 200
    if request.method == "GET":
        form.seen.data = str(service.latest_instruction_id(case))
    elif form.validate_on_submit():
        try:
            seen = int(form.seen.data or 0)
        except ValueError:
            seen = -1
        try:
            service.send_instruction(case, current_user, form.message.data, seen)
            return redirect(url_for("warning.instruct", case_id=case.id, sent=1))
        except WorkflowError as refused:
            status = show_refusal(form, refused)
            form.seen.data = str(service.latest_instruction_id(case))
    else:
        status = 400
    return render_template(
        "warning/instruct.html",
        form=form,
        case=case,
        sent=request.args.get("sent"),
        instructions=service.instructions_of(case),
    ), status


@bp.route("/warning/instructions/<int:instruction_id>", methods=["GET", "POST"])
@login_required
def answer(instruction_id: int):
    try:
        instruction = service.instruction_or_404(current_user, instruction_id)
    except WorkflowError:
        abort(404)
    may_answer = access.may_answer_instruction(current_user, instruction.committee_id)
    form = AnswerForm()
    status = 200
    if request.method == "POST":
        if not may_answer:
            abort(403)
        if form.validate_on_submit():
            try:
                version = int(form.version.data or 0)
            except ValueError:
                version = -1
            try:
                service.answer_instruction(instruction, current_user, form.answer.data, version)
                return redirect(url_for("warning.answer", instruction_id=instruction.id))
            except WorkflowError as refused:
                status = show_refusal(form, refused)
        else:
            status = 400
    else:
        form.version.data = str(instruction.version)
    return render_template(
        "warning/answer.html", form=form, instruction=instruction, may_answer=may_answer
    ), status
