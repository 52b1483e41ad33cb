"""From agreement to archive (DOMAIN §2 rules 8-12), through the services and real HTTP."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfWriter

from mediation.agreements import service as agreements
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import (
    AgreementKind,
    AgreementStatus,
    Case,
    CaseStatus,
    EventKind,
    Performance,
    Satisfaction,
)
from mediation.models.base import local_today, utcnow
from mediation.records.service import record_session
from mediation.workflow import WorkflowError

from factories import make_case
from htmlform import form_values


def _blank_pdf() -> bytes:
    """A real one-page PDF: uploads are parsed and rewritten, a stub would be refused."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _blank_pdf()


def mediating(world, user="mediator1") -> Case:
    case = make_case(world[user])
    cases.apply_action(case, world[user], "accept")
    cases.apply_action(case, world[user], "start_mediation")
    return case


def with_session(case, user):
    record_session(case, user, {
        "held_at": utcnow() - timedelta(hours=2), "place": "调解室", "mediators": user.name,
        "attendees": "张三、李四", "course": "双方陈述并协商。", "result": "达成一致。",
    })  # fmt: skip
    return case


def terms(n: int = 2) -> list[dict]:
    return [
        {"obligor": "李四", "obligee": "张三", "content": f"第{i}项：维修并赔偿",
         "amount": Decimal("1500.50") if i == 1 else None, "manner": "银行转账",
         "deadline": local_today() + timedelta(days=10 * i)}
        for i in range(1, n + 1)
    ]  # fmt: skip


WRITTEN = {"facts": "楼上漏水。", "disputed_points": "维修责任。", "responsibility": "李四负责。"}


def agreed(world, kind=AgreementKind.WRITTEN):
    case = with_session(mediating(world), world["mediator1"])
    fields = WRITTEN if kind == AgreementKind.WRITTEN else {"oral_content": "李四当场赔偿五百元。"}
    agreements.reach_agreement(case, world["mediator1"], kind, fields, terms())
    return case


def effective(world):
    case = agreed(world)
    login_free_upload(case, world["mediator1"])
    return case


def login_free_upload(case, user):
    from werkzeug.datastructures import FileStorage

    scan = FileStorage(io.BytesIO(PDF), filename="签字协议.pdf", content_type="application/pdf")
    agreements.confirm_signed(case, user, case.agreement, scan, True)


def followed_up(world, status=Performance.PERFORMED):
    case = effective(world)
    perf = {t.id: (status, "") for t in case.agreement.terms}
    agreements.record_follow_up(case, world["mediator1"], {
        "visited_on": local_today(), "visited": "张三、李四",
        "satisfaction": Satisfaction.SATISFIED, "opinions": "",
    }, perf)  # fmt: skip
    return case


def test_agreement_needs_session_record(world):
    """Rule 5: no 已达成协议 without a session record; nothing is saved on refusal."""
    case = mediating(world)
    with pytest.raises(WorkflowError) as refused:
        agreements.reach_agreement(
            case, world["mediator1"], AgreementKind.WRITTEN, WRITTEN, terms()
        )
    assert "尚无调解记录" in refused.value.message
    db.session.rollback()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.MEDIATING and case.agreements == []


def test_written_agreement_takes_effect_when_the_signed_scan_is_confirmed(world):
    """Rule 8 (Art. 29): signed, sealed and uploaded; the effective date is recorded then."""
    case = agreed(world)
    assert case.status == CaseStatus.AGREED
    agreement = case.agreement
    assert agreement.status == AgreementStatus.AWAITING_SIGNATURE and agreement.effective_on is None
    assert [t.amount for t in agreement.terms] == [Decimal("1500.50"), None]
    from werkzeug.datastructures import FileStorage

    scan = FileStorage(io.BytesIO(PDF), filename="scan.pdf")
    with pytest.raises(WorkflowError) as unchecked:
        agreements.confirm_signed(case, world["mediator1"], agreement, scan, False)
    assert unchecked.value.field == "checked"
    login_free_upload(case, world["mediator1"])
    assert agreement.is_effective and agreement.effective_on == local_today()
    assert agreement.confirmation_deadline == local_today() + timedelta(days=30)
    assert case.attachments[-1].original_name == "签字协议.pdf"
    assert EventKind.AGREEMENT_EFFECTIVE in [e.kind for e in case.events]


