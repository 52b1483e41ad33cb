"""The hearing calendar (issue 13 part 6): sessions scheduled with time, place, mediators and
the parties noticed; double bookings of a mediator or a room flagged; the week and month
calendars; the .ics read back by a calendar library; the 调解通知书 read back from its PDF;
the resident's page showing the next session; the timeline of it all."""

import io
from datetime import datetime, time, timedelta

import icalendar
import pytest
from concurrency import Browser, LiveServer, at_once
from pypdf import PdfReader
from sqlalchemy import func, select

from mediation.calendar import ics
from mediation.calendar import service as calendar
from mediation.cases import service as cases
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import (
    Appointment,
    AppointmentStatus,
    CaseEvent,
    CaseStatus,
    DocumentKind,
    EventKind,
    SecurityEvent,
)
from mediation.models.base import LOCAL_TZ, frozen_time, local_today, utcnow
from mediation.records import service as records
from mediation.workflow import WorkflowError

from factories import make_case

TOMORROW = local_today() + timedelta(days=1)


def at(hour: int, minute: int = 0, day=None) -> datetime:
    return datetime.combine(day or TOMORROW, time(hour, minute), tzinfo=LOCAL_TZ)


def accepted(world, user: str = "director1"):
    case = make_case(world[user])
    cases.apply_action(case, world[user], "accept")
    return case


def fields(world, case, start=None, minutes=90, place="东街社区调解室", mediators=("mediator1",),
           **extra) -> dict:  # fmt: skip
    start = start or at(9)
    return {
        "starts_at": start,
        "ends_at": start + timedelta(minutes=minutes),
        "place": place,
        "mediator_ids": [world[m].id for m in mediators],
        "party_ids": [p.id for p in case.parties],
        "invited": "",
        **extra,
    }


def form(world, case, start=None, minutes=90, **extra) -> dict:
    """The schedule form as the browser posts it (checkbox lists as lists)."""
    data = fields(world, case, start, minutes, **extra)
    posted = {
        "starts_at": data["starts_at"].strftime("%Y-%m-%dT%H:%M"),
        "ends_at": data["ends_at"].strftime("%Y-%m-%dT%H:%M"),
        "place": data["place"],
        "mediator_ids": [str(i) for i in data["mediator_ids"]],
        "party_ids": [str(i) for i in data["party_ids"]],
        "invited": data["invited"],
    }
    return posted


def events(case, kind: EventKind) -> list[CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
        )
    )


# --- Scheduling (service) ------------------------------------------------------------------


def test_scheduling_writes_the_session_and_its_timeline_event(world):
    case = accepted(world)
    appointment = calendar.schedule(
        case, world["director1"], fields(world, case, invited="张三之兄张大（亲属）")
    )
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert [m.name for m in appointment.mediators] == ["李调解"]
    assert [p.name for p in appointment.parties] == ["张三", "李四"]
    [event] = events(case, EventKind.APPOINTMENT)
    assert event.details["地点"] == "东街社区调解室"
    assert event.details["时间"].startswith(at(9).strftime("%Y-%m-%d 09:00"))
    assert "张大" in event.reason


def test_scheduling_needs_an_accepted_case_still_in_mediation(world):
    submitted = make_case(world["director1"])
    with pytest.raises(WorkflowError, match="不能安排调解"):
        calendar.schedule(submitted, world["director1"], fields(world, submitted))
    case = accepted(world)
    cases.apply_action(case, world["director1"], "terminate", "双方不愿调解", "可以起诉")
    with pytest.raises(WorkflowError, match="调解终止"):
        calendar.schedule(case, world["director1"], fields(world, case))


def test_only_the_handlers_schedule(world):
    case = accepted(world)
    with pytest.raises(WorkflowError, match="只有本案调解员或调委会主任") as refused:
        calendar.schedule(case, world["mediator3"], fields(world, case))
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"minutes": -30}, "ends_at", "结束时间须晚于开始时间"),
        ({"start": at(9) - timedelta(days=3)}, "starts_at", "开始时间已经过去"),
        ({"mediators": ()}, "mediator_ids", "请选择主持调解的调解员"),
        ({"mediators": ("mediator2",)}, "mediator_ids", "本调委会在任的调解员"),
        ({"party_ids": []}, "party_ids", "请选择通知参加调解的当事人"),
        ({"place": "  "}, "place", "请填写调解地点"),
    ],
)
def test_what_cannot_be_scheduled_is_refused_next_to_its_field(world, change, field, message):
    case = accepted(world)
    with pytest.raises(WorkflowError, match=message) as refused:
        calendar.schedule(case, world["director1"], fields(world, case, **change))
    assert refused.value.field == field and refused.value.status == 400


