"""The statistics are SQL aggregates over the outcome each case keeps (reports/service.py);
here they are proven equal to a straightforward recount in Python from the timeline, the
agreements and the visits (the algorithm the app used before, kept in this module as the
oracle), on a hand-made year of work: every outcome, reopened cases, overdue and extended
deadlines, visits that found terms performed or not, police reports, court confirmations,
group disputes, districts, several committees and mediators, spread over fourteen months and
counted for months, quarters and years, by the county, an office and a committee."""

import sys
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, or_, select, union

from mediation.agreements import service as agreements
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.handling.service import record_police_report
from mediation.models import (
    Agreement,
    AgreementKind,
    Case,
    CaseEvent,
    CaseMediator,
    Category,
    ConfirmationResult,
    CourtConfirmation,
    FollowUp,
    Party,
    PartyRole,
    Performance,
    PoliceReport,
    Satisfaction,
    Source,
)
from mediation.models import base as model_base
from mediation.models.base import LOCAL_TZ
from mediation.models.case import OPEN_STATUSES
from mediation.records.service import record_session
from mediation.reports import service as reports
from mediation.reports.service import Period, Tally

from factories import ID_FEMALE, ID_MALE, make_case, person
from test_documents import scan_pdf, upload

# --- A clock the services read, so a year of work can be done in one test ----------------


@contextmanager
def clock_at(moment: datetime):
    """Every module of the app that reads the time (utcnow, local_today) sees `moment`."""
    real_now, real_today = model_base.utcnow, model_base.local_today
    fake_now = lambda: moment  # noqa: E731
    fake_today = lambda: moment.astimezone(LOCAL_TZ).date()  # noqa: E731
    patched = []
    for module in list(sys.modules.values()):
        if not (getattr(module, "__name__", "") or "").startswith("mediation"):
            continue
        for name, real, fake in (("utcnow", real_now, fake_now),
                                 ("local_today", real_today, fake_today)):  # fmt: skip
            if getattr(module, name, None) is real:
                setattr(module, name, fake)
                patched.append((module, name, real))
    try:
        yield
    finally:
        for module, name, real in patched:
            setattr(module, name, real)


def moment(days_ago: int, hour: int = 10) -> datetime:
    day = model_base.local_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), LOCAL_TZ)


# --- The year of work ----------------------------------------------------------------------

