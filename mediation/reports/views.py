"""The statistics page and its spreadsheet. Thin: parse, call the service, render."""

from functools import partial
from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from mediation import access
from mediation.audit.security import log_now
from mediation.forms import show_refusal
from mediation.reports import charts, export, official, service
from mediation.reports.forms import StatisticsForm
from mediation.workflow import WorkflowError

bp = Blueprint("reports", __name__)


@bp.context_processor
def _report_helpers():
    """What templates/reports/ asks: the columns and how a figure is written."""
    return {"stats": SimpleNamespace(
        columns=service.columns, written=service.written, cells=service.cells,
        BREAKDOWN=service.BREAKDOWN,
        MEDIATOR=service.MEDIATOR,
    )}  # fmt: skip


def _report():
    """The form, read from the query string (today's month and the user's own unit when
    nothing is asked), and the report it asks for, or None with the refusal by its field."""
    if not access.can_read_statistics(current_user):
        abort(403)
    units = access.statistics_units(current_user)
    month, quarter = service.current_period("month"), service.current_period("quarter")
    defaults = {"org": units[0].id, "kind": "month", "year": month.year, "month": month.number,
                "quarter": quarter.number}  # fmt: skip
    form = StatisticsForm(request.args or None, data=defaults, units=units)
    if not form.validate():
        return form, None, 400
    try:
        unit = service.unit_or_404(current_user, form.org.data)
        period = service.make_period(form.kind.data, form.year.data, form.month.data,
                                     form.quarter.data)  # fmt: skip
        return form, service.build_report(current_user, unit, period), 200
    except WorkflowError as refused:
        return form, None, show_refusal(form, refused)


@bp.route("/statistics")
@login_required
def statistics():
    form, report, status = _report()
    drawn = None
    if report is not None:
        trend = service.trend(report.unit, report.period)
        drawn = charts.report_charts(report, trend, partial(url_for, "cases.index"))
    screening = service.grid_screening(report.unit, report.period) if report else []
    feedback = service.referral_feedback(report.unit, report.period) if report else []
    return render_template(
        "reports/statistics.html", form=form, report=report, charts=drawn, screening=screening,
        feedback=feedback,
    ), status  # fmt: skip


@bp.route("/statistics/official")
@login_required
def official_table():
    """The 人民调解工作统计表 for the chosen unit and period, laid out for printing."""
    form, report, status = _report()
    rows = total = None
    if report is not None:
        rows, total = official.official_rows(report)
    return render_template(
        "reports/official.html",
        form=form,
        report=report,
        rows=rows,
        total=total,
        categories=official.CATEGORY_COLUMNS,
        outcomes=official.OUTCOME_COLUMNS,
    ), status


@bp.route("/statistics.xlsx")
@login_required
def spreadsheet():
    form, report, status = _report()
    if report is None:
        return render_template("reports/statistics.html", form=form, report=None), status
    log_now(
        "export",
        user=current_user,
        target=f"org:{report.unit.id}",
        detail={"单位": report.unit.name, "期间": report.period.slug},
    )
    return send_file(
        export.workbook(report), as_attachment=True, max_age=0,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        download_name=f"人民调解统计-{report.unit.name}-{report.period.slug}.xlsx",
    )  # fmt: skip