def test_a_double_booking_of_a_mediator_is_flagged_and_needs_confirmation(world):
    first, second = accepted(world), accepted(world)
    calendar.schedule(first, world["director1"], fields(world, first, place="调解室一"))
    clash = fields(world, second, start=at(10), place="调解室二")
    with pytest.raises(calendar.ClashError) as refused:
        calendar.schedule(second, world["director1"], clash)
    [message] = refused.value.fields["mediator_ids"]
    assert "调解员李调解" in message and first.number in message and "调解室一" in message
    assert "place" not in refused.value.fields
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    saved = calendar.schedule(second, world["director1"], clash, confirm=True)
    [event] = events(second, EventKind.APPOINTMENT)
    assert first.number in event.details["冲突（已确认仍然安排）"]
    assert calendar.clashing_ids([*calendar.appointments_of(first), saved]) == {
        calendar.appointments_of(first)[0].id, saved.id,
    }  # fmt: skip


def test_a_double_booking_of_a_room_is_found_however_its_name_is_typed(world):
    first, second = accepted(world), accepted(world)
    calendar.schedule(first, world["director1"], fields(world, first, place="调解室 ２"))
    other = fields(world, second, start=at(10), place="调解室2", mediators=("mediator3",))
    with pytest.raises(calendar.ClashError) as refused:
        calendar.schedule(second, world["director1"], other)
    [message] = refused.value.fields["place"]
    assert message.startswith("调解地点“调解室 ２”在") and "已被占用" in message
    assert first.number in message
    # Back to back is no clash, and the same room name in another committee is another room.
    calendar.schedule(second, world["director1"], {**other, "starts_at": at(10, 30),
                                                    "ends_at": at(12)})  # fmt: skip
    hexi = make_case(world["director2"])
    cases.apply_action(hexi, world["director2"], "accept")
    elsewhere = fields(world, hexi, place="调解室2", mediators=("mediator2",))
    assert calendar.schedule(hexi, world["director2"], elsewhere).room == "调解室2"


def test_rescheduling_keeps_a_diff_and_checks_clashes_but_not_with_itself(world):
    case, other = accepted(world), accepted(world)
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    calendar.schedule(other, world["director1"], fields(world, other, start=at(14), place="会议室"))
    moved = fields(world, case, start=at(9, 30))
    calendar.reschedule(appointment, world["director1"], appointment.version, moved)
    [event] = events(case, EventKind.APPOINTMENT_CHANGED)
    before, after = event.details["changes"]["时间"]
    assert "09:00" in before and "09:30" in after
    with pytest.raises(calendar.ClashError):
        calendar.reschedule(appointment, world["director1"], appointment.version,
                            fields(world, case, start=at(14, 30)))  # fmt: skip
    with pytest.raises(WorkflowError, match="已被他人修改") as stale:
        calendar.reschedule(appointment, world["director1"], 1, fields(world, case, start=at(8)))
    assert stale.value.status == 409


def test_cancelling_needs_a_reason_and_frees_the_slot(world):
    case, other = accepted(world), accepted(world)
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    with pytest.raises(WorkflowError, match="请填写取消的原因"):
        calendar.cancel(appointment, world["director1"], " ")
    calendar.cancel(appointment, world["director1"], "被申请人出差，改期另行通知。")
    [event] = events(case, EventKind.APPOINTMENT_CANCELLED)
    assert event.reason == "被申请人出差，改期另行通知。"
    assert calendar.schedule(other, world["director1"], fields(world, other)).id
    with pytest.raises(WorkflowError, match="已取消"):
        calendar.cancel(appointment, world["director1"], "再取消一次")


