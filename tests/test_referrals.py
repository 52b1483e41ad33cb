"""Referred cases (诉调/警调/访调对接): the referral registered with the case, the 反馈函 on
the outcome, its sending, overdue feedback in 我的待办 and the statistics, the list per body."""

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from mediation import access
from mediation.agreements import service as agreements
from mediation.cases import service as cases
from mediation.documents import service as documents
from mediation.documents.render import render_pdf
from mediation.extensions import db
from mediation.models import (
    AgreementKind,
    Case,
    CaseEvent,
    DocumentKind,
    EventKind,
    FeedbackMethod,
    Referral,
    Source,
    User,
)
from mediation.models.base import frozen_time, local_today, utcnow
from mediation.models.referral import FEEDBACK_DAYS
from mediation.records.service import record_session
from mediation.referrals import service as referrals
from mediation.workflow import WorkflowError

from factories import make_case
from htmlform import form_values


def court_referral(**extra) -> dict:
    today = local_today()
    return {
        "body_name": "城关人民法院", "reference_number": "(2026)示0102民诉前调123号",
        "referred_on": today - timedelta(days=2), "feedback_due": today + timedelta(days=28),
        **extra,
    }  # fmt: skip


def test_a_court_referral_is_registered_with_its_case_in_one_event(world):
    case = make_case(world["director1"], source=Source.COURT, referral=court_referral())
    referral = db.session.scalar(select(Referral).where(Referral.case_id == case.id))
    assert referral.body_kind == Source.COURT
    assert referral.body_name == "城关人民法院"
    assert referral.reference_number == "（2026）示0102民诉前调123号"  # brackets as courts print
    assert case.source_detail == "城关人民法院"
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.kind for e in events] == [EventKind.CREATED]
    assert events[0].details["对方文号"] == "（2026）示0102民诉前调123号"


@pytest.mark.parametrize(
    "missing, field",
    [("body_name", "source_detail"), ("reference_number", "reference_number"),
     ("referred_on", "referred_on")],
)  # fmt: skip
def test_a_referred_source_needs_the_body_its_number_and_the_date(world, missing, field):
    with pytest.raises(WorkflowError) as refused:
        make_case(world["director1"], source=Source.POLICE,
                  referral=court_referral(**{missing: None}))  # fmt: skip
    assert refused.value.field == field and refused.value.status == 400
    assert db.session.scalar(select(Case.id)) is None


def test_the_same_number_from_the_same_body_is_the_same_referral(world):
    first = make_case(world["director1"], source=Source.COURT, referral=court_referral())
    again = court_referral(reference_number="（2026）示0102民诉前调 123号")
    with pytest.raises(referrals.DuplicateReferral) as refused:
        make_case(world["mediator1"], source=Source.COURT, referral=again)
    assert refused.value.case.id == first.id
    assert first.number in refused.value.message
    # Another committee is told it is registered, not which case it is.
    with pytest.raises(referrals.DuplicateReferral) as elsewhere:
        make_case(world["director2"], source=Source.COURT, referral=again)
    assert first.number not in elsewhere.value.message
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 1


def test_other_sources_carry_no_referral(world):
    case = make_case(world["director1"], referral=court_referral())
    assert case.referral is None and case.source_detail == ""


# --- Helpers ---------------------------------------------------------------------------------


def text_of(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True)  # fmt: skip
    return re.sub(r"\s+", "", done.stdout.decode())


def referred_case(world, user="mediator1", **extra):
    """A court-referred case, accepted and in mediation by mediator1."""
    case = make_case(world[user], source=Source.COURT, referral=court_referral(**extra))
    cases.apply_action(case, world["mediator1"], "accept")
    if not case.active_mediators:
        cases.assign_mediator(case, world["director1"], world["mediator1"].id)
    cases.apply_action(case, world["mediator1"], "start_mediation")
    return case


def terminated_case(world, **extra):
    case = referred_case(world, **extra)
    cases.apply_action(case, world["mediator1"], "terminate", "被申请人拒不到场。",
                       "可向城关人民法院提起诉讼。")  # fmt: skip
    return case


