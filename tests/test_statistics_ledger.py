"""The statistics' ledger (reports/ledger.py): a committee's part of a report is counted once
and used again while nothing of that committee changes; any change to its cases, a transfer
out of it, or a change committed while the report was being counted makes it count again."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import Case, StatisticsPart
from mediation.models.base import local_today
from mediation.reports import service as reports
from mediation.reports.ledger import marks

from factories import make_case


def accepted(world, user="mediator1"):
    case = make_case(world[user])
    cases.apply_action(case, world[user], "accept")
    return case


@pytest.fixture
def counted(monkeypatch):
    """The committees whose figures were counted from the cases, per report built."""
    calls: list[set[int]] = []
    real = reports._tallies

    def spy(committee_ids, *args, **kwargs):
        calls[-1].update(committee_ids)
        return real(committee_ids, *args, **kwargs)

    monkeypatch.setattr(reports, "_tallies", spy)

    def build(user, unit):
        calls.append(set())
        report = reports.build_report(user, unit, reports.current_period("month"))
        return report, calls[-1]

    return build


def test_a_part_is_used_again_until_its_committee_changes(world, counted):
    east, west = world.committees["东街"], world.committees["河西"]
    accepted(world)
    accepted(world, "mediator2")
    first, recounted = counted(world["auditor0"], world.bureau)
    assert east.id in recounted and west.id in recounted
    assert first.total.accepted == 2
    assert db.session.query(StatisticsPart).count() == len(recounted)

    again, recounted = counted(world["auditor0"], world.bureau)
    assert recounted == set()  # every part kept
    assert reports._numbers(again.total) == reports._numbers(first.total)
    assert [t.accepted for _, t in again.by_unit] == [t.accepted for _, t in first.by_unit]

    case = accepted(world)  # 东街 changes; 河西 does not
    changed, recounted = counted(world["auditor0"], world.bureau)
    assert recounted == {east.id}
    assert changed.total.accepted == 3
    cases.apply_action(case, world["mediator1"], "withdraw", "申请人撤回。")
    changed, recounted = counted(world["auditor0"], world.bureau)
    assert recounted == {east.id} and changed.total.withdrawn == 1
    assert changed.total.open == 2

    case.deadline = local_today() - timedelta(days=1)  # an edit straight on the row
    db.session.commit()
    _, recounted = counted(world["auditor0"], world.bureau)
    assert recounted == {east.id}


def test_a_case_moved_to_another_committee_recounts_both(world, counted):
    east, chengguan = world.committees["东街"], world.committees["城关"]
    case = accepted(world)
    before, _ = counted(world["auditor1"], world.offices["chengguan"])
    rows = {unit.id: tally.accepted for unit, tally in before.by_unit}
    assert rows[east.id] == 1 and rows[chengguan.id] == 0

    case.committee_id = chengguan.id
    db.session.commit()
    after, recounted = counted(world["auditor1"], world.offices["chengguan"])
    assert recounted == {east.id, chengguan.id}
    rows = {unit.id: tally.accepted for unit, tally in after.by_unit}
    assert rows[east.id] == 0 and rows[chengguan.id] == 1


def test_a_change_committed_while_counting_is_counted_next_time(world, monkeypatch):
    """The mark is read before the figures: a change that commits in between leaves the part
    kept under the older mark, so it is never taken as current."""
    east = world.committees["东街"]
    accepted(world)
    other = accepted(world)
    real = reports._tallies
    done = []

    def meanwhile(committee_ids, *args, **kwargs):
        if not done:  # another request changes a case of 东街 just now
            done.append(True)
            with Session(db.engine) as session:
                case = session.get(Case, other.id)
                case.deadline = local_today() + timedelta(days=1)
                session.commit()
        return real(committee_ids, *args, **kwargs)

    monkeypatch.setattr(reports, "_tallies", meanwhile)
    month = reports.current_period("month")
    reports.build_report(world["director1"], east, month)
    monkeypatch.setattr(reports, "_tallies", real)
    kept = db.session.get(StatisticsPart, (f"report:{month.slug}:{month.as_of()}", east.id))
    db.session.refresh(kept)
    assert kept.mark < marks([east.id])[east.id]  # not current: it will be counted again

    calls = []
    monkeypatch.setattr(
        reports, "_tallies", lambda ids, *a, **k: calls.append(ids) or real(ids, *a, **k)
    )
    reports.build_report(world["director1"], east, month)
    assert calls and all(ids == [east.id] for ids in calls)