def test_a_session_record_written_for_an_appointment_marks_it_held(world, login):
    case = accepted(world, "mediator1")  # who accepts is assigned
    start = utcnow() + timedelta(hours=1)
    appointment = calendar.schedule(case, world["director1"], fields(world, case, start=start))
    cases.apply_action(case, world["director1"], "start_mediation")
    url = f"/cases/{case.id}/sessions/new?appointment={appointment.id}"
    page = login("director1").get(url).get_data(as_text=True)
    assert 'value="东街社区调解室"' in page and "李调解" in page
    assert f'name="appointment_id" type="hidden" value="{appointment.id}"' in page
    with frozen_time(start + timedelta(hours=2)):
        record = records.record_session(case, world["director1"], {
            "held_at": start, "place": "东街社区调解室", "mediators": "李调解",
            "attendees": "申请人张三；被申请人李四", "course": "双方陈述。",
            "result": "未达成一致。",
            "appointment_id": str(appointment.id),
        })  # fmt: skip
    db.session.refresh(appointment)
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.session_record_id == record.id
    [event] = events(case, EventKind.SESSION)
    assert event.details["调解安排"] == calendar.when(appointment)


# --- Pages --------------------------------------------------------------------------------


def test_director_schedules_through_the_form(world, login):
    case = accepted(world)
    c = login("director1")
    page = c.get(f"/cases/{case.id}/appointments/new").get_data(as_text=True)
    assert "安排调解" in page and "李四" in page
    response = c.post(f"/cases/{case.id}/appointments/new", data=form(world, case))
    assert response.status_code == 302
    shown = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "已安排调解" in shown and "东街社区调解室" in shown
    case_page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "调解安排" in case_page and "安排调解" in case_page


def test_a_double_booking_is_shown_next_to_the_field_and_saved_only_when_confirmed(world, login):
    first, second = accepted(world), accepted(world)
    calendar.schedule(first, world["director1"], fields(world, first, place="调解室一"))
    c = login("director1")
    posted = form(world, second, start=at(9, 30), place="调解室一", invited="王律师")
    response = c.post(f"/cases/{second.id}/appointments/new", data=posted)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert page.count(first.number) >= 2  # next to the mediators and next to the place
    assert "已知悉时间冲突，仍然安排" in page
    assert "王律师</textarea>" in page  # nothing typed is lost
    response = c.post(f"/cases/{second.id}/appointments/new", data={**posted, "confirm_clash": "y"})
    assert response.status_code == 302
    week = c.get(f"/calendar/committees/{world.committees['东街'].id}?date={TOMORROW}")
    text = week.get_data(as_text=True)
    assert text.count("时间冲突") >= 3 and first.number in text and second.number in text


@pytest.fixture
def server(app):
    live = LiveServer(app)
    yield live
    live.close()


def test_two_simultaneous_posts_of_the_same_slot_do_not_both_pass_unflagged(world, server):
    """Two directors' tabs schedule two cases in the same slot and room at the same moment:
    the second waits for the first (the committee's calendar lock), sees it, and is flagged."""
    first, second = accepted(world), accepted(world)
    people = [Browser(server).login("director1"), Browser(server).login("director1")]

    def post(browser, case):
        data = form(world, case)  # the harness posts one value a field
        data["mediator_ids"], data["party_ids"] = data["mediator_ids"][0], data["party_ids"][0]
        return lambda: browser.post(
            f"/cases/{case.id}/appointments/new", {**data, "csrf_token": browser.csrf}
        )

    answers = at_once([post(people[0], first), post(people[1], second)])
    assert sorted(a.status for a in answers) == [302, 409]
    refused = next(a for a in answers if a.status == 409)
    assert "已知悉时间冲突" in refused.body
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_week_and_month_calendars_with_navigation(world, login):
    case = accepted(world)
    calendar.schedule(case, world["director1"], fields(world, case))
    c = login("mediator1")
    mine = c.get(f"/calendar/mine?date={TOMORROW}").get_data(as_text=True)
    assert case.number in mine and "东街社区调解室" in mine and "上一周" in mine
    month = c.get(f"/calendar/mine?view=month&date={TOMORROW}").get_data(as_text=True)
    assert case.number in month and f"{TOMORROW.year}年{TOMORROW.month}月" in month
    later = c.get(f"/calendar/mine?date={TOMORROW + timedelta(days=7)}").get_data(as_text=True)
    assert case.number not in later
    assert "我的日程" in login("director1").get(f"/calendar/mine?date={TOMORROW}").get_data(
        as_text=True
    ) and case.number not in login("mediator3").get(f"/calendar/mine?date={TOMORROW}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("username", "status", "sees"),
    [
        ("director1", 200, True),
        ("mediator1", 200, True),
        ("mediator3", 200, True),
        ("auditor1", 200, True),
        ("auditor0", 200, True),
        ("director2", 404, False),
        ("mediator2", 404, False),
        ("auditor2", 404, False),
        ("mediator5", 404, False),
        ("grid1", 404, False),
        ("admin", 404, False),
    ],
)
def test_the_committee_calendar_is_for_its_members_and_the_auditors_above(
    world, login, username, status, sees
):
    case = accepted(world)
    calendar.schedule(case, world["director1"], fields(world, case))
    response = login(username).get(
        f"/calendar/committees/{world.committees['东街'].id}?date={TOMORROW}"
    )
    assert response.status_code == status
    assert (case.number in response.get_data(as_text=True)) == sees