def agreed_case(world, kind=AgreementKind.WRITTEN, signed=True):
    case = referred_case(world)
    mediator = world["mediator1"]
    record_session(case, mediator, {
        "held_at": utcnow() - timedelta(hours=2), "place": "调解室", "mediators": "李调解",
        "attendees": "张三、李四", "course": "双方陈述，调解员释法说理。", "result": "达成一致。",
    })  # fmt: skip
    terms = [{"obligor": "李四", "obligee": "张三", "content": "赔偿维修费", "amount": 800,
              "manner": "银行转账", "deadline": local_today() + timedelta(days=10)}]  # fmt: skip
    agreement = agreements.reach_agreement(case, mediator, kind, {
        "facts": "楼上漏水。", "disputed_points": "赔偿数额。", "responsibility": "李四负责。",
        "oral_content": "李四赔偿张三维修费八百元。",
    }, terms)  # fmt: skip
    if kind == AgreementKind.WRITTEN and signed:
        agreements.confirm_signed(case, mediator, agreement, upload(scan_pdf(2), "签字.pdf"), True)
    return case


def scan_pdf(pages: int) -> bytes:
    body = "".join(f'<p style="break-before: page">签字扫描页{n}</p>' for n in range(1, pages + 1))
    return render_pdf(f'<html><body style="font-family: Mediation Song">{body}</body></html>')


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def feedback_pdf(case, user) -> bytes:
    document = documents.generate_document(case, user, DocumentKind.FEEDBACK)
    return documents.read_document(document)


# --- The 反馈函 ------------------------------------------------------------------------------


def test_no_feedback_letter_before_the_case_has_ended(world):
    case = referred_case(world)
    assert DocumentKind.FEEDBACK not in {e.kind for e in documents.entries(case)}
    with pytest.raises(WorkflowError) as refused:
        documents.generate_document(case, world["mediator1"], DocumentKind.FEEDBACK)
    assert refused.value.status == 404


def test_a_terminated_referrals_letter_reads_back_with_the_number_and_the_outcome(world):
    case = terminated_case(world)
    text = text_of(feedback_pdf(case, world["mediator1"]))
    for part in ("人民调解情况反馈函", "城关人民法院：", "（2026）示0102民诉前调123号",
                 case.number, "调解终止", "被申请人拒不到场。", "可向城关人民法院提起诉讼。",
                 "张三与李四邻里纠纷", "特此函告"):  # fmt: skip
        assert part in text, part


def test_an_agreed_referrals_letter_carries_the_signed_agreement_after_it(world):
    case = agreed_case(world)
    pdf = feedback_pdf(case, world["mediator1"])
    text = text_of(pdf)
    for part in ("（2026）示0102民诉前调123号", case.number, "达成调解协议", "书面协议",
                 "李四向张三赔偿维修费", "附件：人民调解协议书一份（附后）"):  # fmt: skip
        assert part in text, part
    # The signed scan's two pages follow the letter.
    reader = PdfReader(io.BytesIO(pdf))
    last_pages = "".join(p.extract_text() for p in reader.pages[-2:])
    assert "签字扫描页1" in last_pages and "签字扫描页2" in last_pages


def test_an_oral_agreement_is_drawn_into_the_letter_from_its_record(world):
    case = agreed_case(world, AgreementKind.ORAL)
    text = text_of(feedback_pdf(case, world["mediator1"]))
    assert "口头协议" in text and "人民调解口头协议登记表" in text
    assert "李四赔偿张三维修费八百元" in text


def test_a_written_agreement_awaiting_signature_owes_no_feedback_yet(world):
    case = agreed_case(world, signed=False)
    assert not referrals.feedback_owed(case)
    with pytest.raises(WorkflowError):
        referrals.record_feedback(case, world["mediator1"], local_today(), FeedbackMethod.MAIL)


def test_the_letter_is_bound_into_the_case_file(world):
    case = terminated_case(world)
    cases.apply_action(case, world["director1"], "close")
    cases.apply_action(case, world["director1"], "archive")
    kinds = {d.kind for d in documents.documents_of(case)}
    assert DocumentKind.FEEDBACK in kinds
    case_file = next(d for d in documents.documents_of(case) if d.kind == DocumentKind.CASE_FILE)
    assert "人民调解情况反馈函" in text_of(documents.read_document(case_file))


# --- Recording the sending --------------------------------------------------------------------


