"""The case list: filters, search and keyset pagination over the cases a user may see.

Keyset (newest registration first, then id) keeps every page as cheap as the first, however
many cases there are; parties and mediators come in one extra query each, never per row.
"""

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import false, func, or_, select, tuple_
from sqlalchemy.orm import selectinload

from mediation import access
from mediation.extensions import db
from mediation.models import Agreement, Case, DeskEntry, Org, Party, User
from mediation.models.base import local_today


@dataclass
class CasePage:
    cases: list[Case]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


def encode_cursor(case: Case) -> str:
    raw = f"{case.registered_on.isoformat()}|{case.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day, ident = base64.urlsafe_b64decode(padded).decode().split("|")
        return date.fromisoformat(day), int(ident)
    except (ValueError, UnicodeDecodeError):
        return None


def filtered(user: User, filters: dict[str, Any]):
    query = access.cases_visible_to(user)
    if filters.get("status"):
        query = query.where(Case.status == filters["status"])
    if filters.get("category"):
        query = query.where(Case.category == filters["category"])
    if filters.get("source"):
        query = query.where(Case.source == filters["source"])
    if filters.get("date_from"):
        query = query.where(Case.registered_on >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(Case.registered_on <= filters["date_to"])
    if filters.get("org"):
        # The cases a unit's committees own, as the statistics count them (a joint case
        # counts for its owner only).
        unit = db.session.get(Org, filters["org"])
        owners = access.committees_under(unit).with_only_columns(Org.id) if unit else None
        query = query.where(Case.committee_id.in_(owners) if unit else false())
    if filters.get("accepted_from"):
        query = query.where(Case.accepted_on >= filters["accepted_from"])
    if filters.get("accepted_to"):
        query = query.where(Case.accepted_on <= filters["accepted_to"])
    if filters.get("agreed_from") or filters.get("agreed_to"):
        # The statistics' 调解成功: the case's first agreement was reached in the range.
        first = func.min(Agreement.reached_on)
        agreed = select(Agreement.case_id).group_by(Agreement.case_id)
        if filters.get("agreed_from"):
            agreed = agreed.having(first >= filters["agreed_from"])
        if filters.get("agreed_to"):
            agreed = agreed.having(first <= filters["agreed_to"])
        query = query.where(Case.id.in_(agreed))
    if filters.get("overdue"):
        query = query.where(Case.overdue_on(local_today()))
    if filters.get("mine"):
        query = query.where(
            or_(Case.id.in_(access.assigned_case_ids(user)), Case.registered_by_id == user.id)
        )
    text = (filters.get("q") or "").strip()
    if text:
        pattern = f"%{text}%"
        named = select(Party.case_id).where(Party.name.like(pattern))
        query = query.where(or_(Case.number.like(pattern), Case.id.in_(named)))
    return query


def unit_name(filters: dict[str, Any]) -> str:
    """The name of the unit a list is narrowed to (by a statistics link), for its heading."""
    unit = db.session.get(Org, filters["org"]) if filters.get("org") else None
    return unit.name if unit else ""


def list_cases(
    user: User, filters: dict[str, Any], after: str | None = None, before: str | None = None,
    per_page: int = 20,
) -> CasePage:  # fmt: skip
    query = filtered(user, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    key = tuple_(Case.registered_on, Case.id)
    backwards = False
    if after and (mark := decode_cursor(after)):
        query = query.where(key < mark)
    elif before and (mark := decode_cursor(before)):
        query = query.where(key > mark)
        backwards = True
    order = (Case.registered_on.asc(), Case.id.asc()) if backwards else (
        Case.registered_on.desc(), Case.id.desc())  # fmt: skip
    rows = list(
        db.session.scalars(
            query.order_by(*order)
            .limit(per_page + 1)
            .options(
                selectinload(Case.parties),
                selectinload(Case.mediators),
                # "Dispatched by X (office)" on the row: the window's dispatch, if any.
                selectinload(Case.desk_entry).selectinload(DeskEntry.dispatched_by),
            )
        )
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = (more if backwards else bool(after)) and bool(rows)
    return CasePage(
        cases=rows,
        total=total,
        next_cursor=encode_cursor(rows[-1]) if rows and has_next else None,
        prev_cursor=encode_cursor(rows[0]) if has_prev else None,
    )
