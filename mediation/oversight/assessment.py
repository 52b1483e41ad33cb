"""考核: each committee's and each mediator's work over a period, ranked.

What each figure counts (printed under the tables too):
- 受理: cases accepted in the period. 调结: cases concluded in the period, by agreement (the
  first one) or, never agreed, by termination; 成功率 = 调解成功 / 调结.
- 按期率: concluded no later than the deadline (an extended deadline counts) / 调结.
- 回访率: successful cases of the period with a follow-up visit / 调解成功.
- 履行率: of those visited, the latest visit found every term performed.
- 满意率: of those visited, the latest visit found the parties 满意 or 基本满意.
- 评查: reviews of the period's concluded cases: 合格, 基本合格, 退回 (returned or waiting
  for the re-review); 评查合格率 = (合格 + 基本合格) / 已评查.
A mediator counts every case they are on (not removed from); a committee its own cases.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import astuple, dataclass, field, fields

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from mediation import access
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseMediator,
    CaseReview,
    FollowUp,
    Org,
    Performance,
    ReviewStatus,
    Satisfaction,
    TermPerformance,
    User,
)
from mediation.reports import ledger
from mediation.reports.service import Period, local_date, utc_bounds


@dataclass
class Score:
    accepted: int = 0
    concluded: int = 0
    successful: int = 0
    on_time: int = 0
    followed_up: int = 0
    performed: int = 0
    satisfied: int = 0
    reviewed: int = 0
    passed: int = 0
    basic: int = 0
    returned: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def success_rate(self):
        return self._rate(self.successful, self.concluded)

    @property
    def on_time_rate(self):
        return self._rate(self.on_time, self.concluded)

    @property
    def follow_up_rate(self):
        return self._rate(self.followed_up, self.successful)

    @property
    def performance_rate(self):
        return self._rate(self.performed, self.followed_up)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.followed_up)

    @property
    def review_pass_rate(self):
        return self._rate(self.passed + self.basic, self.reviewed)


# The columns, in order: (Score attribute, heading, how it is written: count or rate).
COLUMNS = [
    ("accepted", "受理", "count"),
    ("concluded", "调结", "count"),
    ("successful", "调解成功", "count"),
    ("success_rate", "成功率", "rate"),
    ("on_time_rate", "按期率", "rate"),
    ("follow_up_rate", "回访率", "rate"),
    ("performance_rate", "履行率", "rate"),
    ("satisfaction_rate", "满意率", "rate"),
    ("reviewed", "已评查", "count"),
    ("passed", "合格", "count"),
    ("basic", "基本合格", "count"),
    ("returned", "退回", "count"),
    ("review_pass_rate", "评查合格率", "rate"),
]
RANKINGS = {attr: label for attr, label, how in COLUMNS if how == "rate"}


@dataclass
class Assessment:
    unit: Org
    period: Period
    sort: str
    committees: list[tuple[int, Org, Score]] = field(default_factory=list)
    mediators: list[tuple[int, User, Org, Score]] = field(default_factory=list)


def _figures(period: Period) -> dict[str, ColumnElement]:
    """What one case adds to each figure of the period, as SQL over the outcome it keeps
    (Case.agreed_on ...): 调结 by its first agreement, or by its termination when it was never
    agreed; 按期 when concluded no later than the deadline; the review's current result."""
    start, end = utc_bounds(period)
    agreed = and_(Case.agreed_on.is_not(None), Case.agreed_on.between(period.start, period.end))
    terminated = and_(
        Case.agreed_on.is_(None),
        Case.terminated_at.is_not(None),
        Case.terminated_at >= start,
        Case.terminated_at < end,
    )
    concluded = or_(agreed, terminated)
    concluded_on = case((agreed, Case.agreed_on), else_=local_date(Case.terminated_at))
    reviewed = and_(concluded, CaseReview.status.is_not(None))
    return {
        "accepted": Case.accepted_on.between(period.start, period.end),
        "concluded": concluded,
        "on_time": and_(concluded, or_(Case.deadline.is_(None), concluded_on <= Case.deadline)),
        "successful": agreed,
        "reviewed": reviewed,
        "passed": and_(reviewed, CaseReview.status == ReviewStatus.PASSED),
        "basic": and_(reviewed, CaseReview.status == ReviewStatus.BASIC),
        "returned": and_(
            reviewed, CaseReview.status.not_in([ReviewStatus.PASSED, ReviewStatus.BASIC])
        ),
    }


