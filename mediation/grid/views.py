"""Grid pages: the grid worker's 排查 (report, 零上报, what became of each), the committee's
list and decision, the grid × week matrix, and setting grids up. Thin: parse, call the
service, render."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, case, select

from mediation import access
from mediation.extensions import db
from mediation.forms import choices, show_refusal
from mediation.grid import service
from mediation.grid.forms import GridForm, OpenCaseForm, ReportForm, ResolveForm, ZeroForm
from mediation.models import GridReport, GridReportKind, GridReportOutcome, Org, OrgKind, Role, User
from mediation.records.attachments import send_stored
from mediation.workflow import WorkflowError

bp = Blueprint("grid", __name__, url_prefix="/grid")
bp.add_app_template_global(service.week_label, "week_label")
REPORT, PENDING = GridReportKind.REPORT, GridReportOutcome.PENDING


@bp.before_request
@login_required
def _require_login():
    return None


def _my_grids():
    return db.session.scalars(access.grids_visible_to(current_user)).all()


def _report_form() -> ReportForm:
    form = ReportForm()
    form.grid_id.choices = [(g.id, g.name) for g in _my_grids() if g.active]
    return form


def _zero_form() -> ZeroForm:
    form = ZeroForm()
    form.grid_id.choices = [(g.id, g.name) for g in _my_grids() if g.active]
    form.week.choices = [
        (w.isoformat(), ("本周 " if n == 0 else "上周 ") + service.week_label(w))
        for n, w in enumerate(service.zero_weeks())
    ]
    return form


@bp.route("")
def mine():
    """A grid worker's own reports and what became of them; a committee's or an auditor's
    reports of the grids in scope, pending first."""
    if current_user.role not in (Role.GRID, Role.DIRECTOR, Role.MEDIATOR, Role.AUDITOR):
        abort(403)
    reports = db.session.scalars(
        access.grid_reports_visible_to(current_user)
        .order_by(
            case((and_(GridReport.kind == REPORT, GridReport.outcome == PENDING), 0), else_=1),
            GridReport.id.desc(),
        )
        .limit(200)
    ).all()
    zero = _zero_form() if access.can_file_grid_reports(current_user) else None
    return render_template("grid/index.html", reports=reports, zero=zero, grids=_my_grids())


@bp.route("/report", methods=["GET", "POST"])
def report():
    if not access.can_file_grid_reports(current_user):
        abort(403)
    form, status = _report_form(), 200
    if form.validate_on_submit():
        try:
            filed = service.file_report(
                current_user, form.data, request.files.getlist(form.photos.name)
            )
        except WorkflowError as refused:
            status = show_refusal(form, refused)
        else:
            flash(f"已上报（第{filed.id}号），调委会处理后可在此查看结果。", "success")
            return redirect(url_for("grid.mine"))
    elif form.errors:
        status = 400
    return render_template("grid/report_form.html", form=form), status


@bp.route("/zero", methods=["POST"])
def zero():
    if not access.can_file_grid_reports(current_user):
        abort(403)
    form = _zero_form()
    try:
        week = date.fromisoformat(form.week.data or "")
    except ValueError:
        week = None
    if form.validate_on_submit() and week is not None:
        try:
            filed = service.file_zero_report(current_user, form.grid_id.data, week)
        except WorkflowError as refused:
            show_refusal(form, refused)
        else:
            label = service.week_label(filed.week)
            flash(f"已零上报：{filed.grid.name} {label} 排查未发现纠纷。", "success")
            return redirect(url_for("grid.mine"))
    elif week is None:
        form.week.errors = ["请选择排查周。"]
    reports = db.session.scalars(
        access.grid_reports_visible_to(current_user).order_by(GridReport.id.desc()).limit(200)
    ).all()
    page = render_template("grid/index.html", reports=reports, zero=form, grids=_my_grids())
    return page, 400


def _report_page(report, status=200, resolve=None, open_case=None):
    return render_template(
        "grid/report.html",
        report=report,
        may_decide=access.can_decide_grid_report(current_user, report),
        resolve=resolve or ResolveForm(version=report.version),
        open_case=open_case or OpenCaseForm(version=report.version),
    ), status


@bp.route("/reports/<int:report_id>")
def show(report_id: int):
    return _report_page(access.grid_report_or_404(current_user, report_id))


def _version(form) -> int | None:
    value = form.version.data
    return int(value) if value and str(value).isdigit() else None


@bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
def resolve(report_id: int):
    report = access.grid_report_or_404(current_user, report_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            service.resolve_locally(current_user, report, form.note.data, _version(form))
        except WorkflowError as refused:
            return _report_page(report, show_refusal(form, refused), resolve=form)
        flash("已标记为就地化解，网格员可以看到处理结果。", "success")
        return redirect(url_for("grid.show", report_id=report.id))
    return _report_page(report, 400, resolve=form)


@bp.route("/reports/<int:report_id>/case", methods=["POST"])
def make_case(report_id: int):
    report = access.grid_report_or_404(current_user, report_id)
    form = OpenCaseForm()
    if form.validate_on_submit():
        try:
            service.open_case(
                current_user, report, form.applicant.data, form.respondent.data, _version(form)
            )
        except WorkflowError as refused:
            return _report_page(report, show_refusal(form, refused), open_case=form)
        flash("已转为案件（申请），请补全登记信息后决定是否受理。", "success")
        return redirect(url_for("cases.show", case_id=report.case_id))
    return _report_page(report, 400, open_case=form)


@bp.route("/reports/<int:report_id>/photos/<int:photo_id>")
def photo(report_id: int, photo_id: int):
    report = access.grid_report_or_404(current_user, report_id)
    found = next((p for p in report.photos if p.id == photo_id), None)
    if found is None:
        abort(404)
    return send_stored(found, mimetype=found.content_type, download_name=found.original_name)


@bp.route("/matrix")
def matrix():
    if not access.can_see_grid_matrix(current_user):
        abort(403)
    weeks, rows = service.matrix(current_user)
    labels = [service.short_week_label(w) for w in weeks]
    return render_template("grid/matrix.html", weeks=weeks, labels=labels, rows=rows)


@bp.route("/manage", methods=["GET", "POST"])
def manage():
    if not access.can_manage_grids(current_user):
        abort(403)
    form, status = GridForm(), 200
    committees = db.session.scalars(
        select(Org).where(Org.kind == OrgKind.COMMITTEE).order_by(Org.path)
    ).all()
    form.committee_id.choices = choices([(c.id, c.name) for c in committees])
    workers = db.session.scalars(
        select(User).where(User.role == Role.GRID, User.active).order_by(User.org_id, User.name)
    ).all()
    form.worker_id.choices = choices(
        [(u.id, f"{u.name}（{u.org.name}）") for u in workers], "暂不指定"
    )
    if form.validate_on_submit():
        try:
            grid = service.create_grid(current_user, form.data)
        except WorkflowError as refused:
            status = show_refusal(form, refused)
        else:
            flash(f"已新建网格：{grid.committee.name} {grid.name}。", "success")
            return redirect(url_for("grid.manage"))
    elif form.errors:
        status = 400
    grids = db.session.scalars(access.grids_visible_to(current_user)).all()
    page = render_template("grid/manage.html", form=form, grids=grids, workers=workers)
    return page, status
