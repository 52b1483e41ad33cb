"""Where a dispute happened, as early warning reads it. One place to switch when cases carry
their own 纠纷发生地: until then two disputes are at "the same place" when a party of each gives
the same address, and the weekly analysis groups new disputes by the committee that holds them.
"""

from sqlalchemy import ColumnElement

from mediation.models import Case, Party, PartyKind


def same_place_key(party: type[Party]) -> ColumnElement:
    """The column two disputes must share to be at the same place (an aliased Party)."""
    return party.address


def place_party(party: type[Party]) -> ColumnElement:
    """Which parties' addresses name the place: natural persons only (an organisation, a
    hospital say, is a party to many disputes at its own address)."""
    return party.kind == PartyKind.PERSON


def place_group() -> ColumnElement:
    """The column new disputes are grouped by in the weekly analysis (an Org id)."""
    return Case.committee_id
