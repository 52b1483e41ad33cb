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

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from mediation import access
from mediation.extensions import db
from mediation.grid.service import ScreeningCount, screening_counts
from mediation.models import (
    Case,
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
    TermPerformance,
    User,
)
from mediation.models.base import LOCAL_TZ, local_today
from mediation.models.case import OPEN_STATUSES
from mediation.referrals.service import FeedbackCount, feedback_counts
from mediation.reports import ledger
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


def cells(tally: Tally, names: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """A table row's figures as (heading, text), for the columns given (see columns())."""
    return [(label, written(getattr(tally, attr), how)) for attr, label, how in names]


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
    # Per mediator and per district the tables show BREAKDOWN and MEDIATOR: their tallies
    # carry the outcome figures only, not the period's activity (police, visits, court).
    by_mediator: list[tuple[Person, Org, Tally]]
    # Rule 3: where the applicants live (住所地), so the committee's competence can be read.
    by_district: list[tuple[str, Tally]] = field(default_factory=list)


# How a case whose applicant's district was not recorded shows in the breakdown.
NO_DISTRICT = "未填写住所地"
# What each figure adds per case: the counts, and the days from acceptance to conclusion.
COUNTED = ["accepted", "group", "successful", "terminated", "days", "overdue_concluded",
           "withdrawn", "open", "overdue_open"]  # fmt: skip
# What happened to a case in the period beyond its outcome (each counted once per case).
FLAGS = ["police", "followed_up", "performed", "confirm_applied", "confirmed"]


# --- Dates in SQL, the same on PostgreSQL and SQLite ------------------------------------------


class local_date(FunctionElement):
    """The Beijing calendar day of a stored UTC moment."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    return f"CAST(timezone('{LOCAL_TZ.key}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # SQLite keeps naive UTC text; Beijing has kept UTC+8 without summer time since 1991.
    hours = int(LOCAL_TZ.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)
    return f"date({compiler.process(element.clauses, **kw)}, '+{hours} hours')"


class days_between(FunctionElement):
    """Whole days from the second date to the first."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _day_ends(day: date) -> datetime:
    """The moment (aware) a Beijing day ends: before it, a stored time falls on that day or
    earlier."""
    return datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    return datetime.combine(period.start, time(), LOCAL_TZ), _day_ends(period.end)


# --- The figures, as SQL over the outcome each case keeps (Case.agreed_on ...) --------------


def _figures(period: Period, as_of: date) -> dict[str, ColumnElement]:
    """Each figure of COUNTED as what one case adds to it: a condition (it counts one) or,
    for `days`, a number. The rules, stated once:
    - 调解成功 in the period when the first agreement's day is in it; else 调解终止 when the
      last termination is (also a case agreed before, reopened and terminated now);
    - 办结天数 from acceptance to that day; 超期办结 when that day is after the deadline;
    - 在办 on the day counted to (as_of): accepted by then, and not ended by its end, where
      ended means agreed, terminated or withdrawn by then and not reopened after the last of
      those."""
    start, end = utc_bounds(period)
    first, last = period.start, period.end

    def within(moment) -> ColumnElement:
        return and_(moment.is_not(None), moment >= start, moment < end)

    accepted = Case.accepted_on.between(first, last)
    agreed = and_(Case.agreed_on.is_not(None), Case.agreed_on.between(first, last))
    terminated = and_(~agreed, within(Case.terminated_at))
    concluded_on = case((agreed, Case.agreed_on), else_=local_date(Case.terminated_at))
    concluded = or_(agreed, terminated)

    limit = _day_ends(as_of)

    def by_then(moment) -> ColumnElement:
        return and_(moment.is_not(None), moment < limit)

    ends = (Case.agreed_at, Case.terminated_at, Case.withdrawn_at)
    reopened_after = and_(
        by_then(Case.reopened_at), *[or_(~by_then(e), Case.reopened_at > e) for e in ends]
    )
    ended = and_(or_(*[by_then(e) for e in ends]), ~reopened_after)
    is_open = and_(Case.accepted_on <= as_of, ~ended)
    return {
        "accepted": accepted,
        "group": and_(accepted, Case.is_group.is_(True)),
        "successful": agreed,
        "terminated": terminated,
        "days": case((concluded, days_between(concluded_on, Case.accepted_on)), else_=0),
        "overdue_concluded": and_(
            concluded, Case.deadline.is_not(None), concluded_on > Case.deadline
        ),
        "withdrawn": within(Case.withdrawn_at),
        "open": is_open,
        "overdue_open": and_(is_open, Case.deadline.is_not(None), Case.deadline < as_of),
    }


def _counting(committee_ids: list[int], period: Period) -> list[ColumnElement]:
    """The cases a figure can count: accepted by the period's end, and accepted in it, open
    now (so perhaps open at its end) or with an outcome since it began. A case accepted before
    that has ended and stayed ended adds nothing, so a year's report reads the year's cases,
    not the county's whole history (indexes: ix_cases_accepted, ix_cases_outcome_at)."""
    since, _ = utc_bounds(period)
    return [
        Case.committee_id.in_(committee_ids),
        Case.accepted_on.is_not(None),
        Case.accepted_on <= period.end,
        or_(
            Case.accepted_on >= period.start,
            Case.status.in_(OPEN_STATUSES),
            Case.outcome_at >= since,
        ),
    ]


def _activity(period: Period, cases) -> Subquery:
    """(case id, flag) for what happened in the period to the cases `cases` (a select of
    ids) beyond their outcome: 报告公安, 回访 (and 协议履行: the latest visit of the period
    found every term performed), 申请司法确认 and 确认有效. Each pair once. Each part asks
    only for those cases, so one committee's figures read one committee's visits."""
    start, end = utc_bounds(period)
    first, last = period.start, period.end
    in_period = and_(FollowUp.visited_on.between(first, last), FollowUp.case_id.in_(cases))
    later = aliased(FollowUp)
    # The latest visit of the period: none later in it (by day, then as recorded). An
    # anti-join rather than a window, so the planner sees how many there are.
    latest = ~(
        select(later.id)
        .where(
            later.case_id == FollowUp.case_id,
            later.visited_on.between(first, last),
            or_(
                later.visited_on > FollowUp.visited_on,
                and_(later.visited_on == FollowUp.visited_on, later.id > FollowUp.id),
            ),
        )
        .exists()
    )
    terms = select(TermPerformance.id).where(TermPerformance.follow_up_id == FollowUp.id)
    all_performed = and_(
        terms.exists(), ~terms.where(TermPerformance.status != Performance.PERFORMED).exists()
    )
    return union(
        select(PoliceReport.case_id, literal("police").label("flag")).where(
            PoliceReport.reported_at >= start,
            PoliceReport.reported_at < end,
            PoliceReport.case_id.in_(cases),
        ),
        select(FollowUp.case_id, literal("followed_up")).where(in_period),
        select(FollowUp.case_id, literal("performed")).where(in_period, latest, all_performed),
        select(CourtConfirmation.case_id, literal("confirm_applied")).where(
            CourtConfirmation.applied_on.between(first, last),
            CourtConfirmation.case_id.in_(cases),
        ),
        select(CourtConfirmation.case_id, literal("confirmed")).where(
            CourtConfirmation.result == ConfirmationResult.CONFIRMED,
            CourtConfirmation.decided_on.between(first, last),
            CourtConfirmation.case_id.in_(cases),
        ),
    ).subquery("activity")


def _first_applicant_district(conditions) -> Subquery:
    """The first applicant (by position) of each case meeting the conditions, and their
    住所地 (rule 3). The conditions are applied inside, so only those cases' parties are
    ranked, not every party of the county's history."""
    ranked = (
        select(
            Party.case_id,
            Party.district,
            func.row_number()
            .over(partition_by=Party.case_id, order_by=(Party.position, Party.id))
            .label("n"),
        )
        .join(Case, Case.id == Party.case_id)
        .where(Party.role == PartyRole.APPLICANT, *conditions)
    )
    ranked = ranked.subquery()
    return select(ranked.c.case_id, ranked.c.district).where(ranked.c.n == 1).subquery("first")


def _tallies(
    committee_ids: list[int], period: Period, as_of: date, grouping, activity: bool = True
) -> dict:
    """The figures per group: one GROUP BY with a count per figure over the cases that can
    count, and one over what happened to them in the period. `grouping(conditions)` gives
    the group's columns and how to join what they come from (or None), for the cases meeting
    the conditions."""
    figures = _figures(period, as_of)
    aggregates = [
        func.coalesce(func.sum(expr), 0) if name == "days" else func.count().filter(expr)
        for name, expr in figures.items()
    ]
    counting = _counting(committee_ids, period)
    keys, join = grouping(counting)
    query = select(*keys, *aggregates).select_from(Case)
    if join is not None:
        query = join(query)
    tallies: dict[tuple, Tally] = defaultdict(Tally)
    for row in db.session.execute(query.where(*counting).group_by(*keys)):
        key, values = tuple(row[: len(keys)]), row[len(keys) :]
        tally = tallies[key]
        for name, value in zip(figures, values, strict=True):
            setattr(tally, name, getattr(tally, name) + int(value))
    if not activity:
        return tallies
    active = [
        Case.committee_id.in_(committee_ids),
        Case.accepted_on.is_not(None),
        Case.accepted_on <= period.end,
    ]
    activity = _activity(period, select(Case.id).where(*active))
    keys, join = grouping([*active, Case.id.in_(select(activity.c.case_id))])
    flags = select(*keys, activity.c.flag, func.count()).select_from(Case)
    if join is not None:
        flags = join(flags)
    flags = flags.join(activity, activity.c.case_id == Case.id).where(*active)
    for row in db.session.execute(flags.group_by(*keys, activity.c.flag)):
        key, flag, n = tuple(row[: len(keys)]), row[-2], row[-1]
        setattr(tallies[key], flag, getattr(tallies[key], flag) + n)
    return tallies


FIGURES = [*COUNTED, *FLAGS]  # a tally as a list of numbers in the ledger, in this order


def _numbers(tally: Tally) -> list[int]:
    return [getattr(tally, name) for name in FIGURES]


def _tally(numbers: list[int]) -> Tally:
    return Tally(**dict(zip(FIGURES, numbers, strict=True)))


def _summed(rows) -> list[int]:
    """The sum of lists of numbers of equal length."""
    total = [0] * len(FIGURES)
    for numbers in rows:
        total[:] = map(operator.add, total, numbers)
    return total


def _committee_parts(period: Period, as_of: date):
    """What the ledger keeps per committee for the report (see reports/ledger.py): the
    committee's tally, its tallies by category and by source, by the first applicant's
    district and by mediator (user id), as lists of numbers (FIGURES)."""

    def compute(committee_ids: list[int]) -> dict[int, dict]:
        parts: dict[int, dict] = defaultdict(
            lambda: {"total": [0] * len(FIGURES), "category": {}, "source": {},
                     "district": {}, "mediator": {}}
        )  # fmt: skip
        keys = [Case.committee_id, Case.category, Case.source]
        grouped = _tallies(committee_ids, period, as_of, lambda _: (keys, None))
        for (committee_id, category, source), tally in grouped.items():
            part, numbers = parts[committee_id], _numbers(tally)
            part["total"][:] = map(operator.add, part["total"], numbers)
            for table, name in (("category", category.value), ("source", source.value)):
                part[table][name] = _summed([part[table].get(name, [0] * len(FIGURES)),
                                             numbers])  # fmt: skip
        for (committee_id, district), tally in _by_district(committee_ids, period, as_of).items():
            parts[committee_id]["district"][district] = _numbers(tally)
        for (committee_id, user_id), tally in _by_mediator(committee_ids, period, as_of).items():
            parts[committee_id]["mediator"][str(user_id)] = _numbers(tally)
        return parts

    return compute


def build_report(user: User, unit: Org, period: Period) -> Report:
    """Every figure of DOMAIN §5 for the unit (one the user may read) and the period, added up
    from each committee's part (kept in the ledger while the committee's cases stay as they
    were, counted afresh otherwise)."""
    if unit not in access.statistics_units(user):
        raise WorkflowError("没有这个单位，或不在您的统计范围内。", status=404, field="org")
    committees = list(db.session.scalars(access.committees_under(unit)))
    as_of = period.as_of()
    committee_ids = [c.id for c in committees]
    parts = ledger.per_committee(
        f"report:{period.slug}:{as_of.isoformat()}", committee_ids, _committee_parts(period, as_of)
    )
    parts = {c: part for c, part in parts.items() if part}

    # The rows one level down: each child unit counts the committees below it.
    children = [unit] if unit.kind == OrgKind.COMMITTEE else sorted(
        unit.children, key=lambda o: o.path
    )  # fmt: skip
    row_of = {}
    for committee in committees:
        for child in children:
            if committee.path.startswith(child.path):
                row_of[committee.id] = child.id

    def table(name: str) -> dict[str, list[int]]:
        rows: dict[str, list[list[int]]] = defaultdict(list)
        for part in parts.values():
            for key, numbers in part[name].items():
                rows[key].append(numbers)
        return {key: _summed(numbers) for key, numbers in rows.items()}

    units: dict[int, list[list[int]]] = defaultdict(list)
    for committee_id, part in parts.items():
        if committee_id in row_of:
            units[row_of[committee_id]].append(part["total"])
    by_category, by_source = table("category"), table("source")
    by_district = table("district")
    return Report(
        unit=unit, period=period, as_of=as_of,
        total=_tally(_summed(part["total"] for part in parts.values())),
        by_unit=[(child, _tally(_summed(units[child.id]))) for child in children],
        by_category=[(c, _tally(by_category[c.value])) for c in Category
                     if c.value in by_category],
        by_source=[(s, _tally(by_source[s.value])) for s in Source if s.value in by_source],
        by_mediator=_mediator_rows({int(k): _tally(v) for k, v in table("mediator").items()}),
        by_district=sorted(((d, _tally(n)) for d, n in by_district.items()),
                           key=lambda item: (item[0] == NO_DISTRICT, item[0])),
    )  # fmt: skip


def _by_district(committee_ids, period: Period, as_of: date) -> dict[tuple, Tally]:
    """The figures by committee and the first applicant's 住所地."""

    def grouping(conditions):
        first = _first_applicant_district(conditions)
        district = func.coalesce(func.nullif(first.c.district, ""), NO_DISTRICT)
        return [Case.committee_id, district], lambda q: q.outerjoin(
            first, first.c.case_id == Case.id
        )

    return _tallies(committee_ids, period, as_of, grouping, activity=False)


def _by_mediator(committee_ids, period: Period, as_of: date) -> dict[tuple, Tally]:
    """The figures by committee and mediator (each case a mediator handles, not removed)."""
    on_case = and_(CaseMediator.case_id == Case.id, CaseMediator.removed_at.is_(None))
    return _tallies(
        committee_ids, period, as_of,
        lambda _: ([Case.committee_id, CaseMediator.user_id],
                   lambda q: q.join(CaseMediator, on_case)),
        activity=False,
    )  # fmt: skip


@dataclass(frozen=True)
class Person:
    """A mediator as the tables name them (a county lists 800: no full accounts loaded)."""

    id: int
    name: str


def _mediator_rows(tallies: dict[int, Tally]) -> list[tuple[Person, Org, Tally]]:
    """Each mediator with cases new, concluded, open or withdrawn in the period."""
    tallies = {
        user_id: t
        for user_id, t in tallies.items()
        if t.accepted or t.concluded or t.open or t.withdrawn
    }
    people = db.session.execute(
        select(User.id, User.name, User.org_id).where(User.id.in_(list(tallies)))
    ).all()
    units = {
        org.id: org
        for org in db.session.scalars(select(Org).where(Org.id.in_({p.org_id for p in people})))
    }  # mostly already in the session: the committees counted
    rows = [(Person(p.id, p.name), units[p.org_id], tallies[p.id]) for p in people]
    return sorted(rows, key=lambda r: (r[1].path, -r[2].concluded, r[0].name))


def trend(unit: Org, period: Period, months: int = 12) -> list[tuple[Period, int]]:
    """Cases accepted (counted as 受理 is) in each of the twelve months that end with the
    period's last month, oldest first (per committee through the ledger)."""
    year, number = period.end.year, period.end.month
    series = []
    for _ in range(months):
        series.append(Period("month", year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    series.reverse()
    first, last = series[0].start, series[-1].end

    def compute(committee_ids: list[int]) -> dict[int, dict[str, int]]:
        parts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for committee_id, day, n in db.session.execute(
            select(Case.committee_id, Case.accepted_on, func.count())
            .where(Case.committee_id.in_(committee_ids), Case.accepted_on.between(first, last))
            .group_by(Case.committee_id, Case.accepted_on)
        ):
            parts[committee_id][f"{day.year}-{day.month}"] += n
        return parts

    ids = list(db.session.scalars(access.committees_in_unit(unit)))
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for part in ledger.per_committee(f"trend:{first}:{last}", ids, compute).values():
        for month, n in (part or {}).items():
            counts[tuple(map(int, month.split("-")))] += n
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
