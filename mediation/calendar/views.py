"""Calendar pages: a case's sessions scheduled, rescheduled, cancelled and downloaded as
.ics; 我的日程 and the committees' calendars by week and month. Thin: parse, call the
service, render.

Every appointment URL names its case, so the app-wide scope check answers 404 out of scope
before anything here runs; the appointment is then looked up among that case's own."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from mediation import access, workflow
from mediation.audit.security import log_now
from mediation.calendar import ics, service
from mediation.calendar.forms import AppointmentForm, CancelForm
from mediation.cases.page import memoised
from mediation.extensions import db
from mediation.forms import show_refusal
from mediation.models import Appointment, Case
from mediation.models.base import LOCAL_TZ, local_today
from mediation.workflow import WorkflowError

bp = Blueprint("calendar", __name__)
bp.add_app_template_global(service.when, "appointment_when")


@bp.before_request
@login_required
def _require_login():
    return None


@bp.app_context_processor
def _panel_helpers():
    """What templates/calendar/_case_panel.html asks about a case."""
    return {"appointments_of": memoised("appointments", service.appointments_of)}


# --- Calendars ------------------------------------------------------------------------------


def _period_args() -> tuple[str, date]:
    view = "month" if request.args.get("view") == "month" else "week"
    try:
        anchor = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        anchor = local_today()
    return view, anchor


@bp.route("/calendar")
def index():
    committees = access.calendar_committees(current_user)
    if not committees:
        abort(403)
    if len(committees) == 1:
        return redirect(url_for("calendar.committee", committee_id=committees[0].id))
    return render_template("calendar/index.html", committees=committees)


@bp.route("/calendar/mine")
def mine():
    if not access.works_cases(current_user):
        abort(403)
    view, anchor = _period_args()
    period = service.calendar(current_user, view, anchor, mine=True)
    return render_template(
        "calendar/calendar.html", period=period, title="我的日程", committee=None,
        endpoint="calendar.mine", args={},
    )  # fmt: skip


@bp.route("/calendar/committees/<int:committee_id>")
def committee(committee_id: int):
    org = access.calendar_committee_or_404(current_user, committee_id)
    view, anchor = _period_args()
    period = service.calendar(current_user, view, anchor, committee=org)
    return render_template(
        "calendar/calendar.html", period=period, title=f"{org.name}调解日程", committee=org,
        endpoint="calendar.committee", args={"committee_id": org.id},
    )  # fmt: skip


# --- A case's appointments -----------------------------------------------------------------


def _appointment(case: Case, appointment_id: int) -> Appointment:
    try:
        return service.appointment_of_case(case, appointment_id)
    except WorkflowError:
        abort(404)


def _choices(form: AppointmentForm, case: Case, appointment: Appointment | None) -> None:
    people = {u.id: u for u in access.assignable_mediators(case)}
    for m in appointment.mediators if appointment else []:
        people.setdefault(m.id, m)
    form.mediator_ids.choices = [(u.id, u.name) for u in people.values()]
    form.party_ids.choices = [(p.id, f"{p.role.label} {p.name}") for p in case.parties]


def _new_defaults(case: Case) -> dict:
    tomorrow = local_today() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(9, 0), tzinfo=LOCAL_TZ)
    earlier = service.appointments_of(case)
    assignable = {u.id for u in access.assignable_mediators(case)}
    mediators = [m.user_id for m in case.active_mediators if m.user_id in assignable]
    if not mediators and current_user.id in assignable:
        mediators = [current_user.id]
    return {
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=90),
        "place": earlier[-1].place if earlier else "",
        "mediator_ids": mediators,
        "party_ids": [p.id for p in case.parties],
    }


def _stored(appointment: Appointment) -> dict:
    return {
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "place": appointment.place,
        "mediator_ids": [m.id for m in appointment.mediators],
        "party_ids": [p.id for p in appointment.parties],
        "invited": appointment.invited,
        "version": appointment.version,
    }


def _places(case: Case) -> list[str]:
    """The places the committee used before, offered as the field's suggestions (one
    spelling per room)."""
    rows = db.session.execute(
        select(Appointment.room, Appointment.place)
        .where(Appointment.committee_id == case.committee_id)
        .order_by(Appointment.id.desc())
        .limit(200)
    )
    seen: dict[str, str] = {}
    for room, place in rows:
        seen.setdefault(room, place)
    return sorted(seen.values())


def _render_form(case, appointment, form, status=200, clash=None, cancel_form=None):
    if cancel_form is None:
        version = appointment.version if appointment else None
        cancel_form = CancelForm(formdata=None, data={"version": version})
    return render_template(
        "calendar/appointment.html", case=case, appointment=appointment, form=form,
        clash=clash, places=_places(case), cancel_form=cancel_form,
        may_schedule=_may_schedule(case),
    ), status  # fmt: skip


def _may_schedule(case: Case) -> bool:
    try:
        workflow.ensure_may_schedule(case, current_user)
    except WorkflowError:
        return False
    return True


def _save(case, appointment, form, do):
    """Run schedule/reschedule; a double booking shows next to its fields with the
    confirmation box, any other refusal next to its field or above the form."""
    try:
        return workflow.attempt(do), None
    except service.ClashError as clash:
        for name, messages in clash.fields.items():
            form[name].errors = [*form[name].errors, *messages]
        form.form_errors.append(clash.message)
        return None, _render_form(case, appointment, form, clash.status, clash=clash)
    except WorkflowError as refused:
        return None, _render_form(case, appointment, form, show_refusal(form, refused))


@bp.route("/cases/<int:case_id>/appointments/new", methods=["GET", "POST"])
def new(case_id: int):
    case = access.case_or_404(current_user, case_id)
    if request.method == "GET":
        try:
            workflow.ensure_may_schedule(case, current_user)
        except WorkflowError as refused:
            flash(refused.message, "error")
            return redirect(url_for("cases.show", case_id=case.id))
        form = AppointmentForm(formdata=None, data=_new_defaults(case))
        _choices(form, case, None)
        return _render_form(case, None, form)
    form = AppointmentForm()
    _choices(form, case, None)
    if not form.validate():
        return _render_form(case, None, form, 400)
    saved, page = _save(case, None, form, lambda: service.schedule(
        case, current_user, form.fields(), confirm=form.confirm_clash.data
    ))  # fmt: skip
    if page is not None:
        return page
    flash(f"已安排调解：{service.when(saved)}，{saved.place}。可下载日历文件或生成调解通知书。",
          "success")  # fmt: skip
    return redirect(url_for("calendar.show", case_id=case.id, appointment_id=saved.id))


@bp.route("/cases/<int:case_id>/appointments/<int:appointment_id>", methods=["GET", "POST"])
def show(case_id: int, appointment_id: int):
    case = access.case_or_404(current_user, case_id)
    appointment = _appointment(case, appointment_id)
    if request.method == "GET":
        form = AppointmentForm(formdata=None, data=_stored(appointment))
        _choices(form, case, appointment)
        return _render_form(case, appointment, form)
    form = AppointmentForm()
    _choices(form, case, appointment)
    if not form.validate():
        return _render_form(case, appointment, form, 400)
    saved, page = _save(case, appointment, form, lambda: service.reschedule(
        appointment, current_user, form.version_seen(), form.fields(),
        confirm=form.confirm_clash.data,
    ))  # fmt: skip
    if page is not None:
        return page
    flash(f"已调整调解安排：{service.when(saved)}，{saved.place}。如已通知当事人，请重新生成调解通知书。",
          "success")  # fmt: skip
    return redirect(url_for("calendar.show", case_id=case.id, appointment_id=saved.id))


@bp.route("/cases/<int:case_id>/appointments/<int:appointment_id>/cancel", methods=["POST"])
def cancel(case_id: int, appointment_id: int):
    case = access.case_or_404(current_user, case_id)
    appointment = _appointment(case, appointment_id)
    cancel_form = CancelForm()
    if cancel_form.validate():
        try:
            workflow.attempt(lambda: service.cancel(
                appointment, current_user, cancel_form.reason.data, cancel_form.version_seen()
            ))  # fmt: skip
        except WorkflowError as refused:
            status = show_refusal(cancel_form, refused)
        else:
            flash("已取消这次调解安排，请及时告知当事人。", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="appointments"))
    else:
        status = 400
    form = AppointmentForm(formdata=None, data=_stored(appointment))
    _choices(form, case, appointment)
    return _render_form(case, appointment, form, status, cancel_form=cancel_form)


@bp.route("/cases/<int:case_id>/appointments/<int:appointment_id>.ics")
def download(case_id: int, appointment_id: int):
    """The session as an iCalendar file for the mediator's phone or desktop calendar."""
    case = access.case_or_404(current_user, case_id)
    appointment = _appointment(case, appointment_id)
    body = ics.calendar_file([appointment], request.host.split(":")[0])
    name = f"调解安排-{appointment.starts_at.astimezone(LOCAL_TZ):%Y%m%d-%H%M}.ics"
    # It names the parties: a download like the documents, on the security log.
    log_now("download", user=current_user, target=f"appointment:{appointment.id}",
            detail={"案件": case.number, "文件": name})  # fmt: skip
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response
