"""Statistics the justice office reads (DOMAIN §5): for a month, quarter or year and a unit of
the organisation tree, what was accepted and concluded, how, how fast, and by whom.

What each figure counts (the definitions are printed under the report too):
- 受理: cases accepted in the period.
- 调解成功: cases whose first agreement was reached in the period; 调解终止: cases whose
  mediation was terminated in the period; 调结 is the two together, and the success rate is
  成功 / 调结. 撤回 (withdrawn after acceptance) is counted apart from 调结.
- 平均办结天数: from acceptance to agreement or termination, over the cases concluded.
- 超期办结: concluded in the period after the deadline. 超期未结: still open at the end of the
  period (or today, for the running period) and past the deadline; a case reopened after
  its agreement (重新调解) is open again.
- 协议履行: cases whose latest follow-up in the period found every term performed.
- 司法确认: applications made in the period, and confirmations the court decided in it.
- 报告公安: cases reported to the police in the period; 群体性: group disputes accepted.
Cases count for the committee that owns them, so a jointly handled case is counted once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import selectinload

from mediation import access
from mediation.extensions import db
from mediation.grid.service import ScreeningCount, screening_counts
from mediation.models import (
    Agreement,
    Case,
    CaseEvent,
    CaseMediator,
    Category,
    ConfirmationResult,
    CourtConfirmation,
    FollowUp,
    Org,
    OrgKind,
    Party,
    PartyRole,
    Performance,
    PoliceReport,
    Source,
    User,
)
from mediation.models.base import LOCAL_TZ, local_today
from mediation.models.case import OPEN_STATUSES
from mediation.referrals.service import FeedbackCount, feedback_counts
from mediation.workflow import WorkflowError

KINDS = {"month": "月", "quarter": "季度", "year": "年"}


# --- The period -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    year: int
    number: int = 1  # the month (1-12) or the quarter (1-4); 1 for a year

    @property
    def start(self) -> date:
        month = {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The period's last day."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        month = self.start.month - 1 + months
        return date(self.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年第{self.number}季度"
        return f"{self.year}年"

    @property
    def slug(self) -> str:
        return {"month": f"{self.year}-{self.number:02d}", "quarter": f"{self.year}-Q{self.number}",
                "year": str(self.year)}[self.kind]  # fmt: skip

    def as_of(self) -> date:
        """The day open cases are judged on: the period's end, or today while it runs."""
        return min(self.end, local_today())


def make_period(kind: str, year: int, month: int | None = None, quarter: int | None = None
                ) -> Period:  # fmt: skip
    """The period asked for (the month or the quarter counts only for its kind), or a
    WorkflowError naming the field that is wrong."""
    if kind not in KINDS:
        raise WorkflowError("请选择统计周期：月、季度或年。", status=400, field="kind")
    today = local_today()
    if not 2000 <= year <= today.year:
        raise WorkflowError(f"年份应在2000年至{today.year}年之间。", status=400, field="year")
    number = {"month": month, "quarter": quarter}.get(kind, 1)
    limit = {"month": 12, "quarter": 4, "year": 1}[kind]
    if number is None or not 1 <= number <= limit:
        raise WorkflowError(f"请选择{'月份' if kind == 'month' else '季度'}。", status=400,
                            field=kind)  # fmt: skip
    period = Period(kind, year, number)
    if period.start > today:
        raise WorkflowError("所选期间尚未开始。", status=400, field=kind)
    return period


