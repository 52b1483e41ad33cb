"""The case page's data in a few queries. Its panels read some twenty of the case's
collections (parties, records, agreements, transfers, recusals …); loaded lazily, each was a
query of its own as a panel touched it, most of them finding nothing. Here one query asks
which collections hold rows, the empty ones are set empty without a query, and each of the
others is loaded by one query (with the eager loads its model asks for)."""

from collections.abc import Callable
from functools import cache

from flask import g, has_request_context
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import RelationshipDirection, attributes

from mediation.extensions import db
from mediation.models import Appointment, Case, GeneratedDocument

# What the panels ask for besides the case's relationships: queried by their services
# (calendar.service.appointments_of, documents.service.documents_of), memoised for the page.
LISTS = {"appointments": Appointment.case_id, "documents": GeneratedDocument.case_id}


@cache
def _statements() -> tuple:
    """Built once per process (statements cost more to build than to run): the probe, one
    EXISTS per collection and per list, and for each of the case's one-to-many relationships
    (collections, and one-row ones such as the referral) the query loading it, all taking the
    case's id as the parameter `case_id`."""
    case_id = bindparam("case_id")
    loads = {}
    for rel in Case.__mapper__.relationships:
        if rel.direction is not RelationshipDirection.ONETOMANY or rel.secondary is not None:
            continue
        ((local, remote),) = rel.local_remote_pairs
        assert local is Case.__table__.c.id, rel
        query = select(rel.mapper).where(remote == case_id)
        if rel.order_by:
            query = query.order_by(*rel.order_by)
        loads[rel.key] = (rel.uselist, remote, query)
    probes = {key: remote for key, (_uselist, remote, _query) in loads.items()} | LISTS
    probe = select(
        *(exists().where(column == case_id).label(key) for key, column in probes.items())
    )
    return probe, list(probes), loads


def load(case: Case) -> None:
    """Load what the case page shows of `case` (see the module's docstring)."""
    probe, keys, loads = _statements()
    row = db.session.execute(probe, {"case_id": case.id}).one()
    held = dict(zip(keys, row, strict=True))
    unloaded = attributes.instance_state(case).unloaded
    for key, (uselist, _remote, query) in loads.items():
        if key not in unloaded:
            continue
        if not held[key]:
            attributes.set_committed_value(case, key, [] if uselist else None)
            continue
        found = list(db.session.scalars(query, {"case_id": case.id}).unique())
        attributes.set_committed_value(case, key, found if uselist else found[0])
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
