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

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mediation import access
from mediation.extensions import db
from mediation.models import (
    Agreement,
    Case,
    CaseEvent,
    CaseMediator,
    CaseReview,
    FollowUp,
    Org,
    Performance,
    ReviewStatus,
    Satisfaction,
    User,
)
from mediation.models.base import LOCAL_TZ
from mediation.reports.service import Period


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


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def _counts(row, period: Period, visit: FollowUp | None) -> list[str]:
    """The figures one case adds to, in the period."""
    _, _, accepted_on, deadline, agreed_on, terminated_at, review = row
    inside = lambda day: day is not None and period.start <= day <= period.end  # noqa: E731
    found = ["accepted"] if inside(accepted_on) else []
    concluded = agreed_on if inside(agreed_on) else None
    if concluded is None and agreed_on is None and inside(_day(terminated_at)):
        concluded = _day(terminated_at)
    if concluded is None:
        return found
    found.append("concluded")
    if deadline is None or concluded <= deadline:
        found.append("on_time")
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


def _ranked(rows: list, sort: str, score_of) -> list:
    """Best first by the chosen rate (no figure last), then by cases concluded."""

    def key(row):
        value = getattr(score_of(row), sort)
        return (value is None, -(value or 0), -score_of(row).concluded)

    ordered = sorted(rows, key=key)
    return [(n, *row) for n, row in enumerate(ordered, start=1)]


def build(user: User, unit: Org, period: Period, sort: str = "success_rate") -> Assessment:
    """The ranked tables for the unit (one the user may read) and period. A bounded number
    of queries: the committees, the cases' facts, their latest visits (with performances),
    the mediators on them, and those mediators."""
    sort = sort if sort in RANKINGS else "success_rate"
    committees = list(db.session.scalars(access.committees_under(unit).order_by(Org.path)))
    ids = [c.id for c in committees]
    first_agreement = (
        select(func.min(Agreement.reached_on)).where(Agreement.case_id == Case.id)
    ).scalar_subquery()
    terminated = (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.action == "terminate")
        .scalar_subquery()
    )
    in_scope = (
        Case.committee_id.in_(ids),
        Case.accepted_on.is_not(None),
        Case.accepted_on <= period.end,
    )
    rows = db.session.execute(
        select(
            Case.id,
            Case.committee_id,
            Case.accepted_on,
            Case.deadline,
            first_agreement,
            terminated,
            CaseReview.status,
        )
        .outerjoin(CaseReview, CaseReview.case_id == Case.id)
        .where(*in_scope)
    ).all()
    latest: dict[int, FollowUp] = {}
    for visit in db.session.scalars(
        select(FollowUp)
        .join(Case)
        .where(*in_scope)
        .options(selectinload(FollowUp.performances))
        .order_by(FollowUp.visited_on, FollowUp.id)
    ):
        latest[visit.case_id] = visit
    found = {row[0]: _counts(row, period, latest.get(row[0])) for row in rows}

    by_committee: dict[int, Score] = {c.id: Score() for c in committees}
    for row in rows:
        _add(by_committee[row[1]], found[row[0]])
    by_mediator: dict[int, Score] = defaultdict(Score)
    for case_id, user_id in db.session.execute(
        select(CaseMediator.case_id, CaseMediator.user_id)
        .join(Case)
        .where(*in_scope, CaseMediator.removed_at.is_(None))
    ):
        _add(by_mediator[user_id], found[case_id])
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
        committees=_ranked([(c, by_committee[c.id]) for c in committees], sort, lambda r: r[1]),
        mediators=_ranked(mediators, sort, lambda r: r[2]),
    )


def _add(score: Score, names: list[str]) -> None:
    for name in names:
        setattr(score, name, getattr(score, name) + 1)