def current_period(kind: str = "month") -> Period:
    today = local_today()
    number = {"month": today.month, "quarter": (today.month + 2) // 3, "year": 1}[kind]
    return Period(kind, today.year, number)


# --- Which unit --------------------------------------------------------------------------


def unit_or_404(user: User, org_id: int | None) -> Org:
    """The unit asked for among those the user may read (access.statistics_units); their
    own when none is asked for."""
    units = access.statistics_units(user)
    if not units:
        raise WorkflowError("您的账户不能查看统计。", status=403)
    for unit in units:
        if org_id is None or unit.id == org_id:
            return unit
    raise WorkflowError("没有这个单位，或不在您的统计范围内。", status=404, field="org")


# --- The figures ------------------------------------------------------------------------


@dataclass
class Tally:
    accepted: int = 0
    successful: int = 0
    terminated: int = 0
    withdrawn: int = 0
    days: int = 0  # summed over the concluded cases, for the average
    overdue_concluded: int = 0
    overdue_open: int = 0
    open: int = 0
    group: int = 0
    police: int = 0
    followed_up: int = 0
    performed: int = 0
    confirm_applied: int = 0
    confirmed: int = 0

    @property
    def concluded(self) -> int:
        return self.successful + self.terminated

    @property
    def success_rate(self) -> float | None:
        return self.successful / self.concluded if self.concluded else None

    @property
    def average_days(self) -> float | None:
        return self.days / self.concluded if self.concluded else None


# The columns of the report, in order: (Tally attribute, heading, how it is written).
COLUMNS = [
    ("accepted", "受理", "count"), ("concluded", "调结", "count"),
    ("successful", "调解成功", "count"), ("success_rate", "成功率", "rate"),
    ("terminated", "调解终止", "count"), ("withdrawn", "撤回", "count"),
    ("average_days", "平均办结天数", "days"), ("overdue_concluded", "超期办结", "count"),
    ("open", "在办", "count"), ("overdue_open", "超期未结", "count"),
    ("group", "群体性纠纷", "count"), ("police", "报告公安", "count"),
    ("followed_up", "回访", "count"), ("performed", "协议履行", "count"),
    ("confirm_applied", "申请司法确认", "count"), ("confirmed", "确认有效", "count"),
]  # fmt: skip
# The narrower tables: by category and source, and per mediator.
BREAKDOWN = ["accepted", "concluded", "successful", "success_rate", "average_days"]
MEDIATOR = ["accepted", "concluded", "successful", "success_rate", "average_days", "open",
            "overdue_open"]  # fmt: skip


def columns(names: list[str] | None = None) -> list[tuple[str, str, str]]:
    return [c for c in COLUMNS if names is None or c[0] in names]


def written(value: float | None, how: str) -> str:
    """A figure as the report prints it: a rate in per cent, days to one decimal."""
    if value is None:
        return "—"
    if how == "rate":
        return f"{value * 100:.1f}%"
    if how == "days":
        return f"{value:.1f}"
    return str(value)


@dataclass
class Report:
    unit: Org
    period: Period
    as_of: date
    total: Tally
    by_unit: list[tuple[Org, Tally]]
    by_category: list[tuple[Category, Tally]]
    by_source: list[tuple[Source, Tally]]
    by_mediator: list[tuple[User, Org, Tally]]
    # Rule 3: where the applicants live (住所地), so the committee's competence can be read.
    by_district: list[tuple[str, Tally]] = field(default_factory=list)


@dataclass
class _Facts:
    """One case, as the statistics see it."""

    id: int
    committee_id: int
    category: Category
    source: Source
    is_group: bool
    accepted_on: date
    deadline: date | None
    agreed_on: date | None  # the first agreement: the day the case counts as successful
    # The last time each of these happened; their order matters within a day.
    agreed_at: datetime | None
    terminated_at: datetime | None
    withdrawn_at: datetime | None
    reopened_at: datetime | None  # the last 重新调解, which undoes the agreement's ending
    district: str | None  # the first applicant's 住所地 (rule 3)
    flags: set[str] = field(default_factory=set)  # police, followed_up, performed, ...

    @property
    def terminated_on(self) -> date | None:
        return _local_day(self.terminated_at)

    @property
    def withdrawn_on(self) -> date | None:
        return _local_day(self.withdrawn_at)

    @property
    def concluded_on(self) -> date | None:
        return self.agreed_on or self.terminated_on

    def ended_by(self, day: date) -> bool:
        """Whether the case had ended (agreed, terminated or withdrawn) by the end of that day
        and had not been reopened after its last ending."""
        ends = [at for at in (self.agreed_at, self.terminated_at, self.withdrawn_at)
                if at and _local_day(at) <= day]  # fmt: skip
        if not ends:
            return False
        reopened = self.reopened_at
        return not (reopened and reopened > max(ends) and _local_day(reopened) <= day)


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time(), LOCAL_TZ)
    return start, datetime.combine(period.end + timedelta(days=1), time(), LOCAL_TZ)


def _last_event(action: str):
    return (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.action == action)
        .scalar_subquery()
    )


# How a case whose applicant's district was not recorded shows in the breakdown.
NO_DISTRICT = "未填写住所地"