# Each case: who registers it, its intake, and its history as (days ago, step).
S = Source
C = Category
HISTORIES = [
    ("mediator1", C.NEIGHBOUR, S.APPLICATION, "城关镇", [(400, "accept"), (399, "start"),
     (390, "agree"), (380, "follow:performed")]),
    ("mediator1", C.FAMILY, S.GRID_REPORT, "城关镇", [(300, "accept"), (298, "start"),
     (280, "agree"), (270, "follow:partial"), (260, "reopen"), (250, "agree"),
     (240, "follow:performed")]),
    ("mediator1", C.CONTRACT, S.COURT, "", [(200, "accept"), (195, "start"), (150, "agree"),
     (140, "follow:not_performed"), (120, "reopen"), (100, "terminate")]),
    ("mediator1", C.LABOUR, S.POLICE, "东街道", [(95, "accept"), (94, "police"),
     (90, "start"), (85, "terminate")]),
    ("mediator1", C.NEIGHBOUR, S.APPLICATION, "东街道", [(70, "accept"), (69, "withdraw")]),
    ("mediator1", C.HOUSING, S.PETITION, "城关镇", [(60, "accept"), (58, "start"),
     (50, "extend"), (20, "agree:written"), (15, "confirm"), (12, "confirmed"),
     (10, "follow:performed")]),
    ("mediator3", C.DAMAGES, S.INITIATIVE, "东街道", [(45, "accept"), (44, "start")]),
    ("mediator3", C.NEIGHBOUR, S.APPLICATION, "城关镇", [(40, "accept"), (39, "start"),
     (35, "agree"), (30, "follow:partial"), (25, "reopen")]),
    ("mediator3", C.TRAFFIC, S.DEPARTMENT, "", [(33, "accept"), (32, "police"),
     (31, "police")]),
    ("mediator1", C.NEIGHBOUR, S.APPLICATION, "城关镇", [(10, "accept"), (9, "start"),
     (5, "agree"), (2, "follow:partial"), (1, "reopen"), (1, "terminate")]),
    ("mediator1", C.MARRIAGE, S.APPLICATION, "东街道", [(3, "accept"), (2, "start"),
     (1, "withdraw")]),
    ("mediator1", C.NEIGHBOUR, S.APPLICATION, "东街道", [(0, "accept")]),
    ("mediator5", C.LAND, S.APPLICATION, "城关镇", [(380, "accept"), (379, "start"),
     (370, "agree:written"), (365, "confirm"), (360, "confirmed:rejected")]),
    ("mediator5", C.LAND, S.GRID_REPORT, "城关镇", [(100, "accept"), (99, "start"),
     (60, "agree")]),
    ("mediator5", C.OTHER, S.APPLICATION, "", [(20, "accept"), (19, "start"),
     (18, "terminate")]),
    ("mediator2", C.NEIGHBOUR, S.APPLICATION, "河西村", [(150, "accept"), (149, "start"),
     (140, "agree:written"), (130, "follow:performed"), (128, "confirm"), (120, "confirmed")]),
    ("mediator2", C.CONSUMER, S.APPLICATION, "河西村", [(35, "accept")]),
    ("mediator2", C.CONSUMER, S.APPLICATION, "河西村", [(5, "accept"), (4, "start"),
     (3, "withdraw")]),
]  # fmt: skip


def _step(world, case: Case, step: str) -> None:
    user = world.users[case.registered_by.username]
    director = world["director2" if user.org.short_name == "河西" else "director1"]
    name, _, arg = step.partition(":")
    today = model_base.local_today()
    if name in ("accept", "withdraw", "terminate", "reopen"):
        reason = {"withdraw": "申请人撤回。", "terminate": "调解不成。", "reopen": "未履行。"}
        cases.apply_action(case, user, name, reason.get(name, ""), "可以向法院起诉。")
    elif name == "start":
        cases.apply_action(case, user, "start_mediation")
    elif name == "agree":
        record_session(case, user, {
            "held_at": model_base.utcnow() - timedelta(hours=1), "place": "调解室",
            "mediators": user.name, "attendees": "双方", "course": "释法说理。",
            "result": "达成一致。",
        })  # fmt: skip
        terms = [{"obligor": "李四", "obligee": "张三", "content": "赔偿损失", "amount": 100,
                  "manner": "现金", "deadline": today + timedelta(days=5)}]  # fmt: skip
        if arg == "written":  # signed the same day, so it can go to court
            agreements.reach_agreement(case, user, AgreementKind.WRITTEN, {
                "facts": "漏水。", "disputed_points": "赔偿。", "responsibility": "李四负责。",
            }, terms)  # fmt: skip
            scan = upload(scan_pdf(1), "签字.pdf")
            agreements.confirm_signed(case, user, case.agreement, scan, True)
        else:
            agreements.reach_agreement(case, user, AgreementKind.ORAL,
                                       {"oral_content": "赔偿。"}, terms)  # fmt: skip
    elif name == "follow":
        status = Performance(arg)
        perf = {t.id: (status, "") for t in case.agreement.terms}
        satisfaction = Satisfaction.SATISFIED if status == Performance.PERFORMED else (
            Satisfaction.DISSATISFIED)  # fmt: skip
        agreements.record_follow_up(case, user, {
            "visited_on": today, "visited": "张三", "satisfaction": satisfaction,
        }, perf)  # fmt: skip
    elif name == "police":
        record_police_report(case, director, model_base.utcnow(), "东街派出所")
    elif name == "confirm":
        agreements.apply_for_confirmation(case, user, today, "示例县人民法院")
    elif name == "confirmed":
        confirmation = case.confirmations[-1]
        result = ConfirmationResult(arg) if arg else ConfirmationResult.CONFIRMED
        agreements.record_confirmation_result(
            case, user, confirmation, confirmation.version, result, today, "（2026）确1号"
        )
    elif name == "extend":
        agreements.extend_deadline(
            case, director, 20, "案情复杂。", [p.id for p in case.parties], "书面同意"
        )
    else:
        raise AssertionError(step)


