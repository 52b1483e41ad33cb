"""Pages of the case-file review (案卷评查), the samples and the assessment. Thin: fetch
through access, call one service function, render or redirect."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from mediation import access
from mediation.extensions import db
from mediation.forms import show_refusal
from mediation.models import Verdict
from mediation.oversight import assessment, service
from mediation.oversight.checklist import LABELS, checklist
from mediation.oversight.forms import AnswerForm, SampleForm, VerdictForm
from mediation.reports import export
from mediation.reports import service as reports
from mediation.reports.forms import StatisticsForm
from mediation.workflow import WorkflowError

bp = Blueprint("oversight", __name__, url_prefix="/review")


@bp.app_context_processor
def _case_file_history():
    """The 卷宗's 备考表 (templates/documents/case_file.html) lists the review history."""
    return {"oversight_history": service.history_lines}


@bp.before_request
@login_required
def _require_login():
    return None


def _auditor_only() -> None:
    if not access.can_review(current_user):
        abort(403)


@bp.route("/")
def index():
    _auditor_only()
    committees = [u for u in access.statistics_units(current_user) if u.is_committee]
    committee_id = request.args.get("committee", type=int)
    state = request.args.get("state") or None
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = service.review_list(current_user, committee_id, state, page)
    return render_template(
        "oversight/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max((total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1),
        committees=committees,
        committee_id=committee_id,
        state=state,
        filters=service.FILTERS,
    )


def _review_page(case, status=200, verdict_form=None, answer_form=None, error=None):
    review = service.review_of(case)
    version = review.version if review else 0
    # A refused post shows its form again, with what was typed and why, even when the file
    # has meanwhile moved on (a repeat of a verdict already given).
    posted = {"verdict": verdict_form is not None, "answer": answer_form is not None}
    if verdict_form is None:
        verdict_form = VerdictForm(formdata=None, version=version)
    if answer_form is None:
        answer_form = AnswerForm(formdata=None, version=version)
    return render_template(
        "oversight/review.html",
        case=case,
        review=review,
        checks=checklist(case),
        labels=LABELS,
        verdict_form=verdict_form,
        answer_form=answer_form,
        error=error,
        may_verdict=service.may_give_verdict(current_user, case, review),
        may_answer=service.may_answer(current_user, case, review),
        posted=posted,
        case_files=service.case_files(case) if access.can_read_files(current_user, case) else [],
    ), status


def _case(case_id: int):
    case = access.case_or_404(current_user, case_id)
    if not access.may_see_review(current_user, case):
        abort(403)
    return case


@bp.route("/cases/<int:case_id>")
def review(case_id: int):
    return _review_page(_case(case_id))


@bp.route("/cases/<int:case_id>/verdict", methods=["POST"])
def verdict(case_id: int):
    case = _case(case_id)
    form = VerdictForm()
    if not form.validate():
        return _review_page(case, 400, verdict_form=form)
    try:
        service.give_verdict(
            case,
            current_user,
            Verdict(form.verdict.data),
            form.comment.data or "",
            form.item_comments(),
            form.version_seen(),
        )
    except WorkflowError as error:
        db.session.rollback()
        show_refusal(form, error)
        return _review_page(case, error.status, verdict_form=form)
    flash(f"已记录评查结论：{Verdict(form.verdict.data).label}。", "success")
    return redirect(url_for("oversight.review", case_id=case.id))


@bp.route("/cases/<int:case_id>/answer", methods=["POST"])
def answer(case_id: int):
    case = _case(case_id)
    form = AnswerForm()
    if not form.validate():
        return _review_page(case, 400, answer_form=form)
    try:
        service.answer_return(case, current_user, form.text.data or "", form.version_seen())
    except WorkflowError as error:
        db.session.rollback()
        show_refusal(form, error)
        return _review_page(case, error.status, answer_form=form)
    flash("已提交补正说明，等待司法所复查。", "success")
    return redirect(url_for("oversight.review", case_id=case.id))


@bp.route("/samples", methods=["GET", "POST"])
def samples():
    _auditor_only()
    units = service.sample_units(current_user)
    form = SampleForm(units=units, data={"org": units[0].id} if units else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                unit = next((u for u in units if u.id == form.org.data), None)
                if unit is None:
                    raise WorkflowError("没有这个单位，或不在您的范围内。", status=404, field="org")
                sample = service.draw_sample(
                    current_user,
                    unit,
                    form.year.data,
                    form.quarter.data,
                    form.per_committee.data,
                    form.seed.data or "",
                )
            except WorkflowError as error:
                db.session.rollback()
                status = show_refusal(form, error)
            else:
                flash(f"已抽取{len(sample.cases)}份案卷，随机种子 {sample.seed}。", "success")
                return redirect(url_for("oversight.sample", sample_id=sample.id))
        else:
            status = 400
    return render_template(
        "oversight/samples.html", form=form, samples=service.samples_visible_to(current_user)
    ), status


@bp.route("/samples/<int:sample_id>")
def sample(sample_id: int):
    _auditor_only()
    try:
        found = service.sample_or_404(current_user, sample_id)
    except WorkflowError:
        abort(404)
    return render_template(
        "oversight/sample.html", sample=found, progress=service.sample_progress(found)
    )


def _assessment():
    """The form (today's quarter and the auditor's own unit unless asked) and the ranked
    tables, or None with the refusal by its field."""
    _auditor_only()
    units = access.statistics_units(current_user)
    quarter = reports.current_period("quarter")
    defaults = {
        "org": units[0].id,
        "kind": "quarter",
        "year": quarter.year,
        "month": reports.current_period("month").number,
        "quarter": quarter.number,
    }
    form = StatisticsForm(request.args or None, data=defaults, units=units)
    if not form.validate():
        return form, None, 400
    try:
        unit = reports.unit_or_404(current_user, form.org.data)
        period = reports.make_period(
            form.kind.data, form.year.data, form.month.data, form.quarter.data
        )
    except WorkflowError as refused:
        return form, None, show_refusal(form, refused)
    sort = request.args.get("sort", "success_rate")
    return form, assessment.build(current_user, unit, period, sort), 200


@bp.route("/assessment")
def assessment_page():
    form, found, status = _assessment()
    return render_template(
        "oversight/assessment.html",
        form=form,
        found=found,
        columns=assessment.COLUMNS,
        rankings=assessment.RANKINGS,
        written=reports.written,
    ), status


@bp.route("/assessment.xlsx")
def assessment_xlsx():
    found = _assessment()[1]
    if found is None:
        return assessment_page()
    return send_file(
        export.assessment_workbook(
            found, reports.build_report(current_user, found.unit, found.period)
        ),
        as_attachment=True,
        max_age=0,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        download_name=f"人民调解统计与考核-{found.unit.name}-{found.period.slug}.xlsx",
    )