@pytest.mark.parametrize(
    ("username", "status"),
    [("director1", 302), ("mediator1", 302), ("auditor1", 200), ("auditor0", 200),
     ("grid1", 403), ("admin", 403)],
)  # fmt: skip
def test_the_calendar_entry_page_per_role(world, login, username, status):
    assert login(username).get("/calendar").status_code == status
    mine = login(username).get("/calendar/mine").status_code
    assert mine == (200 if username.startswith(("director", "mediator")) else 403)


def test_auditors_read_the_calendar_but_cannot_schedule(world, login):
    case = accepted(world)
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    c = login("auditor1")
    page = c.get(f"/cases/{case.id}/appointments/{appointment.id}").get_data(as_text=True)
    assert "东街社区调解室" in page
    assert "安排调解</button>" not in page and "取消这次调解" not in page
    assert c.get(f"/cases/{case.id}/appointments/new").status_code == 302
    response = c.post(f"/cases/{case.id}/appointments/new", data=form(world, case))
    assert response.status_code == 403
    assert "只有本案调解员或调委会主任" in response.get_data(as_text=True)
    cancel = c.post(f"/cases/{case.id}/appointments/{appointment.id}/cancel", data={"reason": "x"})
    assert cancel.status_code == 403
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.SCHEDULED


def test_an_appointment_of_another_case_is_not_found_under_this_one(world, login):
    case, other = accepted(world), accepted(world)
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    c = login("director1")
    assert c.get(f"/cases/{other.id}/appointments/{appointment.id}").status_code == 404
    assert c.get(f"/cases/{other.id}/appointments/{appointment.id}.ics").status_code == 404


def test_reschedule_and_cancel_through_the_pages(world, login):
    case = accepted(world, "mediator1")
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    c = login("mediator1")
    url = f"/cases/{case.id}/appointments/{appointment.id}"
    moved = {**form(world, case, start=at(15), place="社区会议室"), "version": "1"}
    assert c.post(url, data=moved).status_code == 302
    stale = c.post(url, data={**moved, "place": "别处", "version": "1"})
    assert stale.status_code == 409 and "已被他人修改" in stale.get_data(as_text=True)
    refused = c.post(f"{url}/cancel", data={"reason": ""})
    assert refused.status_code == 400 and "请填写取消的原因" in refused.get_data(as_text=True)
    assert c.post(f"{url}/cancel", data={"reason": "当事人要求改期"}).status_code == 302
    timeline = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "调整调解安排" in timeline and "取消调解安排" in timeline
    assert "当事人要求改期" in timeline


# --- .ics -----------------------------------------------------------------------------------


