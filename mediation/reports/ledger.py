"""The statistics' ledger: a report's figures worked out per committee and kept, so that a
county's year (400 committees, a quarter of a million cases) is added up from 400 kept
parts instead of counted again from every case on every request.

A kept part is current while nothing of its committee has changed since it was worked out:
- every committee has a mark (`statistics_marks`), bumped in the transaction of any change
  to its cases (a case, or anything with a `case_id`: parties, mediators, records,
  agreements, follow-ups, reviews, timeline events...; a transfer bumps the committee the
  case left too), as the last thing before that transaction commits;
- a part is kept with the mark read before its figures were counted, and used only while
  the committee's mark is still that. A change that commits after the mark was read bumps
  it, so the part is never used; one that committed before is in the figures. Under READ
  COMMITTED this holds because the mark is read in an earlier statement than the figures.
The bump is taken last, just before COMMIT, so it never waits while holding it for
another lock (no deadlock), and since every change already queues on the audit chain's
head, it adds no waiting of its own.

Parts are written in a short transaction of their own (a GET stays read-only) and only as
a help: if writing fails, the figures are right and the next request counts again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mediation.extensions import db
from mediation.models import Case, StatisticsMark, StatisticsPart
from mediation.models.base import utcnow

log = logging.getLogger(__name__)

_CASES = "statistics_cases"  # session.info: ids of cases changed in this transaction
_COMMITTEES = "statistics_committees"  # and committees changed directly (a transfer's old one)


# --- Writing side: every change bumps its committee's mark ---------------------------------


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    cases: set[int] = session.info.setdefault(_CASES, set())
    committees: set[int] = session.info.setdefault(_COMMITTEES, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Case):
            if obj.id is not None:
                cases.add(obj.id)
            moved = inspect(obj).attrs.committee_id.history
            committees.update(c for c in chain(moved.deleted, moved.added) if c is not None)
            continue
        case_id = getattr(obj, "case_id", None)
        if isinstance(case_id, int):
            cases.add(case_id)


@event.listens_for(Session, "before_commit")
def _bump_marks(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # what the commit would flush next counts too
    cases = session.info.pop(_CASES, set())
    committees = session.info.pop(_COMMITTEES, set())
    if cases:
        committees.update(
            session.scalars(select(Case.committee_id).where(Case.id.in_(sorted(cases))))
        )
    if not committees:
        return
    table = StatisticsMark.__table__
    insert = _insert(session)
    for committee_id in sorted(committees):  # one order for everybody
        session.execute(
            insert(table)
            .values(committee_id=committee_id, mark=1)
            .on_conflict_do_update(index_elements=["committee_id"],
                                   set_={"mark": table.c.mark + 1})
        )  # fmt: skip


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CASES, None)
    session.info.pop(_COMMITTEES, None)


def _insert(session_or_connection):
    name = session_or_connection.get_bind().dialect.name if isinstance(
        session_or_connection, Session) else session_or_connection.dialect.name  # fmt: skip
    return (postgresql if name == "postgresql" else sqlite).insert


# --- Reading side ------------------------------------------------------------------------


def marks(committee_ids: list[int]) -> dict[int, int]:
    """Each committee's mark now (0 for one never changed)."""
    found = dict(
        db.session.execute(
            select(StatisticsMark.committee_id, StatisticsMark.mark).where(
                StatisticsMark.committee_id.in_(committee_ids)
            )
        ).all()
    )
    return {c: found.get(c, 0) for c in committee_ids}


def per_committee(
    key: str, committee_ids: list[int], compute: Callable[[list[int]], dict[int, Any]]
) -> dict[int, Any]:
    """Each committee's part of the report `key` (which report, period and day): the kept
    ones still current, and `compute(ids)` (a dict by committee id of JSON-able parts; a
    committee missing from it has an empty part, None) for the others, which are then kept."""
    if not committee_ids:
        return {}
    now = marks(committee_ids)  # before anything is counted: see the module's docstring
    parts: dict[int, Any] = {}
    for committee_id, mark, part in db.session.execute(
        select(StatisticsPart.committee_id, StatisticsPart.mark, StatisticsPart.part).where(
            StatisticsPart.key == key, StatisticsPart.committee_id.in_(committee_ids)
        )
    ):
        if now[committee_id] == mark:
            parts[committee_id] = part
    missing = [c for c in committee_ids if c not in parts]
    if missing:
        counted = compute(missing)
        fresh = {c: counted.get(c) for c in missing}
        parts.update(fresh)
        _keep(key, {c: (now[c], part) for c, part in fresh.items()})
    return parts


def _keep(key: str, parts: dict[int, tuple[int, Any]]) -> None:
    table = StatisticsPart.__table__
    rows = [
        {"key": key, "committee_id": c, "mark": mark, "part": part, "computed_at": utcnow()}
        for c, (mark, part) in parts.items()
    ]
    try:
        with db.engine.begin() as connection:
            statement = _insert(connection)(table)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["key", "committee_id"],
                    set_={name: statement.excluded[name] for name in ("mark", "part",
                                                                      "computed_at")},
                    where=table.c.mark <= statement.excluded.mark,  # never an older count
                ),
                rows,
            )  # fmt: skip
    except SQLAlchemyError:  # the figures shown are right; the next request counts again
        log.warning("Could not keep the statistics parts of %s", key, exc_info=True)
