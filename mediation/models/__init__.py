"""All models, importable from one place (Alembic and the app both load them from here)."""

from mediation.models.agreement import (
    Agreement,
    AgreementTerm,
    CourtConfirmation,
    FollowUp,
    TermPerformance,
)
from mediation.models.audit import AdminEvent, CaseEvent
from mediation.models.base import Base
from mediation.models.case import Case, CaseMediator, CaseNumberCounter
from mediation.models.document import DocumentKind, GeneratedDocument
from mediation.models.enums import (
    AgreementKind,
    AgreementStatus,
    AttachmentKind,
    CaseStatus,
    Category,
    CommitteeKind,
    ConfirmationResult,
    EventKind,
    OrgKind,
    OtherAuthority,
    ParticipantKind,
    PartyKind,
    PartyRole,
    Performance,
    RecusalDecision,
    RiskLevel,
    Role,
    Satisfaction,
    Sex,
    Source,
    TransferKind,
    TransferStatus,
)
from mediation.models.handling import (
    JointCommittee,
    MediatorRelation,
    PoliceReport,
    Recusal,
    Reminder,
    RiskMeasure,
    Transfer,
)
from mediation.models.login import LoginFailure, UserSession
from mediation.models.org import Org
from mediation.models.party import Party
from mediation.models.portal import LookupFailure, PortalLookup
from mediation.models.record import Attachment, InvestigationRecord, Participant, SessionRecord
from mediation.models.user import User
from mediation.models.warning import Instruction

__all__ = [
    "AdminEvent",
    "Agreement",
    "AgreementKind",
    "AgreementStatus",
    "AgreementTerm",
    "Attachment",
    "AttachmentKind",
    "Base",
    "Case",
    "CaseEvent",
    "CaseMediator",
    "CaseNumberCounter",
    "CaseStatus",
    "Category",
    "CommitteeKind",
    "ConfirmationResult",
    "CourtConfirmation",
    "DocumentKind",
    "EventKind",
    "FollowUp",
    "GeneratedDocument",
    "Instruction",
    "InvestigationRecord",
    "JointCommittee",
    "LoginFailure",
    "LookupFailure",
    "MediatorRelation",
    "Org",
    "OrgKind",
    "OtherAuthority",
    "Participant",
    "ParticipantKind",
    "Party",
    "PartyKind",
    "PartyRole",
    "Performance",
    "PoliceReport",
    "PortalLookup",
    "Recusal",
    "RecusalDecision",
    "Reminder",
    "RiskLevel",
    "RiskMeasure",
    "Role",
    "Satisfaction",
    "SessionRecord",
    "Sex",
    "Source",
    "TermPerformance",
    "Transfer",
    "TransferKind",
    "TransferStatus",
    "User",
    "UserSession",
]