def test_oral_agreement_takes_effect_the_day_it_is_reached(world):
    case = agreed(world, AgreementKind.ORAL)
    assert case.agreement.is_effective and case.agreement.effective_on == local_today()


def test_written_agreement_needs_facts_and_terms_with_deadlines(world):
    case = with_session(mediating(world), world["mediator1"])
    with pytest.raises(WorkflowError) as no_facts:
        agreements.reach_agreement(case, world["mediator1"], AgreementKind.WRITTEN,
                                   {**WRITTEN, "facts": ""}, terms())  # fmt: skip
    assert no_facts.value.field == "facts"
    bad = terms(1)
    bad[0]["deadline"] = None
    with pytest.raises(WorkflowError) as no_deadline:
        agreements.reach_agreement(case, world["mediator1"], AgreementKind.WRITTEN, WRITTEN, bad)
    assert "履行期限" in no_deadline.value.message


def test_follow_up_records_each_term_and_moves_to_followed_up(world):
    """Rule 9: performance of every obligation, satisfaction and opinions."""
    case = agreed(world)
    with pytest.raises(WorkflowError):  # not yet in force
        agreements.record_follow_up(case, world["mediator1"], {}, {})
    login_free_upload(case, world["mediator1"])
    term_ids = [t.id for t in case.agreement.terms]
    with pytest.raises(WorkflowError) as missing:
        agreements.record_follow_up(case, world["mediator1"], {
            "visited_on": local_today(), "visited": "张三", "satisfaction": Satisfaction.MOSTLY,
        }, {term_ids[0]: (Performance.PERFORMED, "")})  # fmt: skip
    assert "第2项" in missing.value.message
    case = followed_up(world, Performance.PARTIAL)
    assert case.status == CaseStatus.FOLLOWED_UP
    visit = case.follow_ups[-1]
    assert [p.status for p in visit.performances] == [Performance.PARTIAL, Performance.PARTIAL]


def test_unperformed_term_reopens_mediation_but_a_performed_one_does_not(world):
    done = followed_up(world, Performance.PERFORMED)
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(done, world["mediator1"], "reopen", "再谈谈")
    assert "已全部履行" in refused.value.message
    open_case = followed_up(world, Performance.NOT_PERFORMED)
    cases.apply_action(open_case, world["mediator1"], "reopen", "李四未按期赔偿。")
    assert open_case.status == CaseStatus.MEDIATING
    agreements.reach_agreement(open_case, world["mediator1"], AgreementKind.ORAL,
                               {"oral_content": "李四于三日内付清。"}, [])  # fmt: skip
    assert [a.status for a in open_case.agreements] == [
        AgreementStatus.SUPERSEDED, AgreementStatus.EFFECTIVE]  # fmt: skip


def test_court_confirmation_within_thirty_days(world):
    """Rule 10 (Art. 33): the deadline is shown; application and the court's result recorded."""
    case = effective(world)
    late = case.agreement.effective_on + timedelta(days=31)
    with pytest.raises(WorkflowError) as refused:
        agreements.apply_for_confirmation(case, world["mediator1"], late, "示例县人民法院")
    assert "已超过申请期限" in refused.value.message and "第三十三条" in refused.value.message
    c = agreements.apply_for_confirmation(case, world["mediator1"], local_today(), "示例县人民法院")
    from mediation.models import ConfirmationResult

    agreements.record_confirmation_result(case, world["mediator1"], c, c.version,
                                          ConfirmationResult.CONFIRMED, local_today(),
                                          "（2026）示0101民特1号")  # fmt: skip
    assert c.result == ConfirmationResult.CONFIRMED


def test_the_courts_ruling_is_recorded_through_the_case_page(world, login):
    """The form as the case page draws it, posted unchanged but for the ruling."""
    from mediation.models import ConfirmationResult

    case = effective(world)
    agreements.apply_for_confirmation(case, world["mediator1"], local_today(), "示例县人民法院")
    c = login("mediator1")
    values = form_values(c.get(f"/cases/{case.id}").get_data(as_text=True),
                         "confirmation-result-form")  # fmt: skip
    values.update(result="confirmed", decided_on=local_today().isoformat(),
                  reference="（2026）示0101民特1号")  # fmt: skip
    response = c.post(f"/cases/{case.id}/confirmations/{case.confirmations[0].id}", data=values)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Case, case.id).confirmations[0]
    assert saved.result == ConfirmationResult.CONFIRMED and saved.reference.endswith("民特1号")


