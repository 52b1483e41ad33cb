"""Use cases of the hearing calendar: schedule, reschedule and cancel a session, find double
bookings of a mediator or a room, the week and month calendars, and what a session record
or a resident's page takes from an appointment."""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from mediation import access, workflow
from mediation.audit.service import record_event
from mediation.extensions import db
from mediation.models import (
    Appointment,
    AppointmentStatus,
    Case,
    EventKind,
    Org,
    SessionRecord,
    User,
)
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.models.calendar import appointment_mediators
from mediation.workflow import WorkflowError

A = AppointmentStatus
# Field labels: the form shows them, refusals and the timeline's diffs name fields with them.
LABELS = {
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "place": "调解地点",
    "mediator_ids": "调解员",
    "party_ids": "通知参加的当事人",
    "invited": "邀请参加的其他人员",
}
LONGEST = timedelta(hours=12)  # a session is held within one day


def normalise_room(place: str) -> str:
    """The room a place names, for finding double bookings: full-width letters and digits
    as half-width, no spaces, case folded (「调解室 ２」 is 「调解室2」)."""
    text = unicodedata.normalize("NFKC", place or "")
    return "".join(text.split()).casefold()


def appointments_of(case: Case) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.case_id == case.id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def appointment_of_case(case: Case, appointment_id: int) -> Appointment:
    found = db.session.get(Appointment, appointment_id)
    if found is None or found.case_id != case.id:
        raise WorkflowError("没有这次调解安排。", status=404)
    return found


def when(appointment: Appointment) -> str:
    """「2026-12-03 09:30—11:00」: the time as pages, events and documents say it."""
    start = appointment.starts_at.astimezone(LOCAL_TZ)
    end = appointment.ends_at.astimezone(LOCAL_TZ)
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M}—{tail}"


# --- Double bookings ----------------------------------------------------------------------


@dataclass
class Clash:
    """Another scheduled session at an overlapping time with a mediator or the room in
    common: `field` is the form field it belongs next to."""

    field: str
    other: Appointment
    what: str  # 「李调解」 or 「调解室」

    @property
    def message(self) -> str:
        head = f"{self.what}在{when(self.other)}"
        if self.field == "mediator_ids":
            return f"{head}已有安排：{self.other.case.number}（{self.other.place}）。"
        return f"{head}已被占用：{self.other.case.number}。"


class ClashError(WorkflowError):
    """A double booking found on saving: nothing is written until the person confirms.
    `fields` holds the warnings by the form field they belong next to."""

    def __init__(self, clashes: list[Clash]):
        super().__init__(
            "所选时间与已有的调解安排冲突（见各栏下方）。"
            "如确需安排，请勾选“已知悉时间冲突，仍然安排”后再保存。",
            status=409,
        )
        self.fields: dict[str, list[str]] = defaultdict(list)
        for clash in clashes:
            self.fields[clash.field].append(clash.message)


def _refuse_clashes(clashes: list[Clash]) -> None:
    """The warnings are worded first; then the calendar's lock is let go at once."""
    error = ClashError(clashes)
    db.session.rollback()
    raise error