def _scores(ids: list[int], period: Period, keys: list, join=None) -> dict[tuple, Score]:
    """The scores per `keys` (a committee; a committee and a mediator): one GROUP BY over the
    cases that count in the period, and one over the latest visit of those agreed in it."""
    owned = (
        Case.committee_id.in_(ids),
        Case.accepted_on.is_not(None),
        Case.accepted_on <= period.end,
    )
    figures = _figures(period)
    start, end = utc_bounds(period)
    counts = select(*keys, *[func.count().filter(f) for f in figures.values()]).select_from(Case)
    counts = counts.outerjoin(CaseReview, CaseReview.case_id == Case.id)
    if join is not None:
        counts = join(counts)
    counts = counts.where(
        *owned,
        or_(
            Case.accepted_on >= period.start,
            Case.agreed_on.between(period.start, period.end),
            and_(Case.terminated_at >= start, Case.terminated_at < end),
        ),
    ).group_by(*keys)
    scores: dict[tuple, Score] = defaultdict(Score)
    width = len(keys)
    for row in db.session.execute(counts):
        for name, value in zip(figures, row[width:], strict=True):
            setattr(scores[tuple(row[:width])], name, value)
    # 回访率, 履行率, 满意率: the latest visit (by day, then as recorded) of each case agreed
    # in the period.
    ranked = select(
        FollowUp.id,
        FollowUp.satisfaction,
        *[k.label(f"key{i}") for i, k in enumerate(keys)],
        func.row_number()
        .over(partition_by=FollowUp.case_id, order_by=(FollowUp.visited_on.desc(),
                                                       FollowUp.id.desc()))
        .label("n"),
    ).join(Case, Case.id == FollowUp.case_id)  # fmt: skip
    if join is not None:
        ranked = join(ranked)
    ranked = ranked.where(*owned, figures["successful"]).subquery()
    terms = select(TermPerformance.id).where(TermPerformance.follow_up_id == ranked.c.id)
    performed = and_(
        terms.exists(), ~terms.where(TermPerformance.status != Performance.PERFORMED).exists()
    )
    satisfied = ranked.c.satisfaction.in_([Satisfaction.SATISFIED, Satisfaction.MOSTLY])
    key_columns = [ranked.c[f"key{i}"] for i in range(width)]
    visits = (
        select(*key_columns, func.count(), func.count().filter(performed),
               func.count().filter(satisfied))
        .where(ranked.c.n == 1)
        .group_by(*key_columns)
    )  # fmt: skip
    for row in db.session.execute(visits):
        score = scores[tuple(row[:width])]
        score.followed_up, score.performed, score.satisfied = row[width:]
    return scores


FIGURES = [f.name for f in fields(Score)]  # a score as a list of numbers in the ledger


def _parts(period: Period):
    """What the ledger keeps per committee for the 考核 (see reports/ledger.py): the
    committee's score and its mediators' (by user id), as lists of numbers (FIGURES)."""

    def compute(ids: list[int]) -> dict[int, dict]:
        parts: dict[int, dict] = defaultdict(lambda: {"committee": None, "mediator": {}})
        for (committee_id,), score in _scores(ids, period, [Case.committee_id]).items():
            parts[committee_id]["committee"] = astuple(score)
        on_case = and_(CaseMediator.case_id == Case.id, CaseMediator.removed_at.is_(None))
        by_mediator = _scores(
            ids, period, [Case.committee_id, CaseMediator.user_id],
            join=lambda q: q.join(CaseMediator, on_case),
        )  # fmt: skip
        for (committee_id, user_id), score in by_mediator.items():
            parts[committee_id]["mediator"][str(user_id)] = astuple(score)
        return parts

    return compute


def _ranked(rows: list, sort: str, score_of) -> list:
    """Best first by the chosen rate (no figure last), then by cases concluded."""

    def key(row):
        value = getattr(score_of(row), sort)
        return (value is None, -(value or 0), -score_of(row).concluded)

    ordered = sorted(rows, key=key)
    return [(n, *row) for n, row in enumerate(ordered, start=1)]


def build(user: User, unit: Org, period: Period, sort: str = "success_rate") -> Assessment:
    """The ranked tables for the unit (one the user may read) and period: per committee and
    per mediator, added up from each committee's part (kept in the ledger while the
    committee's cases stay as they were; counted by two GROUP BYs each otherwise)."""
    sort = sort if sort in RANKINGS else "success_rate"
    committees = list(db.session.scalars(access.committees_under(unit).order_by(Org.path)))
    ids = [c.id for c in committees]
    parts = ledger.per_committee(f"assessment:{period.slug}", ids,
                                 _parts(period))  # fmt: skip
    by_committee = {c: Score(*part["committee"]) for c, part in parts.items()
                    if part and part["committee"]}  # fmt: skip
    summed: dict[int, list[int]] = {}
    for part in parts.values():
        for user_id, numbers in (part or {}).get("mediator", {}).items():
            into = summed.setdefault(int(user_id), [0] * len(FIGURES))
            into[:] = map(operator.add, into, numbers)
    by_mediator = {user_id: Score(*numbers) for user_id, numbers in summed.items()}
    people = list(db.session.scalars(select(User).where(User.id.in_(list(by_mediator)))))
    mediators = [
        (u, u.org, by_mediator[u.id])
        for u in people
        if by_mediator[u.id].accepted or by_mediator[u.id].concluded
    ]
    return Assessment(
        unit=unit,
        period=period,
        sort=sort,
        committees=_ranked(
            [(c, by_committee.get(c.id, Score())) for c in committees], sort, lambda r: r[1]
        ),
        mediators=_ranked(mediators, sort, lambda r: r[2]),
    )