def _facts(committee_ids: list[int], period: Period) -> dict[int, _Facts]:
    """The facts of every case that can count in the period: accepted in it, open now (so
    perhaps open at its end), or with something on its timeline since it began (agreed,
    terminated, withdrawn, reopened, followed up, reported, confirmed). A case accepted
    before the period that has been ended and untouched since adds nothing to any figure, so
    a year's report reads the year's cases, not the county's whole history."""
    since, _ = _utc_bounds(period)
    # One set of ids joined once (a semi-join), not an OR per row: at a million cases the
    # events since a year began do not fit a hashed subplan, and PostgreSQL then rescans them
    # for every case (seen in EXPLAIN, bench/run.py).
    candidates = union(
        select(Case.id).where(Case.accepted_on >= period.start),
        select(Case.id).where(Case.status.in_(OPEN_STATUSES)),
        select(CaseEvent.case_id).where(CaseEvent.at >= since),
    )
    first_agreement = (
        select(func.min(Agreement.reached_on)).where(Agreement.case_id == Case.id).scalar_subquery()
    )
    applicant_district = (
        select(Party.district)
        .where(Party.case_id == Case.id, Party.role == PartyRole.APPLICANT)
        .order_by(Party.position, Party.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Case.id, Case.committee_id, Case.category, Case.source, Case.is_group,
            Case.accepted_on, Case.deadline, first_agreement, _last_event("reach_agreement"),
            _last_event("terminate"), _last_event("withdraw"), _last_event("reopen"),
            applicant_district,
        ).where(
            Case.committee_id.in_(committee_ids), Case.accepted_on.is_not(None),
            Case.accepted_on <= period.end,
            Case.id.in_(candidates),
        )
    )  # fmt: skip
    return {row[0]: _Facts(*row) for row in rows}