def test_deadline_extended_once_by_the_director(world):
    """Rule 11: one extension with a reason (and, rule 15, every party's consent)."""
    case = mediating(world)
    everyone = [p.id for p in case.parties]
    with pytest.raises(WorkflowError) as not_director:
        agreements.extend_deadline(case, world["mediator1"], 10, "案情复杂", everyone, "书面同意")
    assert not_director.value.status == 403
    before = case.deadline
    agreements.extend_deadline(
        case, world["director1"], 10, "案情复杂，需要鉴定。", everyone, "书面同意"
    )
    assert case.deadline == before + timedelta(days=10)
    with pytest.raises(WorkflowError) as twice:
        agreements.extend_deadline(case, world["director1"], 5, "再延", everyone, "书面同意")
    assert "不能再次延长" in twice.value.message


def test_reminder_reaches_the_mediator(world, login):
    case = mediating(world)
    agreements.send_reminder(case, world["director1"], "请本周内组织调解。")
    page = login("mediator1").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "请本周内组织调解。" in page and "催办" in page
    todo = login("mediator1").get("/todo").get_data(as_text=True)
    assert "请本周内组织调解。" in todo


def test_todo_lists_overdue_soon_due_and_waiting_for_signature(world, login):
    late = mediating(world)
    late.deadline = local_today() - timedelta(days=2)
    soon = mediating(world)
    soon.deadline = local_today() + timedelta(days=1)
    db.session.commit()
    waiting = agreed(world)
    page = login("mediator1").get("/todo").get_data(as_text=True)
    assert "已超期" in page and late.number in page and "超期 2 天" in page
    assert "3 天内到期" in page and soon.number in page
    assert "协议待签字盖章" in page and waiting.number in page
    assert "暂无待办事项" in login("mediator3").get("/todo").get_data(as_text=True)


def test_closing_lists_what_the_file_is_missing(world):
    """Rule 12: 结案 checks the file and says, in Chinese, what is missing."""
    case = effective(world)
    case.status = CaseStatus.FOLLOWED_UP  # as if followed up, but no visit recorded
    db.session.commit()
    with pytest.raises(WorkflowError) as refused:
        cases.apply_action(case, world["director1"], "close")
    assert refused.value.message == "结案前还缺少：1. 协议履行情况的回访记录。"
    with pytest.raises(WorkflowError) as mediator:
        cases.apply_action(case, world["mediator1"], "close")
    assert mediator.value.status == 403


def test_archived_case_is_read_only_and_takes_signed_addenda(world, login):
    case = followed_up(world)
    cases.apply_action(case, world["director1"], "close")
    assert case.status == CaseStatus.CLOSED and case.closed_on == local_today()
    cases.apply_action(case, world["director1"], "archive")
    assert case.status == CaseStatus.ARCHIVED and case.archived_on == local_today()
    for attempt in (
        lambda: cases.update_case(case, world["director1"], case.version, {}, []),
        lambda: record_session(case, world["mediator1"], {"held_at": utcnow()}),
        lambda: cases.assign_mediator(case, world["director1"], world["mediator3"].id),
        lambda: agreements.send_reminder(case, world["director1"], "x"),
    ):
        with pytest.raises(WorkflowError) as refused:
            attempt()
        assert "本案已归档" in refused.value.message
    c = login("director1")
    assert c.get(f"/cases/{case.id}/edit").status_code == 302
    response = c.post(f"/cases/{case.id}/actions/withdraw", data={"reason": "x"})
    assert response.status_code == 409
    c.post(f"/cases/{case.id}/addenda", data={"text": "更正：回访日期应为前一日。"})
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "更正：回访日期应为前一日。" in page and "周主任（调委会主任）签署" in page


