"""Referred cases (诉调/警调/访调对接): the referral registered with the case, the 反馈函 on
the outcome, its sending, overdue feedback in 我的待办 and the statistics, the list per body."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from mediation.extensions import db
from mediation.models import Case, CaseEvent, EventKind, Referral, Source
from mediation.models.base import local_today
from mediation.referrals import service as referrals
from mediation.workflow import WorkflowError

from factories import make_case


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
