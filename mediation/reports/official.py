"""The monthly 人民调解工作统计表 in the layout the justice administration files: one row per
unit one level down and a total, the disputes accepted by category, the outcome, the form of
the agreements, the people involved, and the risk figures. Printed (A4 landscape) and a sheet
of the statistics spreadsheet.

The figures are the statistics' own (service.py): 受理 by category sums to 受理; 调解成功 is
the report's, split by the form of the case's first agreement; 涉及当事人 counts the parties of
the cases accepted in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from mediation import access
from mediation.extensions import db
from mediation.models import Agreement, AgreementKind, Case, Category, Org, OrgKind, Party
from mediation.reports import ledger
from mediation.reports.service import Report, Tally

# Heading groups of the table, then each column: (key, heading, how it is written).
CATEGORY_COLUMNS = [(c.value, c.label.removesuffix("纠纷"), "count") for c in Category]
OUTCOME_COLUMNS = [
    ("successful", "调解成功", "count"),
    ("success_rate", "成功率", "rate"),
    ("written", "书面协议", "count"),
    ("oral", "口头协议", "count"),
    ("terminated", "调解终止", "count"),
    ("parties", "涉及当事人（人）", "count"),
    ("group", "群体性纠纷", "count"),
    ("police", "报告公安（防止民转刑）", "count"),
    ("confirm_applied", "申请司法确认", "count"),
    ("overdue_open", "超期未结", "count"),
]


@dataclass
class OfficialRow:
    name: str
    tally: Tally
    extra: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __getitem__(self, key: str):
        if key in self.extra or not hasattr(self.tally, key):
            return self.extra[key]
        return getattr(self.tally, key)


def _row_of(unit: Org, committees: list[Org]) -> tuple[list[Org], dict[int, Org]]:
    children = (
        [unit] if unit.kind == OrgKind.COMMITTEE else sorted(unit.children, key=lambda o: o.path)
    )
    return children, {
        c.id: child for c in committees for child in children if c.path.startswith(child.path)
    }


def official_rows(report: Report) -> tuple[list[OfficialRow], OfficialRow]:
    """The table's rows (one per unit below) and its total, for a built report."""
    unit, period = report.unit, report.period
    committees = list(db.session.scalars(access.committees_under(unit)))
    children, row_of = _row_of(unit, committees)
    tallies = dict((child.id, tally) for child, tally in report.by_unit)
    rows = {child.id: OfficialRow(child.name, tallies.get(child.id, Tally())) for child in children}
    total = OfficialRow("合计", report.total)
    parts = ledger.per_committee(
        f"official:{period.slug}", [c.id for c in committees], _committee_parts(period)
    )
    for committee_id, part in parts.items():
        for key, n in (part or {}).items():
            total.extra[key] += n
            if committee_id in row_of:
                rows[row_of[committee_id].id].extra[key] += n
    return [rows[child.id] for child in children], total


def _committee_parts(period):
    """What the ledger keeps per committee for the table (reports/ledger.py): the cases
    accepted in the period by category, their parties, and the form of the first agreement
    of the cases successful in it (`written` or `oral`)."""

    def compute(ids: list[int]) -> dict[int, dict[str, int]]:
        parts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        owned = Case.committee_id.in_(ids)
        accepted = Case.accepted_on.between(period.start, period.end)
        for committee_id, category, n in db.session.execute(
            select(Case.committee_id, Case.category, func.count())
            .where(owned, accepted)
            .group_by(Case.committee_id, Case.category)
        ):
            parts[committee_id][category.value] += n
        for committee_id, n in db.session.execute(
            select(Case.committee_id, func.count(Party.id))
            .join(Party, Party.case_id == Case.id)
            .where(owned, accepted)
            .group_by(Case.committee_id)
        ):
            parts[committee_id]["parties"] += n
        # The form of each successful case's first agreement (the one that made it
        # successful): the agreements reached on the day the case keeps as its first's.
        kinds = db.session.execute(
            select(Case.committee_id, Agreement.kind, func.count(func.distinct(Case.id)))
            .join(Agreement,
                  (Agreement.case_id == Case.id) & (Agreement.reached_on == Case.agreed_on))
            .where(
                owned,
                Case.accepted_on.is_not(None),
                Case.accepted_on <= period.end,
                Case.agreed_on.between(period.start, period.end),
            )
            .group_by(Case.committee_id, Agreement.kind)
        )  # fmt: skip
        for committee_id, kind, n in kinds:
            parts[committee_id]["written" if kind == AgreementKind.WRITTEN else "oral"] += n
        return parts

    return compute
