"""All models, importable from one place (Alembic and the app both load them from here)."""

from mediation.models.audit import CaseEvent
from mediation.models.base import Base
from mediation.models.case import Case, CaseMediator, CaseNumberCounter
from mediation.models.enums import (
    CaseStatus,
    Category,
    CommitteeKind,
    EventKind,
    OrgKind,
    OtherAuthority,
    PartyKind,
    PartyRole,
    RiskLevel,
    Role,
    Sex,
    Source,
)
from mediation.models.org import Org
from mediation.models.party import Party
from mediation.models.record import SessionRecord
from mediation.models.user import User

__all__ = [
    "Base",
    "Case",
    "CaseEvent",
    "CaseMediator",
    "CaseNumberCounter",
    "CaseStatus",
    "Category",
    "CommitteeKind",
    "EventKind",
    "Org",
    "OrgKind",
    "OtherAuthority",
    "Party",
    "PartyKind",
    "PartyRole",
    "RiskLevel",
    "Role",
    "SessionRecord",
    "Sex",
    "Source",
    "User",
]
