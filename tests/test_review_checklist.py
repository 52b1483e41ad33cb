"""The case-file review's quality checklist, item by item, against hand-built cases (no
database: each case is put together in memory with exactly the records the item looks at)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from mediation.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementTerm,
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    CaseStatus,
    FollowUp,
    Party,
    PartyKind,
    PartyRole,
    PoliceReport,
    RiskLevel,
    RiskMeasure,
    Satisfaction,
    SessionRecord,
)
from mediation.oversight.checklist import checklist

DAY = date(2026, 9, 1)


def on(n: int) -> date:
    return DAY + timedelta(days=n)


def at(n: int) -> datetime:
    return datetime(2026, 9, 1, 6, tzinfo=UTC) + timedelta(days=n)


def bare_case(**fields) -> Case:
    """Closed, accepted on day 0 with a 30-day deadline, two parties, nothing else."""
    case = Case(
        status=CaseStatus.CLOSED,
        accepted_on=DAY,
        deadline=on(30),
        extension_reason="",
        extension_consent="",
        risk_level=RiskLevel.LOW,
        may_escalate=False,
        **fields,
    )
    case.parties = [
        Party(
            role=PartyRole.APPLICANT,
            kind=PartyKind.PERSON,
            name="张三",
            address="东街1号",
            legal_representative="",
        ),
        Party(
            role=PartyRole.RESPONDENT,
            kind=PartyKind.PERSON,
            name="李四",
            address="东街2号",
            legal_representative="",
        ),
    ]
    return case


def agreed_case(kind=AgreementKind.WRITTEN, reached=10) -> Case:
    """A complete agreed file: session before the agreement, signed scan, follow-up."""
    case = bare_case()
    agreement = Agreement(
        id=7,
        kind=kind,
        status=AgreementStatus.EFFECTIVE,
        reached_on=on(reached),
        facts="楼上漏水。",
        disputed_points="赔偿数额。",
        responsibility="李四负全部责任。",
        oral_content="" if kind == AgreementKind.WRITTEN else "当场赔偿五百元。",
    )
    agreement.terms = [
        AgreementTerm(
            obligor="李四", obligee="张三", content="赔偿", manner="现金", deadline=on(reached + 10)
        )
    ]
    case.agreements = [agreement]
    case.session_records = [SessionRecord(held_at=at(reached - 2))]
    case.attachments = [
        Attachment(kind=AttachmentKind.SIGNED_AGREEMENT, agreement_id=7, original_name="签字.pdf")
    ]
    case.follow_ups = [
        FollowUp(agreement_id=7, visited_on=on(reached + 20), satisfaction=Satisfaction.SATISFIED)
    ]
    return case


def result(case: Case, key: str) -> bool | None:
    return next(c for c in checklist(case) if c.key == key).ok


def test_a_complete_agreed_file_meets_every_item_that_applies():
    found = {c.key: c.ok for c in checklist(agreed_case())}
    assert found == {
        "art29": True,
        "session": True,
        "signed": True,
        "follow_up": True,
        "deadline": True,
        "documents": True,
        "risk": None,
    }


def test_art29_needs_facts_points_responsibility_terms_and_party_details():
    case = agreed_case()
    case.agreement.responsibility = " "
    assert result(case, "art29") is False
    case = agreed_case()
    case.parties[1].address = ""
    assert result(case, "art29") is False
    case = agreed_case()
    case.agreement.terms[0].manner = ""
    assert result(case, "art29") is False
    oral = agreed_case(AgreementKind.ORAL)
    assert result(oral, "art29") is True
    oral.agreement.oral_content = ""
    assert result(oral, "art29") is False
    assert result(bare_case(), "art29") is None


def test_session_record_must_come_before_the_agreement():
    case = agreed_case()
    assert result(case, "session") is True
    case.session_records = [SessionRecord(held_at=at(15))]  # after the agreement (day 10)
    assert result(case, "session") is False
    case.session_records = []
    assert result(case, "session") is False


def test_written_agreement_needs_its_signed_scan_oral_does_not():
    case = agreed_case()
    assert result(case, "signed") is True
    case.attachments = [
        Attachment(kind=AttachmentKind.PHOTO, agreement_id=None, original_name="现场.jpg")
    ]
    assert result(case, "signed") is False
    assert result(agreed_case(AgreementKind.ORAL), "signed") is None


def test_follow_up_of_the_current_agreement_is_done():
    case = agreed_case()
    assert result(case, "follow_up") is True
    case.follow_ups = [
        FollowUp(agreement_id=99, visited_on=on(30), satisfaction=Satisfaction.SATISFIED)
    ]
    assert result(case, "follow_up") is False


def test_deadline_kept_or_extended_with_consent():
    assert result(agreed_case(reached=30), "deadline") is True
    late = agreed_case(reached=31)
    assert result(late, "deadline") is False
    extended = agreed_case(reached=40)
    extended.deadline, extended.extension_reason = on(45), "需等待鉴定结论。"
    assert result(extended, "deadline") is False  # extended without the parties' consent
    extended.extension_consent = "张三、李四当面口头同意"
    assert result(extended, "deadline") is True
    assert result(_rejected(), "deadline") is None


def _rejected() -> Case:
    case = bare_case()
    case.accepted_on = case.deadline = None
    case.events = [CaseEvent(action="reject", reason="法院已受理。", details={"route": "诉讼"})]
    return case


def _terminated(route: str) -> Case:
    case = bare_case()
    case.events = [
        CaseEvent(
            action="terminate",
            reason="调解不成。",
            at=at(12),
            details={"route": route} if route else {},
        )
    ]
    return case


def test_outcome_documents_follow_the_outcome():
    assert result(agreed_case(), "documents") is True
    no_visit = agreed_case()
    no_visit.follow_ups = []
    assert result(no_visit, "documents") is False
    assert result(_terminated("可以向人民法院起诉。"), "documents") is True
    assert result(_terminated(""), "documents") is False  # the other routes were not told
    assert result(_rejected(), "documents") is True
    assert result(bare_case(), "documents") is False  # no outcome recorded at all


def test_terminated_case_is_judged_by_its_termination_day():
    assert result(_terminated("诉讼"), "deadline") is True
    late = _terminated("诉讼")
    late.deadline = on(5)
    assert result(late, "deadline") is False


@pytest.mark.parametrize("high, escalate", [(True, False), (False, True)])
def test_risky_case_needs_a_measure_or_a_police_report(high, escalate):
    case = agreed_case()
    case.risk_level = RiskLevel.HIGH if high else RiskLevel.MEDIUM
    case.may_escalate = escalate
    assert result(case, "risk") is False
    case.risk_measures = [RiskMeasure(measures="每日回访双方。")]
    assert result(case, "risk") is True
    case.risk_measures, case.police_reports = [], [PoliceReport(reported_to="东街派出所")]
    assert result(case, "risk") is True
    assert result(agreed_case(), "risk") is None