@pytest.fixture
def year_of_work(world):
    made = []
    for n, (username, category, source, district, steps) in enumerate(HISTORIES):
        first_day = steps[0][0]
        with clock_at(moment(first_day, 9)):
            case = make_case(world[username], [
                person(PartyRole.APPLICANT, "张三", id_number=ID_MALE, district=district),
                person(PartyRole.RESPONDENT, "李四", id_number=ID_FEMALE),
            ], category=category, source=source, is_group=n % 4 == 1,
               registered_on=model_base.local_today())  # fmt: skip
        for i, (days_ago, step) in enumerate(steps):
            with clock_at(moment(days_ago, 10 + i)):
                _step(world, case, step)
        made.append(case)
    return made


# --- The oracle: the per-case recount the app used before the SQL aggregates ---------------


@dataclass
class _Facts:
    id: int
    committee_id: int
    category: Category
    source: Source
    is_group: bool
    accepted_on: date
    deadline: date | None
    agreed_on: date | None
    agreed_at: datetime | None
    terminated_at: datetime | None
    withdrawn_at: datetime | None
    reopened_at: datetime | None
    district: str | None
    flags: set[str] = field(default_factory=set)

    def ended_by(self, day: date) -> bool:
        ends = [at for at in (self.agreed_at, self.terminated_at, self.withdrawn_at)
                if at and _day(at) <= day]  # fmt: skip
        if not ends:
            return False
        reopened = self.reopened_at
        return not (reopened and reopened > max(ends) and _day(reopened) <= day)


def _day(moment_: datetime | None) -> date | None:
    return moment_.astimezone(LOCAL_TZ).date() if moment_ else None


def _last(action: str):
    return (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.action == action)
        .scalar_subquery()
    )


def recount(committee_ids: list[int], period: Period) -> dict[int, tuple[_Facts, list]]:
    """{case id: (facts, [(figure, n)])} for every case that can count in the period."""
    since = datetime.combine(period.start, time(), LOCAL_TZ)
    end = datetime.combine(period.end + timedelta(days=1), time(), LOCAL_TZ)
    candidates = union(
        select(Case.id).where(Case.accepted_on >= period.start),
        select(Case.id).where(Case.status.in_(OPEN_STATUSES)),
        select(CaseEvent.case_id).where(CaseEvent.at >= since),
    )
    first_agreement = (
        select(func.min(Agreement.reached_on)).where(Agreement.case_id == Case.id).scalar_subquery()
    )
    district = (
        select(Party.district)
        .where(Party.case_id == Case.id, Party.role == PartyRole.APPLICANT)
        .order_by(Party.position, Party.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Case.id, Case.committee_id, Case.category, Case.source, Case.is_group,
            Case.accepted_on, Case.deadline, first_agreement, _last("reach_agreement"),
            _last("terminate"), _last("withdraw"), _last("reopen"), district,
        ).where(
            Case.committee_id.in_(committee_ids), Case.accepted_on.is_not(None),
            Case.accepted_on <= period.end, Case.id.in_(candidates),
        )
    )  # fmt: skip
    facts = {row[0]: _Facts(*row) for row in rows}
    owned = Case.committee_id.in_(committee_ids)

    def mark(case_id: int, flag: str) -> None:
        if case_id in facts:
            facts[case_id].flags.add(flag)

    for case_id in db.session.scalars(
        select(PoliceReport.case_id)
        .join(Case)
        .where(owned, PoliceReport.reported_at >= since, PoliceReport.reported_at < end)
    ):
        mark(case_id, "police")
    latest: dict[int, FollowUp] = {}
    for visit in db.session.scalars(
        select(FollowUp).join(Case)
        .where(owned, FollowUp.visited_on.between(period.start, period.end))
        .order_by(FollowUp.visited_on, FollowUp.id)
    ):  # fmt: skip
        latest[visit.case_id] = visit
    for case_id, visit in latest.items():
        mark(case_id, "followed_up")
        if visit.performances and all(
            p.status == Performance.PERFORMED for p in visit.performances
        ):
            mark(case_id, "performed")
    for confirmation in db.session.scalars(
        select(CourtConfirmation).join(Case).where(owned, or_(
            CourtConfirmation.applied_on.between(period.start, period.end),
            CourtConfirmation.decided_on.between(period.start, period.end),
        ))
    ):  # fmt: skip
        if period.start <= confirmation.applied_on <= period.end:
            mark(confirmation.case_id, "confirm_applied")
        decided = confirmation.decided_on
        if (
            confirmation.result == ConfirmationResult.CONFIRMED
            and decided
            and (period.start <= decided <= period.end)
        ):
            mark(confirmation.case_id, "confirmed")
    as_of = period.as_of()
    return {cid: (f, _counts(f, period.start, period.end, as_of)) for cid, f in facts.items()}