def test_agreement_page_through_http(world, login):
    case = with_session(mediating(world), world["mediator1"])
    c = login("mediator1")
    page = c.get(f"/cases/{case.id}/agreement/new").get_data(as_text=True)
    assert "人民调解协议" in page and case.summary in page
    data = {"kind": "written", **WRITTEN, "terms-0-obligor": "李四", "terms-0-obligee": "张三",
            "terms-0-content": "赔偿维修费", "terms-0-amount": "3,000", "terms-0-manner": "转账",
            "terms-0-deadline": (local_today() + timedelta(days=7)).isoformat()}  # fmt: skip
    page = c.post(f"/cases/{case.id}/agreement/new", data={**data, "add_term": "1"})
    assert 'name="terms-1-obligor"' in page.get_data(as_text=True)  # a row added, nothing lost
    bad = c.post(f"/cases/{case.id}/agreement/new", data={**data, "terms-0-amount": "三千"})
    assert bad.status_code == 400 and "请填写金额数字" in bad.get_data(as_text=True)
    assert c.post(f"/cases/{case.id}/agreement/new", data=data).status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.AGREED and case.agreement.terms[0].amount == Decimal("3000")
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "3,000.00" in page and "待签字盖章" in page
    upload = {"checked": "y", "file": (io.BytesIO(b"<html>not a pdf</html>"), "协议.pdf")}
    bad = c.post(f"/cases/{case.id}/agreements/{case.agreement.id}/signed", data=upload,
                 content_type="multipart/form-data")  # fmt: skip
    assert bad.status_code == 400 and "只能上传 PDF、JPEG 或 PNG" in bad.get_data(as_text=True)
    upload = {"checked": "y", "file": (io.BytesIO(PDF), "协议.pdf")}
    ok = c.post(f"/cases/{case.id}/agreements/{case.agreement.id}/signed", data=upload,
                content_type="multipart/form-data")  # fmt: skip
    assert ok.status_code == 302
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已生效" in page and "司法确认" in page and "填写回访记录" in page


def test_follow_up_page_through_http(world, login):
    case = effective(world)
    c = login("mediator1")
    page = c.get(f"/cases/{case.id}/follow-ups/new").get_data(as_text=True)
    assert "协议履行情况" in page and "第1项：维修并赔偿" in page
    data = {"visited_on": local_today().isoformat(), "visited": "张三、李四",
            "satisfaction": "mostly", "opinions": "第二项尚未履行。",
            "performances-0-term_id": str(case.agreement.terms[0].id),
            "performances-0-status": "performed",
            "performances-1-term_id": str(case.agreement.terms[1].id)}  # fmt: skip
    refused = c.post(f"/cases/{case.id}/follow-ups/new", data=data)
    assert refused.status_code == 400 and "不是有效的选择" not in refused.get_data(True)
    assert "请填写第2项协议的履行情况" in refused.get_data(True)
    assert "第二项尚未履行。" in refused.get_data(True)
    data["performances-1-status"] = "not_performed"
    assert c.post(f"/cases/{case.id}/follow-ups/new", data=data).status_code == 302
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "未履行" in page and "基本满意" in page and "引导当事人向人民法院起诉" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.FOLLOWED_UP


def test_signed_scan_becomes_the_signed_copy_of_the_generated_agreement(app, world):
    from mediation.documents.service import generate_document
    from mediation.models import DocumentKind

    case = agreed(world)
    with app.test_request_context():
        printed = generate_document(case, world["mediator1"], DocumentKind.AGREEMENT,
                                    case.agreement.id)  # fmt: skip
    assert not printed.is_signed
    login_free_upload(case, world["mediator1"])
    db.session.refresh(printed)
    assert printed.is_signed and case.agreement.is_effective
    assert EventKind.DOCUMENT in [e.kind for e in case.events]


def test_todo_queries_do_not_grow_with_cases(world, login):
    from sqlalchemy import event

    c = login("mediator1")

    def count() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert c.get("/todo").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def one_of_each():
        agreed(world)
        late = mediating(world)
        late.deadline = local_today() - timedelta(days=1)
        db.session.commit()

    one_of_each()
    few = count()
    for _ in range(4):
        agreed(world)
        late = mediating(world)
        late.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    assert count() == few
