"""The case page's data in a few queries. Its panels read some twenty of the case's
collections (parties, records, agreements, transfers, recusals …); loaded lazily, each was a
query of its own as a panel touched it, most of them finding nothing. Here one query asks
which collections hold rows, the empty ones are set empty without a query, and each of the
others is loaded by one query (with the eager loads its model asks for)."""

from collections.abc import Callable

from flask import g, has_request_context
from sqlalchemy import exists, select
from sqlalchemy.orm import RelationshipDirection, attributes

from mediation.extensions import db
from mediation.models import Appointment, Case, GeneratedDocument


def _collections() -> list:
    """The case's one-to-many relationships (collections and the one-row ones such as the
    referral), each with the column of the related table that points at the case."""
    found = []
    for rel in Case.__mapper__.relationships:
        if rel.direction is not RelationshipDirection.ONETOMANY or rel.secondary is not None:
            continue
        ((local, remote),) = rel.local_remote_pairs
        assert local is Case.__table__.c.id, rel
        found.append((rel, remote))
    return found


# What the panels ask for besides the case's relationships: queried by their services
# (calendar.service.appointments_of, documents.service.documents_of), memoised for the page.
LISTS = {"appointments": Appointment.case_id, "documents": GeneratedDocument.case_id}


def load(case: Case) -> None:
    """Load what the case page shows of `case` (see the module's docstring)."""
    relationships = [
        (rel, remote)
        for rel, remote in _collections()
        if rel.key in attributes.instance_state(case).unloaded
    ]
    probes = [(rel.key, remote) for rel, remote in relationships] + list(LISTS.items())
    row = db.session.execute(
        select(*(exists().where(column == case.id).label(key) for key, column in probes))
    ).one()
    held = dict(zip((key for key, _ in probes), row, strict=True))
    for rel, remote in relationships:
        if not held[rel.key]:
            attributes.set_committed_value(case, rel.key, [] if rel.uselist else None)
            continue
        query = select(rel.mapper).where(remote == case.id)
        if rel.order_by:
            query = query.order_by(*rel.order_by)
        found = list(db.session.scalars(query).unique())
        attributes.set_committed_value(case, rel.key, found if rel.uselist else found[0])
    memo = _memo()
    if memo is not None:
        for key in LISTS:
            if not held[key]:
                memo[(key, case.id)] = []


def _memo() -> dict | None:
    return g.setdefault("_case_page", {}) if has_request_context() else None


def memoised(key: str, compute: Callable[[Case], list]) -> Callable[[Case], list]:
    """`compute` (a list the case page's panels ask for, such as its appointments) answered
    once per request and case: the page's templates ask for some of them twice. For the
    templates only: nothing is written between the asking and the drawing of a page."""

    def answer(case: Case) -> list:
        memo = _memo()
        if memo is None:
            return compute(case)
        if (key, case.id) not in memo:
            memo[(key, case.id)] = compute(case)
        return memo[(key, case.id)]

    return answer