def _counts(case: _Facts, first: date, last: date, as_of: date) -> list[tuple[str, int]]:
    def inside(day: date | None) -> bool:
        return day is not None and first <= day <= last

    found = [(flag, 1) for flag in case.flags]
    if inside(case.accepted_on):
        found.append(("accepted", 1))
        if case.is_group:
            found.append(("group", 1))
    concluded = None
    if inside(case.agreed_on):
        found.append(("successful", 1))
        concluded = case.agreed_on
    elif inside(_day(case.terminated_at)):
        found.append(("terminated", 1))
        concluded = _day(case.terminated_at)
    if concluded:
        found.append(("days", (concluded - case.accepted_on).days))
        if case.deadline and concluded > case.deadline:
            found.append(("overdue_concluded", 1))
    if inside(_day(case.withdrawn_at)):
        found.append(("withdrawn", 1))
    if case.accepted_on <= as_of and not case.ended_by(as_of):
        found.append(("open", 1))
        if case.deadline and case.deadline < as_of:
            found.append(("overdue_open", 1))
    return found


def _tally(counts) -> Tally:
    tally = Tally()
    for counted in counts:
        for name, n in counted:
            setattr(tally, name, getattr(tally, name) + n)
    return tally


def figures(tally: Tally) -> dict[str, int]:
    return {f.name: getattr(tally, f.name) for f in fields(Tally)}


def expected(unit, period: Period) -> dict:
    """The report's tables, recounted case by case."""
    committees = [c for c in _committees(unit)]
    found = recount([c.id for c in committees], period)
    children = [unit] if unit.is_committee else sorted(unit.children, key=lambda o: o.path)

    def under(child, committee_id: int) -> bool:
        owner = next(c for c in committees if c.id == committee_id)
        return owner.path.startswith(child.path)

    groups: dict = defaultdict(lambda: defaultdict(list))
    for facts, counts in found.values():
        groups["total"][None].append(counts)
        groups["category"][facts.category].append(counts)
        groups["source"][facts.source].append(counts)
        groups["district"][facts.district or reports.NO_DISTRICT].append(counts)
        for child in children:
            if under(child, facts.committee_id):
                groups["unit"][child.id].append(counts)
    for case_id, user_id in db.session.execute(
        select(CaseMediator.case_id, CaseMediator.user_id).where(CaseMediator.removed_at.is_(None))
    ):
        if case_id in found:
            groups["mediator"][user_id].append(found[case_id][1])
    tables = {name: {k: figures(_tally(v)) for k, v in g.items()} for name, g in groups.items()}
    for name in ("category", "source", "district"):
        tables.setdefault(name, {})
    tables["total"] = {None: tables.get("total", {}).get(None, figures(Tally()))}
    tables["unit"] = {c.id: tables.get("unit", {}).get(c.id, figures(Tally())) for c in children}
    tables["mediator"] = outcome_only({
        k: v for k, v in tables.get("mediator", {}).items()
        if v["accepted"] or v["successful"] or v["terminated"] or v["open"] or v["withdrawn"]
    })  # fmt: skip
    tables["district"] = outcome_only(tables["district"])
    return tables