def test_recording_the_sending_is_one_timeline_event_and_only_once(world):
    case = terminated_case(world)
    today = local_today()
    referrals.record_feedback(case, world["mediator1"], today, FeedbackMethod.MAIL,
                              "挂号信 XA123456789CN")  # fmt: skip
    referral = db.session.get(Referral, case.referral.id)
    assert referral.feedback_sent_on == today and referral.feedback_method == FeedbackMethod.MAIL
    event = case.events[-1]
    assert event.kind == EventKind.FEEDBACK_SENT and event.details["送达方式"] == "邮寄"
    assert event.details["对方文号"] == "（2026）示0102民诉前调123号"
    with pytest.raises(WorkflowError) as again:
        referrals.record_feedback(case, world["mediator1"], today, FeedbackMethod.FAX)
    assert "不能重复登记" in again.value.message


@pytest.mark.parametrize(
    "sent_on, method, note, field",
    [(None, FeedbackMethod.MAIL, "", "sent_on"), ("tomorrow", FeedbackMethod.MAIL, "", "sent_on"),
     ("today", None, "", "method"), ("today", FeedbackMethod.OTHER, "", "note")],
)  # fmt: skip
def test_the_sending_needs_a_date_not_in_the_future_and_a_way(world, sent_on, method, note, field):
    case = terminated_case(world)
    day = {"today": local_today(), "tomorrow": local_today() + timedelta(days=1)}.get(sent_on)
    with pytest.raises(WorkflowError) as refused:
        referrals.record_feedback(case, world["mediator1"], day, method, note)
    assert refused.value.field == field and refused.value.status == 400


def test_a_mediator_not_on_the_case_cannot_record_the_sending(world):
    case = terminated_case(world)
    with pytest.raises(WorkflowError) as refused:
        referrals.record_feedback(case, world["mediator3"], local_today(), FeedbackMethod.MAIL)
    assert refused.value.status == 403


# --- Overdue: 我的待办 and the statistics ------------------------------------------------------


