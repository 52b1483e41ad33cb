"""The case list: filters, search and keyset pagination over the cases a user may see.

Keyset (newest registration first, then id) keeps every page as cheap as the first, however
many cases there are; parties and mediators come in one extra query each, never per row.
The count stops at CASE_COUNT_LIMIT: an exact count of a county's million cases costs more than
the page itself (130 ms), and the page says "超过 1,000 件" rather than a guess.
"""

import base64
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import false, func, or_, select, tuple_, union
from sqlalchemy.orm import selectinload

from mediation import access
from mediation.extensions import db
from mediation.models import Agreement, Case, DeskEntry, Org, Party, User
from mediation.models.base import local_today
from mediation.models.party import tail
from mediation.privacy import normalise_id_number

# The last four characters of an ID number or a phone: what their masked form shows.
_TAIL = re.compile(r"^\d{3}[\dX]$")
# A whole case number as cases.service.format_case_number writes it (brackets either width).
_WHOLE_NUMBER = re.compile(r"^[（(](\d{4})[）)](.+调字第\d+号)$")


@dataclass
class CasePage:
    cases: list[Case]
    total: int  # exact when `counted`, else at least this many (the count stopped)
    next_cursor: str | None
    prev_cursor: str | None
    counted: bool = True


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
        query = query.where(Case.id.in_(matching_case_ids(text)))
    return query


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_case_ids(text: str):
    """The ids of the cases a search term finds, as one UNION of id sets, each served by an
    index on PostgreSQL (migration 0020):
    - four digits (the last one may be X): the end of a party's ID number or phone, what
      their masked form shows (a whole one is not searched: it would stand in the URL and
      the access log, DOMAIN §6);
    - a whole case number: that case (its unique index);
    - three characters or more: part of a party's name or of the case number (trigrams);
    - one or two characters: the start of a name (张三 has no trigram inside other names,
      so it is looked up as a prefix: 张三, 张三丰).
    SQLite runs the same queries by scanning."""
    upper = normalise_id_number(text)
    if _TAIL.match(upper):
        return union(
            select(Party.case_id).where(tail(Party.id_number) == upper),
            select(Party.case_id).where(tail(Party.phone) == upper),
        )
    if len(text) < 3:
        return select(Party.case_id).where(Party.name.like(f"{_like(text)}%", escape="\\"))
    whole = _WHOLE_NUMBER.match(text)
    if whole:  # a number pasted whole: the unique index, not trigrams every number shares
        return select(Case.id).where(Case.number == f"（{whole[1]}）{whole[2]}")
    pattern = f"%{_like(text)}%"
    return union(
        select(Party.case_id).where(Party.name.like(pattern, escape="\\")),
        select(Case.id).where(Case.number.like(pattern, escape="\\")),
    )


def count_up_to(query, limit: int) -> int:
    """How many cases the query finds, counting no further than limit + 1."""
    ids = query.with_only_columns(Case.id).order_by(None).limit(limit + 1)
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def unit_name(filters: dict[str, Any]) -> str:
    """The name of the unit a list is narrowed to (by a statistics link), for its heading."""
    unit = db.session.get(Org, filters["org"]) if filters.get("org") else None
    return unit.name if unit else ""


def list_cases(
    user: User, filters: dict[str, Any], after: str | None = None, before: str | None = None,
    per_page: int = 20,
) -> CasePage:  # fmt: skip
    query = filtered(user, filters)
    limit = current_app.config["CASE_COUNT_LIMIT"]
    total = count_up_to(query, limit)
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
        total=min(total, limit),
        counted=total <= limit,
        next_cursor=encode_cursor(rows[-1]) if rows and has_next else None,
        prev_cursor=encode_cursor(rows[0]) if has_prev else None,
    )