def _committees(unit):
    from mediation import access

    return list(db.session.scalars(access.committees_under(unit)))


def outcome_only(table: dict) -> dict:
    """The district and mediator tables show the outcome figures, not the period's activity;
    a row whose outcome figures are all nought is a row of activity only."""
    kept = {}
    for key, found in table.items():
        found = {k: v for k, v in found.items() if k not in reports.FLAGS}
        if any(found.values()):
            kept[key] = found
    return kept


def shown(report) -> dict:
    return {
        "total": {None: figures(report.total)},
        "unit": {u.id: figures(t) for u, t in report.by_unit},
        "category": {c: figures(t) for c, t in report.by_category},
        "source": {s: figures(t) for s, t in report.by_source},
        "district": outcome_only({d: figures(t) for d, t in report.by_district}),
        "mediator": outcome_only({u.id: figures(t) for u, _, t in report.by_mediator}),
    }


def periods() -> list[Period]:
    today = model_base.local_today()
    month = Period("month", today.year, today.month)
    quarter = Period("quarter", today.year, (today.month + 2) // 3)
    found = [month, quarter, Period("year", today.year), Period("year", today.year - 1)]
    day = month.start
    for _ in range(13):  # every month back to the first case's
        day = day.replace(day=1) - timedelta(days=1)
        found.append(Period("month", day.year, day.month))
    for _ in range(4):  # and every quarter
        day = found[-1].start - timedelta(days=1) if found[-1].kind == "quarter" else (
            quarter.start - timedelta(days=1))  # fmt: skip
        found.append(Period("quarter", day.year, (day.month + 2) // 3))
    return found


def test_the_sql_figures_equal_a_recount_case_by_case(world, year_of_work):
    # The data set has every outcome in it, so an equality is not one of empty tables.
    statuses = {c.status for c in year_of_work}
    assert {"agreed", "followed_up", "terminated", "withdrawn", "mediating", "accepted"} <= {
        s.value for s in statuses
    }
    auditor = world["auditor0"]
    units = [world.bureau, world.offices["chengguan"], world.committees["东街"]]
    seen = Tally()
    for period in periods():
        for unit in units:
            report = reports.build_report(auditor, unit, period)
            assert shown(report) == expected(unit, period), (unit.name, period.label)
            if unit is world.bureau:
                for name in figures(seen):
                    setattr(seen, name, getattr(seen, name) + getattr(report.total, name))
    # Over all the periods, every figure was counted somewhere.
    assert all(figures(seen).values()), figures(seen)


# --- 考核 (oversight/assessment.py), recounted the same way -------------------------------


def assessment_recount(unit, period: Period) -> tuple[dict, dict]:
    """{committee id: figures}, {mediator id: figures}, case by case from the timeline."""
    from mediation.models import CaseReview, ReviewStatus

    ids = [c.id for c in _committees(unit)]
    in_scope = (
        Case.committee_id.in_(ids),
        Case.accepted_on.is_not(None),
        Case.accepted_on <= period.end,
    )
    first_agreement = (
        select(func.min(Agreement.reached_on)).where(Agreement.case_id == Case.id)
    ).scalar_subquery()
    rows = db.session.execute(
        select(Case.id, Case.committee_id, Case.accepted_on, Case.deadline, first_agreement,
               _last("terminate"), CaseReview.status)
        .outerjoin(CaseReview, CaseReview.case_id == Case.id)
        .where(*in_scope)
    ).all()  # fmt: skip
    latest: dict[int, FollowUp] = {}
    for visit in db.session.scalars(
        select(FollowUp).join(Case).where(*in_scope).order_by(FollowUp.visited_on, FollowUp.id)
    ):
        latest[visit.case_id] = visit

    def inside(day):
        return day is not None and period.start <= day <= period.end

    def counts(row) -> list[str]:
        _, _, accepted_on, deadline, agreed_on, terminated_at, review = row
        found = ["accepted"] if inside(accepted_on) else []
        concluded = agreed_on if inside(agreed_on) else None
        if concluded is None and agreed_on is None and inside(_day(terminated_at)):
            concluded = _day(terminated_at)
        if concluded is None:
            return found
        found.append("concluded")
        if deadline is None or concluded <= deadline:
            found.append("on_time")
        visit = latest.get(row[0])
        if concluded == agreed_on:
            found.append("successful")
            if visit is not None:
                found.append("followed_up")
                if visit.performances and all(
                    p.status == Performance.PERFORMED for p in visit.performances
                ):
                    found.append("performed")
                if visit.satisfaction in (Satisfaction.SATISFIED, Satisfaction.MOSTLY):
                    found.append("satisfied")
        if review is not None:
            found.append("reviewed")
            found.append(
                {ReviewStatus.PASSED: "passed", ReviewStatus.BASIC: "basic"}.get(review, "returned")
            )
        return found

    found = {row[0]: counts(row) for row in rows}
    by_committee: dict = {cid: defaultdict(int) for cid in ids}
    for row in rows:
        for name in found[row[0]]:
            by_committee[row[1]][name] += 1
    by_mediator: dict = defaultdict(lambda: defaultdict(int))
    for case_id, user_id in db.session.execute(
        select(CaseMediator.case_id, CaseMediator.user_id)
        .join(Case)
        .where(*in_scope, CaseMediator.removed_at.is_(None))
    ):
        for name in found[case_id]:
            by_mediator[user_id][name] += 1
    by_mediator = {k: v for k, v in by_mediator.items() if v["accepted"] or v["concluded"]}
    return by_committee, by_mediator


def scored(score) -> dict[str, int]:
    from mediation.oversight.assessment import Score

    return {f.name: getattr(score, f.name) for f in fields(Score)}


def test_the_assessment_equals_a_recount_case_by_case(world, year_of_work):
    from mediation.models import Verdict
    from mediation.oversight import assessment
    from mediation.oversight import service as oversight

    # Reviews of some of the files: closed ones are reviewed; the verdict is what counts.
    closable = [c for c in year_of_work if c.status.value in ("followed_up", "terminated")]
    director, auditor = world["director1"], world["auditor0"]
    verdicts = [Verdict.PASSED, Verdict.BASIC, Verdict.RETURNED]
    for n, case in enumerate(c for c in closable if c.committee.short_name == "东街"):
        try:
            cases.apply_action(case, director, "close")
        except Exception:  # a file the checklist finds incomplete stays open: not reviewed
            db.session.rollback()
            continue
        oversight.give_verdict(case, auditor, verdicts[n % 3], "意见。", {}, 0)
    seen = defaultdict(int)
    for period in periods():
        for unit in (world.bureau, world.offices["chengguan"]):
            found = assessment.build(auditor, unit, period)
            committees, mediators = assessment_recount(unit, period)
            assert {org.id: scored(s) for _, org, s in found.committees} == {
                cid: scored(assessment.Score(**f)) for cid, f in committees.items()
            }, (unit.name, period.label)
            assert {u.id: scored(s) for _, u, _, s in found.mediators} == {
                uid: scored(assessment.Score(**f)) for uid, f in mediators.items()
            }, (unit.name, period.label)
            for _, _, score in found.committees:
                for name, n in scored(score).items():
                    seen[name] += n
    assert all(seen[name] for name in scored(assessment.Score())), dict(seen)