def _flag_activity(facts: dict[int, _Facts], committee_ids: list[int], period: Period) -> None:
    """Mark what happened to each case in the period beyond its acceptance and conclusion.
    Each query is bounded by the committees and the period, not by a list of case ids."""
    start, end = _utc_bounds(period)
    owned = Case.committee_id.in_(committee_ids)

    def mark(case_id: int, flag: str) -> None:
        if case_id in facts:  # a case accepted after the period has nothing to count here
            facts[case_id].flags.add(flag)

    for case_id in db.session.scalars(
        select(PoliceReport.case_id)
        .join(Case)
        .where(owned, PoliceReport.reported_at >= start, PoliceReport.reported_at < end)
    ):
        mark(case_id, "police")
    latest: dict[int, FollowUp] = {}
    for visit in db.session.scalars(
        select(FollowUp).join(Case).options(selectinload(FollowUp.performances))
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


def _counts(case: _Facts, first: date, last: date, as_of: date) -> list[tuple[str, int]]:
    """What one case adds to each figure it counts in, for the period first..last: worked
    out once per case, then added to every table the case appears in."""

    def inside(day: date | None) -> bool:
        return day is not None and first <= day <= last

    found = [(flag, 1) for flag in case.flags]
    if inside(case.accepted_on):
        found.append(("accepted", 1))
        if case.is_group:
            found.append(("group", 1))
    concluded = None  # the day it was concluded, when that falls in the period
    if inside(case.agreed_on):
        found.append(("successful", 1))
        concluded = case.agreed_on
    elif inside(case.terminated_on):  # also a case agreed before, reopened and terminated now
        found.append(("terminated", 1))
        concluded = case.terminated_on
    if concluded:
        found.append(("days", (concluded - case.accepted_on).days))
        if case.deadline and concluded > case.deadline:
            found.append(("overdue_concluded", 1))
    if inside(case.withdrawn_on):
        found.append(("withdrawn", 1))
    if case.accepted_on <= as_of and not case.ended_by(as_of):
        found.append(("open", 1))
        if case.deadline and case.deadline < as_of:
            found.append(("overdue_open", 1))
    return found


def _add(tally: Tally, counts: list[tuple[str, int]]) -> None:
    for name, n in counts:
        setattr(tally, name, getattr(tally, name) + n)


def build_report(user: User, unit: Org, period: Period) -> Report:
    """Every figure of DOMAIN §5 for the unit (one the user may read) and the period."""
    if unit not in access.statistics_units(user):
        raise WorkflowError("没有这个单位，或不在您的统计范围内。", status=404, field="org")
    committees = list(db.session.scalars(access.committees_under(unit)))
    as_of = period.as_of()
    committee_ids = [c.id for c in committees]
    facts = _facts(committee_ids, period)
    _flag_activity(facts, committee_ids, period)

    # The rows one level down: each child unit counts the committees below it.
    children = [unit] if unit.kind == OrgKind.COMMITTEE else sorted(
        unit.children, key=lambda o: o.path
    )  # fmt: skip
    row_of = {}
    for committee in committees:
        for child in children:
            if committee.path.startswith(child.path):
                row_of[committee.id] = child
    total = Tally()
    by_unit = {child.id: Tally() for child in children}
    by_category: dict[Category, Tally] = defaultdict(Tally)
    by_source: dict[Source, Tally] = defaultdict(Tally)
    by_district: dict[str, Tally] = defaultdict(Tally)
    counts: dict[int, list[tuple[str, int]]] = {}
    first, last = period.start, period.end  # worked out once, not per case
    # Cases that add the same to the same rows are added once, times their number: a
    # county's year has hundreds of thousands of cases but far fewer distinct contributions.
    alike: Counter = Counter()
    for case in facts.values():
        counts[case.id] = found = _counts(case, first, last, as_of)
        row = row_of[case.committee_id].id if case.committee_id in row_of else None
        alike[row, case.category, case.source, case.district, tuple(found)] += 1
    for (row, category, source, district, found), times in alike.items():
        found = [(name, n * times) for name, n in found]
        _add(total, found)
        if row is not None:
            _add(by_unit[row], found)
        _add(by_category[category], found)
        _add(by_source[source], found)
        _add(by_district[district or NO_DISTRICT], found)
    return Report(
        unit=unit, period=period, as_of=as_of, total=total,
        by_unit=[(child, by_unit[child.id]) for child in children],
        by_category=[(c, by_category[c]) for c in Category if c in by_category],
        by_source=[(s, by_source[s]) for s in Source if s in by_source],
        by_mediator=_by_mediator(counts, committee_ids),
        by_district=sorted(by_district.items(), key=lambda item: (item[0] == NO_DISTRICT, item[0])),
    )  # fmt: skip


def _by_mediator(counts, committee_ids) -> list[tuple[User, Org, Tally]]:
    """Each mediator's cases (as a handler, not removed): new, concluded, open, overdue."""
    assigned = db.session.execute(
        select(CaseMediator.case_id, CaseMediator.user_id)
        .join(Case)
        .where(Case.committee_id.in_(committee_ids), CaseMediator.removed_at.is_(None))
    ).all()
    tallies: dict[int, Tally] = defaultdict(Tally)
    for case_id, user_id in assigned:
        if case_id in counts:
            _add(tallies[user_id], counts[case_id])
    users = db.session.scalars(select(User).where(User.id.in_(list(tallies))))
    rows = [(user, user.org, tallies[user.id]) for user in users]
    rows = [r for r in rows if r[2].accepted or r[2].concluded or r[2].open or r[2].withdrawn]
    return sorted(rows, key=lambda r: (r[1].path, -r[2].concluded, r[0].name))


def trend(unit: Org, period: Period, months: int = 12) -> list[tuple[Period, int]]:
    """Cases accepted (counted as 受理 is) in each of the twelve months that end with the
    period's last month, oldest first."""
    year, number = period.end.year, period.end.month
    series = []
    for _ in range(months):
        series.append(Period("month", year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    series.reverse()
    rows = db.session.execute(
        select(Case.accepted_on, func.count())
        .where(
            Case.committee_id.in_(access.committees_in_unit(unit)),
            Case.accepted_on.between(series[0].start, series[-1].end),
        )
        .group_by(Case.accepted_on)
    )
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for day, n in rows:
        counts[day.year, day.month] += n
    return [(month, counts[month.year, month.number]) for month in series]


# --- Grid 排查 (a section of its own; grid.service counts) -----------------------------------


def grid_screening(unit: Org, period: Period) -> list[ScreeningCount]:
    """排查 per grid worker and grid in the period, for the committees at or below the unit:
    disputes reported, 零上报, reports turned into cases, reports resolved on the spot
    (counted by the day they were filed, see grid.service.screening_counts)."""
    ids = list(db.session.scalars(access.committees_under(unit).with_only_columns(Org.id)))
    return screening_counts(ids, period.start, period.end)


def referral_feedback(unit: Org, period: Period) -> list[FeedbackCount]:
    """Cases referred in the period (by the referral date) to the committees at or below the
    unit, per kind of referring body: how many ended, were fed back, and whose feedback is
    overdue at the period's end (today, while it runs). See referrals.service.feedback_counts."""
    return feedback_counts(unit, period.start, period.end, period.as_of())