def test_the_ics_is_parsed_back_by_a_calendar_library(world, login):
    case = accepted(world)
    long_place = "东街社区党群服务中心三楼调解室（幸福路3号，请从北门进入; 电梯旁, 左转）"
    appointment = calendar.schedule(
        case, world["director1"], fields(world, case, place=long_place, invited="王律师\n张大")
    )
    response = login("mediator1").get(f"/cases/{case.id}/appointments/{appointment.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in response.headers["Content-Disposition"]
    logged = db.session.scalar(
        select(SecurityEvent).where(SecurityEvent.target == f"appointment:{appointment.id}")
    )
    assert logged is not None and logged.kind == "download"
    raw = response.data
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the long place was folded
    parsed = icalendar.Calendar.from_ical(raw)
    [event] = parsed.walk("VEVENT")
    assert str(event["LOCATION"]) == long_place
    assert event.decoded("DTSTART") == at(9) and event.decoded("DTEND") == at(10, 30)
    assert str(event.decoded("DTSTART").tzinfo) == "Asia/Shanghai"
    assert str(event["UID"]).startswith(f"appointment-{appointment.id}@")
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert case.number in str(event["SUMMARY"])
    assert "王律师\n张大" in str(event["DESCRIPTION"]) and event["STATUS"] == "CONFIRMED"
    calendar.cancel(appointment, world["director1"], "改期")
    again = login("mediator1").get(f"/cases/{case.id}/appointments/{appointment.id}.ics")
    [cancelled] = icalendar.Calendar.from_ical(again.data).walk("VEVENT")
    assert cancelled["STATUS"] == "CANCELLED" and int(cancelled["SEQUENCE"]) > 0


def test_folding_never_splits_a_character_and_escaping_round_trips():
    line = "DESCRIPTION:" + ics.escape("调解，地点；说明\\备注\n" * 8)
    folded = ics.fold(line)
    for part in folded.encode().split(b"\r\n"):
        assert len(part) <= 75
        part.decode()  # each physical line is whole UTF-8
    assert folded.replace("\r\n ", "") == line


# --- 调解通知书 -------------------------------------------------------------------------------


def test_the_notice_prints_the_time_and_place_for_the_parties(world, login):
    case = accepted(world)
    appointment = calendar.schedule(
        case, world["director1"], fields(world, case, invited="李四之妻赵某（亲属）")
    )
    c = login("director1")
    response = c.post(
        f"/cases/{case.id}/documents", data={"kind": "notice", "source_id": appointment.id}
    )
    assert response.status_code == 302
    document = db.session.scalar(select(documents.GeneratedDocument))
    assert document.kind == DocumentKind.NOTICE and document.source_id == appointment.id
    pdf = PdfReader(io.BytesIO(documents.read_document(document)))
    text = "".join(p.extract_text() for p in pdf.pages)
    flat = "".join(text.split())
    assert "调解通知书" in flat and case.number in flat
    assert at(9).strftime("%Y年%m月%d日09:00") in flat and "东街社区调解室" in flat
    assert "张三" in flat and "李四" in flat and "李调解" in flat and "赵某" in flat
    assert "请准时参加" in flat
    [event] = events(case, EventKind.DOCUMENT)
    assert event.details["文书"] == "调解通知书"


def test_a_cancelled_session_has_no_notice_to_print(world):
    case = accepted(world)
    appointment = calendar.schedule(case, world["director1"], fields(world, case))
    calendar.cancel(appointment, world["director1"], "改期")
    with pytest.raises(WorkflowError, match="调解通知书"):
        documents.generate_document(case, world["director1"], DocumentKind.NOTICE, appointment.id)


# --- The resident's page --------------------------------------------------------------------


def resident(client, case):
    response = client.post("/portal", data={"number": case.number, "proof": "13812345678"})
    assert response.status_code == 302
    return client.get("/portal/case").get_data(as_text=True)


def test_the_resident_sees_the_next_session_time_and_place_only(world, client):
    case = accepted(world)
    later = calendar.schedule(case, world["director1"], fields(world, case, start=at(15),
                                                                place="会议室"))  # fmt: skip
    first = calendar.schedule(
        case, world["director1"], fields(world, case, invited="王律师", mediators=("mediator3",))
    )
    page = resident(client, case)
    section = page[page.index("data-next-appointment") : page.index("facts-h")]
    assert calendar.when(first) in section and "东街社区调解室" in section
    assert "会议室" not in section and "王律师" not in section and "孙调解" not in section
    assert "李四" not in page  # the other party stays masked
    calendar.cancel(first, world["director1"], "改期")
    page = client.get("/portal/case").get_data(as_text=True)
    assert calendar.when(later) in page and "会议室" in page


def test_no_next_session_once_mediation_has_ended(world, client):
    case = accepted(world)
    calendar.schedule(case, world["director1"], fields(world, case))
    cases.apply_action(case, world["director1"], "terminate", "双方不愿调解", "可以起诉")
    assert case.status == CaseStatus.TERMINATED
    assert "下次调解" not in resident(client, case)