def find_clashes(
    committee_id: int,
    starts_at: datetime,
    ends_at: datetime,
    mediators: list[User],
    room: str,
    exclude_id: int | None = None,
) -> list[Clash]:
    """Scheduled sessions overlapping [starts_at, ends_at) that share a mediator (of any
    committee: a mediator is one person) or the committee's room."""
    overlapping = (
        select(Appointment)
        .where(
            Appointment.status == A.SCHEDULED,
            Appointment.starts_at < ends_at,
            Appointment.ends_at > starts_at,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if exclude_id is not None:
        overlapping = overlapping.where(Appointment.id != exclude_id)
    clashes = []
    ids = {u.id: u for u in mediators}
    if ids:
        busy = overlapping.join(
            appointment_mediators, appointment_mediators.c.appointment_id == Appointment.id
        ).where(appointment_mediators.c.user_id.in_(ids))
        for other in db.session.scalars(busy).unique():
            names = "、".join(m.name for m in other.mediators if m.id in ids)
            clashes.append(Clash("mediator_ids", other, f"调解员{names}"))
    taken = overlapping.where(Appointment.committee_id == committee_id, Appointment.room == room)
    for other in db.session.scalars(taken):
        clashes.append(Clash("place", other, f"调解地点“{other.place}”"))
    return clashes


def _take_calendar(committee_id: int) -> None:
    """Scheduling in a committee queues on the committee's row, so of two sessions put in
    the same slot at the same moment the second sees the first and is flagged: on
    PostgreSQL a row lock, on SQLite a no-op write that takes the write lock."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(Org.__table__).where(Org.id == committee_id).values(version=Org.version)
        )
    else:
        db.session.execute(select(Org.id).where(Org.id == committee_id).with_for_update())


# --- Scheduling -----------------------------------------------------------------------------


def _checked(case: Case, fields: dict[str, Any], new: bool) -> dict[str, Any]:
    """The fields as they will be stored, or the refusal of the first that is wrong."""
    starts_at, ends_at = fields.get("starts_at"), fields.get("ends_at")
    for name in ("starts_at", "ends_at"):
        if fields.get(name) is None:
            raise WorkflowError(f"请填写{LABELS[name]}。", status=400, field=name)
        if fields[name].tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    starts_at = starts_at.astimezone(UTC).replace(second=0, microsecond=0)
    ends_at = ends_at.astimezone(UTC).replace(second=0, microsecond=0)
    if ends_at <= starts_at:
        raise WorkflowError("结束时间须晚于开始时间。", status=400, field="ends_at")
    if ends_at - starts_at > LONGEST:
        raise WorkflowError("一次调解不超过12小时，请分次安排。", status=400, field="ends_at")
    if new and starts_at < utcnow() - timedelta(minutes=5):
        raise WorkflowError(
            "开始时间已经过去。已经举行的调解请直接填写调解记录。", status=400, field="starts_at"
        )
    place = (fields.get("place") or "").strip()
    if not place:
        raise WorkflowError("请填写调解地点。", status=400, field="place")
    allowed = {u.id: u for u in access.assignable_mediators(case)}
    chosen = [int(i) for i in fields.get("mediator_ids") or []]
    if not chosen:
        raise WorkflowError("请选择主持调解的调解员。", status=400, field="mediator_ids")
    if any(i not in allowed for i in chosen):
        raise WorkflowError(
            "调解员须是本调委会在任的调解员或主任。", status=400, field="mediator_ids"
        )
    parties = {p.id: p for p in case.parties}
    noticed = [int(i) for i in fields.get("party_ids") or []]
    if not noticed:
        raise WorkflowError("请选择通知参加调解的当事人。", status=400, field="party_ids")
    if any(i not in parties for i in noticed):
        raise WorkflowError("只能通知本案的当事人。", status=400, field="party_ids")
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "room": normalise_room(place),
        "mediators": sorted((allowed[i] for i in set(chosen)), key=lambda u: u.name),
        "parties": sorted((parties[i] for i in set(noticed)), key=lambda p: p.position),
        "invited": (fields.get("invited") or "").strip(),
    }


def _clash_details(clashes: list[Clash]) -> dict[str, str]:
    if not clashes:
        return {}
    return {"冲突（已确认仍然安排）": "；".join(c.message.rstrip("。") for c in clashes)}


def _summary(a: Appointment) -> dict[str, str]:
    return {
        "时间": when(a),
        "地点": a.place,
        "调解员": "、".join(m.name for m in a.mediators),
        "通知当事人": "、".join(p.name for p in a.parties),
    }


def schedule(case: Case, user: User, fields: dict[str, Any], confirm: bool = False) -> Appointment:
    """安排调解: a session of the case at a time and place, with its mediators, the parties
    noticed and others invited. A double booking of a mediator or the room is refused
    (ClashError) unless `confirm` says the person saw it and schedules anyway."""
    workflow.hold(case)
    workflow.ensure_may_schedule(case, user)
    data = _checked(case, fields, new=True)
    _take_calendar(case.committee_id)
    clashes = find_clashes(
        case.committee_id, data["starts_at"], data["ends_at"], data["mediators"], data["room"]
    )
    if clashes and not confirm:
        _refuse_clashes(clashes)
    appointment = Appointment(
        case=case, committee_id=case.committee_id, created_by_id=user.id, **data
    )
    db.session.add(appointment)
    db.session.flush()
    details = {**_summary(appointment), **_clash_details(clashes)}
    record_event(
        case, user, EventKind.APPOINTMENT, action=f"appointment:{appointment.id}",
        reason=f"邀请参加：{appointment.invited}" if appointment.invited else "", details=details,
    )  # fmt: skip
    db.session.commit()
    return appointment


def _stale(appointment: Appointment, version: int | None) -> None:
    if version is not None and appointment.version != version:
        raise WorkflowError(
            "您打开本页后，这次调解安排已被他人修改或取消，您的修改未保存。请查看最新安排后再操作。",
            status=409,
        )


def reschedule(
    appointment: Appointment,
    user: User,
    version: int | None,
    fields: dict[str, Any],
    confirm: bool = False,
) -> Appointment:
    """调整安排: another time, place, mediators or parties; the same double-booking check
    (the session itself excepted). The timeline keeps what changed."""
    case = appointment.case
    workflow.hold(case)
    db.session.refresh(appointment)
    workflow.ensure_may_schedule(case, user)
    if appointment.status != A.SCHEDULED:
        raise WorkflowError(f"这次调解{appointment.status.label}，不能再调整。", status=409)
    _stale(appointment, version)
    data = _checked(case, fields, new=False)
    _take_calendar(appointment.committee_id)
    clashes = find_clashes(
        appointment.committee_id, data["starts_at"], data["ends_at"], data["mediators"],
        data["room"], exclude_id=appointment.id,
    )  # fmt: skip
    if clashes and not confirm:
        _refuse_clashes(clashes)
    before = _summary(appointment)
    before_invited = appointment.invited
    for name, value in data.items():
        setattr(appointment, name, value)
    after = _summary(appointment)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if before_invited != appointment.invited:
        changes[LABELS["invited"]] = [before_invited, appointment.invited]
    if not changes:
        db.session.rollback()
        return appointment
    appointment.updated_at = utcnow()  # the version moves with a change of people only too
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(
            "就在您保存时，他人也修改了这次调解安排，您的修改未保存。请查看最新安排后再操作。",
            status=409,
        ) from None
    record_event(
        case, user, EventKind.APPOINTMENT_CHANGED, action=f"appointment:{appointment.id}",
        details={"changes": changes, **_clash_details(clashes)},
    )  # fmt: skip
    db.session.commit()
    return appointment


def cancel(appointment: Appointment, user: User, reason: str, version: int | None = None) -> None:
    """取消: the session will not take place; the reason is on the timeline. Allowed while
    the case is worked (a case that ended cancels what is still on its calendar)."""
    case = appointment.case
    workflow.hold(case)
    db.session.refresh(appointment)
    workflow.ensure_handler(case, user, "取消调解安排")
    if appointment.status != A.SCHEDULED:
        raise WorkflowError(f"这次调解{appointment.status.label}，不能取消。", status=409)
    _stale(appointment, version)
    if not (reason or "").strip():
        raise WorkflowError("请填写取消的原因。", status=400, field="reason")
    appointment.status = A.CANCELLED
    appointment.cancel_reason = reason.strip()
    appointment.updated_at = utcnow()
    db.session.flush()
    record_event(
        case, user, EventKind.APPOINTMENT_CANCELLED, action=f"appointment:{appointment.id}",
        reason=appointment.cancel_reason,
        details={"时间": when(appointment), "地点": appointment.place},
    )  # fmt: skip
    db.session.commit()


# --- From an appointment to its session record ---------------------------------------------


def session_defaults(case: Case, appointment_id: Any) -> dict[str, Any]:
    """What a session record written for an appointment starts from: its time, place,
    mediators, and the parties and others it invited. Empty when it names none of the
    case's scheduled sessions."""
    try:
        appointment = appointment_of_case(case, int(appointment_id))
    except (TypeError, ValueError, WorkflowError):
        return {}
    if appointment.status != A.SCHEDULED:
        return {}
    present = [f"{p.role.label}{p.name}" for p in appointment.parties]
    if appointment.invited:
        present.append(appointment.invited)
    return {
        "held_at": min(appointment.starts_at, utcnow().replace(second=0, microsecond=0)),
        "place": appointment.place,
        "mediators": "、".join(m.name for m in appointment.mediators),
        "attendees": "；".join(present),
        "appointment_id": str(appointment.id),
    }


def mark_held(case: Case, appointment_id: Any, record: SessionRecord) -> Appointment | None:
    """A session record written for a scheduled appointment makes it 已举行, in the record's
    transaction. Anything else named is ignored: the record stands on its own."""
    try:
        appointment = appointment_of_case(case, int(appointment_id))
    except (TypeError, ValueError, WorkflowError):
        return None
    if appointment.status != A.SCHEDULED:
        return None
    appointment.status = A.HELD
    appointment.session_record_id = record.id
    appointment.updated_at = utcnow()
    return appointment


# --- Calendars ------------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    in_month: bool = True
    items: list[Appointment] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == utcnow().astimezone(LOCAL_TZ).date()


@dataclass
class Period:
    view: str  # "week" or "month"
    first: date  # first day shown (a Monday)
    last: date  # last day shown (a Sunday)
    anchor: date  # the day asked for
    days: list[Day]
    clashing: set[int]  # ids of the appointments shown that are double-booked

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[n : n + 7] for n in range(0, len(self.days), 7)]

    @property
    def previous(self) -> date:
        if self.view == "week":
            return self.anchor - timedelta(days=7)
        return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == "week":
            return self.anchor + timedelta(days=7)
        return (self.anchor.replace(day=28) + timedelta(days=4)).replace(day=1)

    @property
    def title(self) -> str:
        if self.view == "month":
            return f"{self.anchor.year}年{self.anchor.month}月"
        return (
            f"{self.first.year}年{self.first.month}月{self.first.day}日—"
            f"{self.last.month}月{self.last.day}日"
        )


def _bounds(view: str, anchor: date) -> tuple[date, date]:
    if view == "month":
        start = anchor.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        start = end = anchor
    first = start - timedelta(days=start.weekday())
    last = end + timedelta(days=6 - end.weekday())
    return first, last


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def clashing_ids(appointments: list[Appointment]) -> set[int]:
    """Which scheduled appointments overlap another that shares a mediator or the room."""
    found = set()
    live = [a for a in appointments if a.status == A.SCHEDULED]
    for n, a in enumerate(live):
        for b in live[n + 1 :]:
            if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                same_room = a.committee_id == b.committee_id and a.room == b.room
                shared = {m.id for m in a.mediators} & {m.id for m in b.mediators}
                if same_room or shared:
                    found |= {a.id, b.id}
    return found


def _clashes_of(a: Appointment) -> list[Clash]:
    return find_clashes(a.committee_id, a.starts_at, a.ends_at, a.mediators, a.room, a.id)


def calendar(
    user: User, view: str, anchor: date, committee: Org | None = None, mine: bool = False
) -> Period:
    """A week or a month of sessions: a committee's (`committee`, which the caller took from
    access.calendar_committees) or the user's own (`mine`). Cancelled sessions are shown
    struck through; double-booked ones are marked."""
    view = "month" if view == "month" else "week"
    first, last = _bounds(view, anchor)
    query = access.appointments_visible_to(user).where(
        Appointment.starts_at < _utc(last + timedelta(days=1)),
        Appointment.ends_at > _utc(first),
    )
    if mine:
        query = query.join(
            appointment_mediators, appointment_mediators.c.appointment_id == Appointment.id
        ).where(appointment_mediators.c.user_id == user.id)
    elif committee is not None:
        query = query.where(Appointment.committee_id == committee.id)
    found = list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))
    clashing = clashing_ids(found)
    # On 我的日程 a room can be double-booked by a session of the committee that is not mine.
    for a in found if mine else []:
        if a.status == A.SCHEDULED and a.id not in clashing and _clashes_of(a):
            clashing.add(a.id)
    days = []
    day = first
    while day <= last:
        days.append(Day(day, view == "week" or day.month == anchor.month))
        day += timedelta(days=1)
    for a in found:
        start = a.starts_at.astimezone(LOCAL_TZ).date()
        index = (max(start, first) - first).days
        if 0 <= index < len(days):
            days[index].items.append(a)
    return Period(view, first, last, anchor, days, clashing)


# --- The resident's page --------------------------------------------------------------------


def next_appointment(case: Case) -> Appointment | None:
    """The next session the parties are expected at: scheduled, not over yet, while the
    case is mediated."""
    if case.status not in workflow.SCHEDULING:
        return None
    return db.session.scalar(
        select(Appointment)
        .where(
            Appointment.case_id == case.id,
            Appointment.status == A.SCHEDULED,
            Appointment.ends_at > utcnow(),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