def test_feedback_past_the_bodys_deadline_is_overdue_until_sent(world, login):
    case = terminated_case(world)
    db.session.execute(update(Referral).where(Referral.case_id == case.id)
                       .values(feedback_due=local_today() - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    db.session.refresh(case.referral)
    assert referrals.feedback_overdue(case)
    page = login("mediator1").get("/todo").get_data(as_text=True)
    assert "向委派、移交单位反馈超期" in page and case.number in page
    referrals.record_feedback(case, world["mediator1"], local_today(), FeedbackMethod.IN_PERSON)
    assert not referrals.feedback_overdue(case)
    assert "向委派、移交单位反馈超期" not in login("mediator1").get("/todo").get_data(as_text=True)


def test_without_a_deadline_feedback_is_due_seven_days_after_the_end(world):
    ended = datetime.now(UTC) - timedelta(days=FEEDBACK_DAYS + 1)
    with frozen_time(ended):
        case = terminated_case(world, feedback_due=None)
    assert referrals.feedback_deadline(case) == local_today() - timedelta(days=1)
    assert referrals.feedback_overdue(case)
    found = referrals.overdue_feedback(access.cases_worked_by(world["director1"]))
    assert [c.id for c in found] == [case.id]
    with frozen_time(ended + timedelta(days=FEEDBACK_DAYS - 1)):
        assert not referrals.feedback_overdue(case)
        assert referrals.overdue_feedback(access.cases_worked_by(world["director1"])) == []


def test_a_case_still_in_mediation_is_never_overdue_feedback(world):
    case = referred_case(world, feedback_due=local_today() + timedelta(days=1))
    db.session.execute(update(Referral).where(Referral.case_id == case.id)
                       .values(feedback_due=local_today() - timedelta(days=3)))  # fmt: skip
    db.session.commit()
    assert referrals.overdue_feedback(access.cases_worked_by(world["director1"])) == []


def test_the_statistics_count_referrals_their_feedback_and_the_overdue(world, login):
    overdue = terminated_case(world)
    db.session.execute(update(Referral).where(Referral.case_id == overdue.id)
                       .values(feedback_due=local_today() - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    sent = terminated_case(world, reference_number="（2026）示0102民诉前调124号")
    referrals.record_feedback(sent, world["mediator1"], local_today(), FeedbackMethod.MAIL)
    referred_case(world, reference_number="（2026）示0102民诉前调125号")
    make_case(world["mediator2"], source=Source.POLICE, referral=court_referral(
        body_name="河西派出所", reference_number="河公调〔2026〕1号"))  # fmt: skip
    today = local_today()
    first = today - timedelta(days=40)
    counts = referrals.feedback_counts(world.committees["东街"], first, today, today)
    assert [(c.kind, c.referred, c.ended, c.sent, c.overdue) for c in counts] == [
        (Source.COURT, 3, 2, 1, 1)
    ]
    page = login("auditor0").get("/statistics").get_data(as_text=True)
    assert "委派、移交案件和反馈" in page and "反馈超期" in page


# --- The intake form --------------------------------------------------------------------------


def intake(**extra) -> dict:
    data = {
        "category": "neighbour", "source": "court", "registered_on": local_today().isoformat(),
        "summary": "楼上漏水。", "request": "请求赔偿。", "risk_level": "low",
        "other_authority": "none",
        "parties-0-role": "applicant", "parties-0-kind": "person", "parties-0-name": "张三",
        "parties-1-role": "respondent", "parties-1-kind": "person", "parties-1-name": "李四",
    }  # fmt: skip
    return {**data, **extra}


def test_a_referred_intake_asks_for_the_referral_fields_next_to_them(world, login):
    response = login("director1").post("/cases/new", data=intake(dispute_place="东街3号"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("委派、移交的案件请填写移交单位名称。",
                    "委派、移交的案件请填写对方的文号或案号。",
                    "委派、移交的案件请填写委派、移交日期。"):  # fmt: skip
        assert message in page
    assert "东街3号" in page  # nothing typed is lost
    assert db.session.scalar(select(Case.id)) is None


def test_a_court_referral_registers_from_the_form_and_edits_with_a_diff(world, login):
    c = login("director1")
    day = (local_today() - timedelta(days=1)).isoformat()
    due = (local_today() + timedelta(days=30)).isoformat()
    response = c.post("/cases/new", data=intake(
        source_detail="城关人民法院", reference_number="(2026)示0102民诉前调9号",
        referred_on=day, feedback_due=due))  # fmt: skip
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.referral.reference_number == "（2026）示0102民诉前调9号"
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "委派、移交与反馈" in page and "（2026）示0102民诉前调9号" in page
    edit = c.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'value="（2026）示0102民诉前调9号"' in edit and f'value="{day}"' in edit
    # A repeat of the same letter is refused next to the number, the typing kept.
    again = c.post("/cases/new", data=intake(
        source_detail="城关人民法院", reference_number="（2026）示0102民诉前调9号", referred_on=day,
        summary="重复登记的来函。"))  # fmt: skip
    text = again.get_data(as_text=True)
    assert again.status_code == 400 and f"已登记为案件{case.number}" in text
    assert "重复登记的来函。" in text


def test_the_feedback_form_on_the_case_page_records_or_refuses_by_its_field(world, login):
    case = terminated_case(world)
    c = login("mediator1")
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "登记反馈函送出" in page and "生成反馈函" in page
    refused = c.post(f"/cases/{case.id}/feedback", data={
        "feedback-sent_on": local_today().isoformat(), "feedback-method": "other",
        "feedback-note": ""})  # fmt: skip
    assert refused.status_code == 400
    assert "送达方式为“其他”的，请在备注中说明。" in refused.get_data(as_text=True)
    done = c.post(f"/cases/{case.id}/feedback", data={
        "feedback-sent_on": local_today().isoformat(), "feedback-method": "e_government",
        "feedback-note": "经政法协同平台发送"})  # fmt: skip
    assert done.status_code == 302
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "电子政务" in page and "已反馈" in page and "登记反馈函送出" not in page


# --- The list per referring body, and scope --------------------------------------------------


def test_the_list_groups_by_body_and_filters_by_kind_and_feedback(world, login):
    ended = terminated_case(world)
    referred_case(world, body_name="东街派出所", reference_number="东公〔2026〕7号")
    db.session.execute(update(Referral).where(Referral.body_name == "东街派出所")
                       .values(body_kind=Source.POLICE))  # fmt: skip
    db.session.commit()
    c = login("director1")
    page = c.get("/referrals").get_data(as_text=True)
    assert "城关人民法院" in page and "东街派出所" in page and "data-print" in page
    assert f'href="/cases/{ended.id}#referral"' in page
    owed = c.get("/referrals?feedback=owed").get_data(as_text=True)
    assert ended.number in owed and "东公〔2026〕7号" not in owed
    police = c.get("/referrals?kind=police").get_data(as_text=True)
    assert "东公〔2026〕7号" in police and ended.number not in police
    body = c.get("/referrals?body=法院").get_data(as_text=True)
    assert ended.number in body and "东公〔2026〕7号" not in body


@pytest.mark.parametrize(
    "username, status, sees",
    [("director1", 200, True), ("mediator1", 200, True), ("mediator3", 200, True),
     ("auditor1", 200, True), ("auditor0", 200, True), ("director2", 200, False),
     ("mediator2", 200, False), ("auditor2", 200, False), ("mediator5", 200, False),
     ("grid1", 403, False), ("admin", 403, False)],
)  # fmt: skip
def test_the_referral_list_shows_only_the_users_scope(world, login, username, status, sees):
    case = terminated_case(world)
    response = login(username).get("/referrals")
    assert response.status_code == status
    assert (case.number in response.get_data(as_text=True)) == sees


@pytest.mark.parametrize(
    "username, status",
    [("mediator1", 302), ("director1", 302), ("mediator3", 403), ("auditor1", 403),
     ("grid1", 404), ("director2", 404), ("auditor2", 404), ("admin", 404)],
)  # fmt: skip
def test_only_the_cases_handlers_record_the_sending(world, login, username, status):
    case = terminated_case(world)
    response = login(username).post(f"/cases/{case.id}/feedback", data={
        "feedback-sent_on": local_today().isoformat(), "feedback-method": "mail"})  # fmt: skip
    assert response.status_code == status
    assert (db.session.get(Referral, case.referral.id).feedback_sent_on is not None) == (
        status == 302
    )


def test_the_demo_has_a_court_referral_for_director1_to_feed_back(demo_county, login):
    referral = db.session.scalar(
        select(Referral).where(Referral.reference_number.like("%民诉前调888号"))
    )
    case = referral.case
    assert case.committee.short_name == "东街" and referrals.feedback_owed(case)
    c = login("director1", "demo12345")
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "生成反馈函" in page and "登记反馈函送出" in page
    assert c.post(f"/cases/{case.id}/documents", data={"kind": "feedback"}).status_code == 302
    letter = next(d for d in documents.documents_of(case) if d.kind == DocumentKind.FEEDBACK)
    text = text_of(documents.read_document(letter))
    assert referral.reference_number in text and "达成调解协议" in text
    # Other demo referrals were fed back, or are overdue in the director's 我的待办.
    assert db.session.scalar(select(db.func.count()).where(Referral.feedback_sent_on.is_not(None)))
    director = db.session.scalar(select(User).where(User.username == "director1"))
    overdue = referrals.overdue_feedback(access.cases_worked_by(director))
    assert overdue and overdue[0].number in c.get("/todo").get_data(as_text=True)


def test_a_source_no_longer_referred_drops_the_referral_and_the_body(world):
    case = make_case(world["director1"], source=Source.COURT, referral=court_referral())
    fields = {"source": Source.APPLICATION, "summary": case.summary}
    parties = [{"id": p.id, "role": p.role, "name": p.name, "kind": p.kind} for p in case.parties]
    cases.update_case(case, world["director1"], case.version, fields, parties,
                      seen={p.id for p in case.parties})  # fmt: skip
    assert case.referral is None and case.source_detail == ""
    assert db.session.scalar(select(Referral.id)) is None
    changes = case.events[-1].details["changes"]
    assert changes["对方文号（案号）"] == ["城关人民法院（2026）示0102民诉前调123号", ""]


def test_editing_a_grid_reports_case_keeps_its_grid_and_worker(world, login):
    case = make_case(world["director1"], source=Source.GRID_REPORT,
                     source_detail="东街第一网格 陈网格")  # fmt: skip
    c = login("director1")
    values = form_values(c.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    values.update(summary="补充：漏水已持续一月。")
    assert c.post(f"/cases/{case.id}/edit", data=values).status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.summary == "补充：漏水已持续一月。" and case.source_detail == "东街第一网格 陈网格"
