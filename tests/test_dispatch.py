"""The justice office's window (一口受理、归口办理、并口回复): the desk registration, 交办 to a
committee or to a body outside the system, 催办, and the one reply to the source."""

import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import chain
from mediation.cases import service as cases
from mediation.dispatch import service
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    DeskAction,
    DeskEntry,
    DeskEvent,
    DeskSource,
    DocumentKind,
    EventKind,
    PartyRole,
    Reminder,
    RiskLevel,
    Source,
)
from mediation.models.base import frozen_time, local_today, utcnow
from mediation.workflow import WorkflowError

from factories import ID_FEMALE, ID_MALE, acknowledge_rights, person

PLACE = "城关镇东街社区幸福路12号"


def entry_fields(**over) -> dict:
    return {
        "source": DeskSource.VISIT,
        "source_name": "张三",
        "source_phone": "13812345678",
        "source_address": "东街社区幸福路12号",
        "registered_on": local_today(),
        "category": Category.NEIGHBOUR,
        "dispute_place": PLACE,
        "risk_level": RiskLevel.LOW,
        "summary": "楼上漏水导致楼下天花板受损，多次协商未果。",
        "request": "请求修复并赔偿损失。",
        **over,
    }


def parties() -> list[dict]:
    return [
        person(PartyRole.APPLICANT, "张三", id_number=ID_MALE, phone="13812345678"),
        person(PartyRole.RESPONDENT, "李四", id_number=ID_FEMALE),
    ]


def registered(world, **over) -> DeskEntry:
    return service.register_entry(world["auditor1"], entry_fields(**over), parties())


def dispatched(world, **over) -> DeskEntry:
    entry = registered(world, **over)
    committee = world.committees["东街"]
    due = local_today() + timedelta(days=30)
    service.dispatch(entry, world["auditor1"], committee.id, "请尽快调处，结果报所。", due)
    return entry


def desk_post(**over) -> dict:
    """The registration form as a browser posts it (the intake's party rows)."""
    data = {
        "source": "visit", "source_name": "张三", "source_phone": "13812345678",
        "source_address": "东街社区幸福路12号", "registered_on": local_today().isoformat(),
        "category": "neighbour", "dispute_place": PLACE, "risk_level": "low",
        "summary": "楼上漏水导致楼下天花板受损。", "request": "请求修复并赔偿损失。",
        "parties-0-role": "applicant", "parties-0-kind": "person", "parties-0-name": "张三",
        "parties-0-ethnicity": "汉族", "parties-0-id_number": ID_MALE,
        "parties-0-phone": "13812345678",
        "parties-1-role": "respondent", "parties-1-kind": "person", "parties-1-name": "李四",
        "parties-1-ethnicity": "汉族",
        "save": "1",
    }  # fmt: skip
    data.update(over)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


# --- Registration and 交办 ------------------------------------------------------------------


def test_the_desk_suggests_the_committee_the_place_names(world):
    entry = registered(world)
    assert service.suggested_committee(world["auditor1"], entry).short_name == "东街"
    # 河西 is another office's: never suggested to 城关镇's window, even when named.
    elsewhere = registered(world, dispute_place="河西村五组")
    assert service.suggested_committee(world["auditor1"], elsewhere) is None


def test_dispatch_creates_a_submitted_case_in_the_committee_with_the_dispatch_recorded(world):
    entry = dispatched(world)
    case = entry.case
    assert case.committee.short_name == "东街" and case.status == CaseStatus.SUBMITTED
    assert case.source == Source.APPLICATION and "城关镇司法所交办" in case.source_detail
    assert [p.name for p in case.parties] == ["张三", "李四"]
    assert case.parties[0].id_number == ID_MALE and case.parties[0].sex is not None
    assert case.registered_by_id == world["auditor1"].id
    kinds = [e.kind for e in case.events]
    assert kinds == [EventKind.CREATED, EventKind.DISPATCHED]
    assert case.events[1].details["交办单位"] == "城关镇司法所"
    assert case.events[1].reason == "请尽快调处，结果报所。"
    assert [e.action for e in entry.events] == [DeskAction.REGISTERED, DeskAction.DISPATCHED]
    assert entry.dispatched_by_id == world["auditor1"].id and entry.state == "已交办"
    assert chain.verify() == []  # the desk's history is sealed on the one chain


