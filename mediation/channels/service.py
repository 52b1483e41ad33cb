"""The public doors' use cases: the committees a resident can turn to, and the online
application (当事人申请), which becomes a case in the chosen committee's list as 申请, with
a receipt number the applicant follows it with on the case lookup (portal)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mediation.cases.service import register_case
from mediation.extensions import db
from mediation.models import (
    Category,
    OnlineApplication,
    Org,
    OrgKind,
    PartyKind,
    PartyRole,
    Role,
    Source,
    User,
)
from mediation.portal.service import _hashed, throttle
from mediation.privacy import id_number_problem, phone_problem
from mediation.workflow import WorkflowError

# Applications from one address: a family may send two or three in an hour, not more.
APPLY_LIMITS = [("address", 3, timedelta(hours=1)), ("address", 10, timedelta(days=1))]
# The largest application request accepted: the text fields' limits with room for encoding.
MAX_APPLICATION_BYTES = 32 * 1024
# Receipt numbers: no 0/O or 1/I, so one read out over the phone is written down right.
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class OfficeCommittees:
    office: Org
    committees: list[Org]


def public_committees() -> list[OfficeCommittees]:
    """Active committees by the justice office above them, in tree order, for the home page
    and the application's choice of committee."""
    committees = db.session.scalars(
        select(Org).where(Org.kind == OrgKind.COMMITTEE, Org.active).order_by(Org.path)
    ).all()
    groups: dict[int, OfficeCommittees] = {}
    for committee in committees:
        parent = committee.parent or committee
        groups.setdefault(parent.id, OfficeCommittees(parent, [])).committees.append(committee)
    return list(groups.values())


def suggest_committee(place: str) -> Org | None:
    """The committee whose service area (or short name) the place names; the longest name
    found wins, so 东街社区 beats 东街 when both are someone's."""
    place = (place or "").strip()
    best: tuple[int, Org] | None = None
    for group in public_committees():
        for committee in group.committees:
            for name in [*committee.areas, committee.short_name or ""]:
                if name and name in place and (best is None or len(name) > best[0]):
                    best = (len(name), committee)
    return best[1] if best else None


def channel_user(committee: Org) -> User:
    """The committee's online-application account: it registers the applications made to
    the committee, so every case has a registering account and the timeline says
    "网上申请". It cannot sign in (inactive, random password) and access grants it nothing
    but registering."""
    username = f"online-{committee.id}"
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username, name="网上申请", role=Role.CHANNEL, org=committee, active=False
        )
        user.set_password(secrets.token_urlsafe(32))
        db.session.add(user)
        db.session.flush()
    return user


def case_fields(data: dict[str, Any]) -> dict[str, Any]:
    """THE mapping from an application to the case's intake fields, the one place to
    connect new case fields; the place it names is the case's 纠纷发生地."""
    return {
        "category": Category(data["category"]),
        "source": Source.APPLICATION,
        "dispute_place": data["place"].strip(),
        "summary": data["summary"].strip(),
        "request": data["request"].strip(),
    }


def _parties(data: dict[str, Any]) -> list[dict[str, Any]]:
    applicant = {
        "role": PartyRole.APPLICANT,
        "kind": PartyKind.PERSON,
        "name": data["name"].strip(),
        "id_number": data["id_number"],
        "phone": data["phone"],
        "address": (data.get("address") or "").strip(),
    }
    respondent = {
        "role": PartyRole.RESPONDENT,
        "kind": PartyKind.PERSON,
        "name": data["other_name"].strip(),
        "phone": data.get("other_phone") or "",
        "address": (data.get("other_address") or "").strip(),
    }
    return [applicant, respondent]


def _new_receipt() -> str:
    while True:
        receipt = "SQ" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
        taken = db.session.scalar(
            select(OnlineApplication.id).where(OnlineApplication.receipt == receipt)
        )
        if taken is None:
            return receipt


def submit_application(data: dict[str, Any], address: str) -> OnlineApplication:
    """当事人申请: the application becomes a case (申请, source 当事人申请) of the chosen
        committee, or of the one the place suggests, registered by the committee's channel
        account; the director accepts or declines it as any other. Throttled per address
    (APPLY_LIMITS) once it is complete."""
    if not data.get("consent"):
        raise WorkflowError(
            "申请人民调解须本人自愿，请阅读说明后勾选同意。", status=400, field="consent"
        )
    suggested = suggest_committee(data["place"])
    chosen = data.get("committee_id")
    committee = db.session.get(Org, int(chosen)) if chosen and str(chosen).isdigit() else None
    if chosen and (committee is None or not committee.is_committee or not committee.active):
        raise WorkflowError("请从列表中选择人民调解委员会。", status=400, field="committee_id")
    committee = committee or suggested
    if committee is None:
        raise WorkflowError(
            "没能从发生地找到对应的人民调解委员会，请从列表中选择。",
            status=400,
            field="committee_id",
        )
    for name, problem in (("id_number", id_number_problem), ("phone", phone_problem)):
        found = problem(data.get(name) or "")
        if found:
            raise WorkflowError(found, status=400, field=name)
    # Counted once the application is complete, so correcting a refused form costs nothing;
    # counted before it is registered, so parallel posts count too.
    throttle(
        {"address": _hashed("apply", address)},
        APPLY_LIMITS,
        "同一网络提交的申请过多，请稍后再试，或直接到人民调解委员会申请。",
    )
    case = register_case(channel_user(committee), case_fields(data), _parties(data))
    application = OnlineApplication(
        receipt=_new_receipt(),
        case=case,
        place=data["place"].strip(),
        committee_suggested=suggested is not None and suggested.id == committee.id,
    )
    db.session.add(application)
    db.session.commit()
    return application