def test_a_petition_brought_to_the_desk_is_a_petition_case(world):
    entry = dispatched(world, source=DeskSource.PETITION, source_name="县信访局")
    assert entry.case.source == Source.PETITION


def test_dispatch_only_to_a_committee_of_the_windows_scope(world):
    entry = registered(world)
    with pytest.raises(WorkflowError) as refused:
        service.dispatch(
            entry, world["auditor1"], world.committees["河西"].id, "", local_today() + timedelta(9)
        )
    assert refused.value.field == "committee_id" and "管辖范围" in refused.value.message
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_an_entry_is_dispatched_once(world):
    entry = dispatched(world)
    with pytest.raises(WorkflowError, match="已交办"):
        service.dispatch(
            entry, world["auditor1"], world.committees["城关"].id, "", local_today() + timedelta(9)
        )
    with pytest.raises(WorkflowError, match="已交办"):
        service.send_outside(entry, world["auditor1"], "县法院", local_today(), "函件移送")


def test_only_justice_office_staff_use_the_desk(world):
    with pytest.raises(WorkflowError) as refused:
        service.register_entry(world["director1"], entry_fields(), parties())
    assert refused.value.status == 403


def test_the_auditor_registers_and_dispatches_through_the_pages(world, login):
    auditor = login("auditor1")
    form = auditor.get("/desk/new")
    assert form.status_code == 200 and 'name="parties-1-name"' in text(form)
    response = auditor.post("/desk/new", data=desk_post())
    assert response.status_code == 302
    page = text(auditor.get(response.headers["Location"]))
    assert "按发生地推荐：东街社区人民调解委员会" in page
    entry = db.session.scalar(select(DeskEntry))
    committee = world.committees["东街"]
    selected = re.search(r'<option selected value="(\d+)">|<option value="(\d+)" selected>', page)
    assert selected and str(committee.id) in selected.groups()
    due = (local_today() + timedelta(days=20)).isoformat()
    response = auditor.post(
        f"/desk/{entry.id}/dispatch",
        data={"committee_id": str(committee.id), "due_on": due, "instructions": "请尽快调处"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(DeskEntry, entry.id).case
    director = login("director1")
    shown = text(director.get(f"/cases/{case.id}"))
    assert "城关审核（城关镇司法所）于" in shown and "交办" in shown and "请尽快调处" in shown
    listed = text(director.get("/cases"))
    assert case.number in listed and "城关镇司法所交办" in listed
    mine = text(auditor.get("/desk/"))
    assert entry.number in mine and case.number in mine and "申请/上报" in mine


def test_a_refused_registration_keeps_what_was_typed(world, login):
    auditor = login("auditor1")
    response = auditor.post("/desk/new", data=desk_post(**{"parties-1-name": ""}))
    assert response.status_code == 400
    page = text(response)
    assert "请填写当事人姓名或名称。" in page and 'value="东街社区幸福路12号"' in page
    response = auditor.post("/desk/new", data=desk_post(source_phone="12345"))
    assert response.status_code == 400 and "东街社区幸福路12号" in text(response)
    assert db.session.scalar(select(func.count()).select_from(DeskEntry)) == 0


def test_a_refused_dispatch_shows_next_to_its_field(world, login):
    entry = registered(world)
    response = login("auditor1").post(
        f"/desk/{entry.id}/dispatch",
        data={"committee_id": str(world.committees["河西"].id), "instructions": "尽快",
              "due_on": (local_today() + timedelta(days=9)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 400
    assert "管辖范围" in text(response) and "尽快</textarea>" in text(response)


def test_the_dispatcher_reads_the_case_but_never_edits_it(world, login):
    entry = dispatched(world)
    auditor = login("auditor1")
    assert auditor.get(f"/cases/{entry.case_id}").status_code == 200
    response = auditor.get(f"/cases/{entry.case_id}/edit")
    assert response.status_code == 302
    assert auditor.post(f"/cases/{entry.case_id}/edit", data={}).status_code == 403
    response = auditor.post(f"/cases/{entry.case_id}/actions/accept", data={})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Case, entry.case_id).status == CaseStatus.SUBMITTED


# --- 催办 -----------------------------------------------------------------------------------


def test_a_reminder_reaches_the_directors_todo_and_the_timeline(world, login):
    entry = dispatched(world)
    response = login("auditor1").post(f"/desk/{entry.id}/remind", data={"message": "请本周内受理"})
    assert response.status_code == 302
    todo = text(login("director1").get("/todo"))
    assert "请本周内受理" in todo and "城关审核（城关镇司法所）" in todo
    assert "请本周内受理" not in text(login("mediator1").get("/todo"))  # not on the case yet
    events = [e for e in entry.case.events if e.kind == EventKind.REMINDER]
    assert events and events[0].reason == "请本周内受理"
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1


def test_a_reminder_needs_a_text_and_a_dispatched_case(world, login):
    entry = dispatched(world)
    response = login("auditor1").post(f"/desk/{entry.id}/remind", data={"message": " "})
    assert response.status_code == 400 and "请填写催办内容。" in text(response)
    with pytest.raises(WorkflowError, match="已交办调委会"):
        service.remind(registered(world), world["auditor1"], "快")


# --- 并口回复 --------------------------------------------------------------------------------


def test_no_reply_before_the_dispute_has_ended(world, login):
    entry = dispatched(world)
    with pytest.raises(WorkflowError, match="尚未办结"):
        service.record_reply(entry, world["auditor1"], local_today(), "电话告知", "已办结")
    assert "办结后" in text(login("auditor1").get(f"/desk/{entry.id}"))


def test_the_outcome_is_shown_and_prefills_the_one_reply(world, login):
    entry = dispatched(world)
    cases.apply_action(
        entry.case, world["director1"], "reject", "法院已受理该纠纷。", "请到县人民法院参加诉讼。"
    )
    auditor = login("auditor1")
    page = text(auditor.get(f"/desk/{entry.id}"))
    assert "不予受理" in page and "法院已受理该纠纷。" in page
    assert "请到县人民法院参加诉讼。" in page
    assert "待答复" in text(auditor.get("/desk/?show=reply"))
    reply = service.reply_draft(entry)
    response = auditor.post(
        f"/desk/{entry.id}/reply",
        data={"on": local_today().isoformat(), "how": "电话告知", "text": reply},
    )
    assert response.status_code == 302
    db.session.expire_all()
    entry = db.session.get(DeskEntry, entry.id)
    assert entry.is_replied and entry.reply_text == reply and entry.state == "已答复来源"
    assert entry.case.events[-1].kind == EventKind.DESK_REPLY
    printed = text(auditor.get(f"/desk/{entry.id}/reply/print"))
    assert "矛盾纠纷办理结果答复书" in printed and "法院已受理该纠纷。" in printed
    assert entry.case.number in printed
    with pytest.raises(WorkflowError, match="不能重复答复"):
        service.record_reply(entry, world["auditor1"], local_today(), "电话告知", "再答复")
    assert "已答复" in text(auditor.get("/desk/?show=done"))


def test_the_reply_is_drawn_as_a_pdf_by_the_window_only(world, login):
    """The 答复书 through the documents pipeline: stored, verifiable, read back; never bound
    into the committee's case file, never drawn by the committee."""
    entry = dispatched(world)
    cases.apply_action(entry.case, world["director1"], "reject", "不属调解范围。", "请起诉。")
    service.record_reply(entry, world["auditor1"], local_today(), "书面答复", "经审查不予受理。")
    form = {"kind": "dispatch_reply", "source_id": "0"}
    director = login("director1")
    assert director.post(f"/cases/{entry.case_id}/documents", data=form).status_code == 403
    auditor = login("auditor1")
    assert auditor.post(f"/cases/{entry.case_id}/documents", data=form).status_code == 302
    page = text(auditor.get(f"/desk/{entry.id}"))
    link = re.search(r'href="([^"]+\.pdf)" data-reply-pdf', page).group(1)
    pdf = auditor.get(link).data
    words = re.sub(r"\s+", "", text_of_pdf(pdf))
    assert "矛盾纠纷办理结果答复书" in words and "经审查不予受理。" in words
    assert "城关镇司法所出具" in words and entry.case.number in words
    assert all(e.kind != DocumentKind.DISPATCH_REPLY for e in documents._bindable(entry.case))


def text_of_pdf(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_a_terminated_case_is_replied_with_the_other_routes(world):
    entry = dispatched(world)
    acknowledge_rights(entry.case)
    cases.apply_action(entry.case, world["director1"], "accept")
    cases.apply_action(entry.case, world["director1"], "terminate", "双方分歧过大。", "可起诉。")
    assert "调解已终止（双方分歧过大。）" in service.reply_draft(entry)
    assert entry.reply_due


def test_a_reply_refused_for_a_missing_manner_keeps_the_text(world, login):
    entry = dispatched(world)
    cases.apply_action(entry.case, world["director1"], "reject", "不属调解范围。", "请起诉。")
    response = login("auditor1").post(
        f"/desk/{entry.id}/reply",
        data={"on": local_today().isoformat(), "how": "", "text": "我写的答复"},
    )
    assert response.status_code == 400
    assert "请选择答复方式。" in text(response) and "我写的答复" in text(response)


def test_outside_body_answer_then_reply(world, login):
    entry = registered(world, source=DeskSource.CALL)
    auditor = login("auditor1")
    today = local_today().isoformat()
    response = auditor.post(
        f"/desk/{entry.id}/outside", data={"body": "县人民法院", "on": today, "how": "函件移送"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DeskEntry, entry.id).state == "已转其他机关"
    with pytest.raises(WorkflowError, match="尚未办结"):
        service.record_reply(
            db.session.get(DeskEntry, entry.id), world["auditor1"], local_today(), "电话告知", "x"
        )
    response = auditor.post(
        f"/desk/{entry.id}/outside-answer", data={"on": today, "text": "已立案审理。"}
    )
    assert response.status_code == 302
    page = text(auditor.get(f"/desk/{entry.id}"))
    assert "县人民法院于" in page and "已立案审理。" in page  # the prefilled reply
    reply = {"on": today, "how": "书面答复", "text": "县人民法院已立案。"}
    response = auditor.post(f"/desk/{entry.id}/reply", data=reply)
    assert response.status_code == 302
    printed = text(auditor.get(f"/desk/{entry.id}/reply/print"))
    assert "转县人民法院办理" in printed and "县人民法院已立案。" in printed
    db.session.expire_all()
    actions = [e.action for e in db.session.get(DeskEntry, entry.id).events]
    assert actions == [
        DeskAction.REGISTERED, DeskAction.SENT_OUTSIDE, DeskAction.OUTSIDE_ANSWERED,
        DeskAction.REPLIED,
    ]  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert chain.verify() == []


def test_a_dispatch_past_its_deadline_is_flagged_overdue(world, login):
    with frozen_time(utcnow() - timedelta(days=40)):
        entry = dispatched(world)
    assert entry.is_overdue
    listed = text(login("auditor1").get("/desk/?show=overdue"))
    assert entry.number in listed and "已超期" in listed
    cases.apply_action(entry.case, world["director1"], "reject", "不属调解范围。", "请起诉。")
    assert not entry.is_overdue  # ended: waiting only for the reply


def test_the_reply_page_exists_only_once_replied(world, login):
    entry = dispatched(world)
    assert login("auditor1").get(f"/desk/{entry.id}/reply/print").status_code == 404


def test_timeline_events_are_in_the_same_commit_as_the_change(world):
    entry = dispatched(world)
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == entry.case_id).order_by(CaseEvent.seq)
    ).all()
    assert events[-1].case_version == entry.case.version  # nothing changed after its event


# --- Scope: a window's entries are its office's --------------------------------------------

EVERY_ROLE = ["director1", "mediator1", "grid1", "auditor1", "auditor2", "auditor0", "admin"]


def entry_urls(app, entry_id: int) -> list[str]:
    """Every route of the window that names an entry, so a new one is covered when it lands."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "entry_id" in rule.arguments:
            with app.test_request_context():
                urls.append(app.url_for(rule.endpoint, entry_id=entry_id))
    return sorted(set(urls))


def test_the_entry_routes_are_all_found(app, world):
    urls = entry_urls(app, 7)
    assert "/desk/7" in urls and "/desk/7/dispatch" in urls and "/desk/7/reply" in urls
    assert len(urls) >= 7


@pytest.mark.parametrize("username", [u for u in EVERY_ROLE if u != "auditor1"])
def test_only_the_registering_office_reaches_an_entry(app, world, login, username):
    """Another town's auditor, the bureau, the committee it went to: 404 on every entry URL
    and method; nothing changes."""
    entry = dispatched(world)
    c = login(username)
    for url in entry_urls(app, entry.id):
        for method in ("GET", "POST"):
            response = c.open(url, method=method, data={"message": "x", "text": "x"})
            assert response.status_code == 404, (username, method, url)
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0


def test_the_registering_office_reaches_every_entry_page(app, world, login):
    entry = dispatched(world)
    c = login("auditor1")
    assert c.get(f"/desk/{entry.id}").status_code == 200
    assert entry.number in text(c.get("/desk/"))


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_the_window_list_and_registration_are_for_justice_office_staff(world, login, username):
    registered(world)
    c = login(username)
    for url in ("/desk/", "/desk/new"):
        response = c.get(url)
        if username.startswith("auditor"):
            assert response.status_code == 200, (username, url)
        else:
            assert response.status_code == 403, (username, url)
    listing = text(c.get("/desk/"))
    # Another office's window (or the bureau's own) does not list 城关镇's entries.
    assert ("窗口" + str(local_today().year) in listing and "张三" in listing) == (
        username == "auditor1"
    )


def test_anonymous_is_sent_to_login(world, client):
    entry = registered(world)
    for url in ("/desk/", "/desk/new", f"/desk/{entry.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_towns_auditor_gets_404_on_the_dispatched_case(world, login):
    entry = dispatched(world)
    assert login("auditor2").get(f"/cases/{entry.case_id}").status_code == 404
    assert login("director2").get(f"/cases/{entry.case_id}").status_code == 404
    assert login("auditor0").get(f"/cases/{entry.case_id}").status_code == 200  # the county


def test_the_window_nav_is_for_justice_office_staff(world, login):
    assert "受理窗口" in text(login("auditor1").get("/cases"))
    assert "受理窗口" not in text(login("director1").get("/cases"))


def test_deleting_a_step_of_the_desk_history_is_caught(world):
    entry = registered(world)
    service.send_outside(entry, world["auditor1"], "县信访局", local_today(), "函件移送")
    newest = db.session.scalar(select(DeskEvent).order_by(DeskEvent.seq.desc()).limit(1))
    db.session.delete(newest)
    db.session.commit()
    assert any("被截断" in p or "删除" in p for p in chain.verify())
