"""The API's use cases, each one more face of a service the pages use: a referral is
registered by cases.service.register_case (as at the desk, with the same form's checks), a
case's status and outcome are read from the case, documents are the stored ones, statistics
come from reports.service.build_report. Nothing here decides a rule of its own."""

import secrets
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from mediation import access
from mediation.cases.forms import CaseForm
from mediation.cases.service import register_case
from mediation.extensions import db
from mediation.models import (
    AgreementKind,
    ApiClient,
    ApiReferral,
    Case,
    CaseStatus,
    DocumentKind,
    GeneratedDocument,
    Org,
    Role,
    User,
)
from mediation.models.base import local_today, utcnow
from mediation.workflow import WorkflowError

WAIT_SECONDS = 20  # how long a repeat waits for the first referral of its number
ABANDONED = timedelta(minutes=5)  # a claim whose request died without a case


class Invalid(WorkflowError):
    """The referral's data failed the desk form's checks: every field's messages."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(errors[0]["message"], status=422, field=errors[0]["field"])
        self.errors = errors


# --- Referrals in --------------------------------------------------------------------------

# The referral's JSON fields that are the desk form's fields under the same name.
CASE_FIELDS = ("category", "dispute_place", "summary", "request", "risk_level")
FLAGS = ("is_group", "involves_key_person", "may_escalate", "is_major")
PARTY_FIELDS = (
    "role",
    "kind",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "age",
    "id_number",
    "occupation",
    "address",
    "district",
    "phone",
    "legal_representative",
)
REFERRAL_FIELDS = ("reference_number", "referred_on", "feedback_due")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "y" if value else ""
    return str(value)


def form_data(data: dict[str, Any], client: ApiClient) -> MultiDict:
    """The JSON of a referral as the desk's intake form would post it: the source and the
    referring body are the client's, registered today."""
    posted = MultiDict()
    source = client.kind.source
    posted["source"] = source.value if source else ""
    posted["source_detail"] = client.name
    posted["registered_on"] = local_today().isoformat()
    posted["other_authority"] = "none"
    posted["risk_level"] = "low"
    for name in (*CASE_FIELDS, *REFERRAL_FIELDS):
        if name in data:
            posted[name] = _text(data[name])
    for name in FLAGS:
        if data.get(name) is True:
            posted[name] = "y"
    parties = data.get("parties")
    for index, party in enumerate(parties if isinstance(parties, list) else []):
        if not isinstance(party, dict):
            party = {}
        posted[f"parties-{index}-kind"] = "person"
        for name in PARTY_FIELDS:
            if name in party and party[name] is not None:
                posted[f"parties-{index}-{name}"] = _text(party[name])
    return posted


def _json_name(name: str) -> str:
    """A form field's name as the JSON calls it: parties-0-phone is parties[0].phone."""
    if name == "source_detail":
        return "client"
    return name


def _errors(form: CaseForm) -> list[dict[str, str]]:
    found = []
    for name, messages in form.errors.items():
        if name == "parties":
            for index, entry in enumerate(messages):
                if isinstance(entry, dict):
                    for sub, texts in entry.items():
                        found += [{"field": f"parties[{index}].{sub}", "message": t} for t in texts]
                else:
                    found.append({"field": "parties", "message": entry})
            continue
        found += [{"field": _json_name(name), "message": m} for m in messages]
    return found


def read_referral(data: Any, client: ApiClient) -> CaseForm:
    """The referral checked by the desk's own intake form (the same validators, the same
    Chinese messages), or Invalid listing every field's problem."""
    if not isinstance(data, dict):
        raise Invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
    parties = data.get("parties")
    if not isinstance(parties, list) or len(parties) < 2:
        raise Invalid([{"field": "parties", "message": "请至少填写一名申请人和一名被申请人。"}])
    if len(parties) > 50:
        raise Invalid([{"field": "parties", "message": "当事人不能超过50名。"}])
    form = CaseForm(formdata=form_data(data, client), meta={"csrf": False})
    if not form.validate():
        raise Invalid(_errors(form))
    return form


def api_user(client: ApiClient, committee: Org) -> User:
    """The account a client's referrals to a committee are registered by (as the online
    door has its own): named after the client, so the timeline says who referred the case.
    It cannot sign in (inactive, random password) and may do nothing but register."""
    username = f"api-{client.id}-{committee.id}"
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username, name=client.name, role=Role.CHANNEL, org=committee, active=False
        )
        user.set_password(secrets.token_urlsafe(32))
        db.session.add(user)
        db.session.flush()
    return user


def _committee(client: ApiClient, data: dict[str, Any]) -> Org:
    raw = data.get("committee_id")
    committee = db.session.get(Org, raw) if isinstance(raw, int) and 0 < raw < 2**31 else None
    if not access.client_may_refer_to(client, committee):
        raise Invalid([{"field": "committee_id", "message": "请选择授权范围内的人民调解委员会。"}])
    return committee


def _reference(data: dict[str, Any]) -> str:
    from mediation.referrals.service import clean_reference_number

    return clean_reference_number(_text(data.get("reference_number")))


def _claim(client: ApiClient, reference: str) -> ApiReferral | None:
    """Claim (client, reference) in a transaction of its own; None when this request holds
    it, else the row of the request that does (waited for until it has its case)."""
    table = ApiReferral.__table__
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with db.engine.begin() as connection:
                connection.execute(
                    insert(table).values(
                        client_id=client.id, reference=reference, claimed_at=utcnow()
                    )
                )
        except IntegrityError:
            pass
        else:
            return None
        db.session.rollback()
        row = db.session.scalar(
            select(ApiReferral).where(
                ApiReferral.client_id == client.id, ApiReferral.reference == reference
            )
        )
        if row is None:
            continue  # the first gave its claim up meanwhile: claim it now
        if row.case_id is not None:
            return row
        if row.claimed_at < utcnow() - ABANDONED:
            _release(client, reference)
            continue
        if time.monotonic() > deadline:
            raise WorkflowError("同一文号的移交正在处理中，请稍后重试。", status=409)
        time.sleep(0.05)


def _release(client: ApiClient, reference: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            delete(ApiReferral.__table__).where(
                ApiReferral.client_id == client.id,
                ApiReferral.reference == reference,
                ApiReferral.case_id.is_(None),
            )
        )


def _link(client: ApiClient, reference: str, case_id: int) -> None:
    db.session.execute(
        update(ApiReferral)
        .where(ApiReferral.client_id == client.id, ApiReferral.reference == reference)
        .values(case_id=case_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@dataclass
class Referred:
    case: Case
    created: bool


def refer_case(client: ApiClient, data: Any) -> Referred:
    """A referral in: checked by the desk's form, registered by register_case in the
    target committee (申请, the client's source and name), for its director to accept. The
    reference number makes it idempotent: a repeat, also one sent at the same moment, gets
    the same case (created False)."""
    if client.kind.source is None:
        raise WorkflowError("省级平台只读取统计数据，不能移交案件。", status=403)
    form = read_referral(data, client)
    committee = _committee(client, data)
    reference = _reference(data)
    existing = _claim(client, reference)
    if existing is not None:
        return Referred(db.session.get(Case, existing.case_id), False)
    try:
        case = register_case(
            api_user(client, committee),
            form.case_fields(),
            form.party_dicts(),
            referral=form.referral_dict(),
        )
    except WorkflowError as refused:
        db.session.rollback()
        _release(client, reference)
        duplicate = getattr(refused, "case", None)
        if duplicate is not None and duplicate.committee_id == committee.id:
            # Registered at the desk already from the same letter: the same referral.
            _link_existing(client, reference, duplicate)
            return Referred(duplicate, False)
        raise Invalid(
            [{"field": _json_name(refused.field or ""), "message": refused.message}]
        ) from None
    except BaseException:
        db.session.rollback()
        _release(client, reference)
        raise
    _link(client, reference, case.id)
    return Referred(case, True)


def _link_existing(client: ApiClient, reference: str, case: Case) -> None:
    """A case of this body's letter that the desk registered becomes the client's too."""
    taken = db.session.scalar(select(ApiReferral.id).where(ApiReferral.case_id == case.id))
    if taken is None:
        db.session.add(ApiReferral(client_id=client.id, reference=reference, case_id=case.id))
        db.session.commit()


# --- Status and outcome back --------------------------------------------------------------

# The API's codes for the ending actions (referrals.service.ENDING_ACTIONS has the words).
RESULTS = {"reach_agreement": "agreement", "terminate": "terminated", "withdraw": "withdrawn",
           "reject": "rejected"}  # fmt: skip


def referred_case_or_404(client: ApiClient, case_id: int) -> Case:
    """A case the client referred, inside its grant, or 404: the same answer for a case
    that does not exist and one that is not the client's."""
    if not 0 < case_id < 2**31:  # no such id fits the column (PostgreSQL would refuse it)
        raise WorkflowError("没有这个案件，或该案件不是贵单位移交的。", status=404)
    case = db.session.scalar(access.cases_referred_by(client).where(Case.id == case_id))
    if case is None:
        raise WorkflowError("没有这个案件，或该案件不是贵单位移交的。", status=404)
    return case


def reference_of(client: ApiClient, case: Case) -> str:
    return db.session.scalar(
        select(ApiReferral.reference).where(
            ApiReferral.client_id == client.id, ApiReferral.case_id == case.id
        )
    )


def outcome(case: Case) -> dict[str, Any] | None:
    """How the case ended, as the 反馈函 states it (referrals.service.outcome: the same
    rule), once it has."""
    from mediation.referrals.service import outcome as ended

    found = ended(case) if case.referral is not None else None
    if found is None:
        return None
    view: dict[str, Any] = {
        "result": RESULTS[found.action],
        "label": found.label,
        "on": found.on,
        "reason": found.reason or None,
        "route": found.route or None,
    }
    if found.agreement is not None:
        view["agreement"] = {
            "kind": found.agreement.kind.value,
            "kind_label": found.agreement.kind.label,
            "reached_on": found.agreement.reached_on,
            "effective_on": found.agreement.effective_on,
        }
    return view


def key_dates(case: Case) -> dict[str, date | None]:
    agreement = case.agreement
    return {
        "registered_on": case.registered_on,
        "accepted_on": case.accepted_on,
        "deadline": case.deadline,
        "agreed_on": agreement.reached_on if agreement else None,
        "closed_on": case.closed_on,
        "archived_on": case.archived_on,
    }


def newest_document(
    case: Case, kind: DocumentKind, source_id: int | None = None
) -> GeneratedDocument | None:
    """The version of a stored document that counts (the newest signed one, else the newest),
    as the committee issued it; the API never draws a document itself."""
    from mediation.documents.service import current_version

    query = select(GeneratedDocument).where(
        GeneratedDocument.case_id == case.id, GeneratedDocument.kind == kind
    )
    if source_id is not None:
        query = query.where(GeneratedDocument.source_id == source_id)
    newest = db.session.scalar(query.order_by(GeneratedDocument.version.desc()).limit(1))
    return current_version(newest) if newest is not None else None


def feedback_kind() -> DocumentKind | None:
    return getattr(DocumentKind, "FEEDBACK", None)


def feedback_document(case: Case) -> GeneratedDocument:
    """The 反馈函 the committee issued on the case's outcome."""
    kind = feedback_kind()
    document = newest_document(case, kind) if kind is not None else None
    if document is None:
        raise WorkflowError("调委会尚未出具本案的反馈函。", status=404)
    return document


def agreement_document(case: Case) -> GeneratedDocument:
    """The agreement, where the law lets the referring body have it: a written agreement in
    force (Art. 29: signed by the parties, the mediator and sealed). An oral agreement has no
    document to give (Art. 28), a draft not yet signed is no agreement, a superseded one is
    no longer the agreement."""
    agreement = case.agreement
    if agreement is None or not agreement.is_effective:
        raise WorkflowError("本案没有已生效的调解协议。", status=404)
    if agreement.kind != AgreementKind.WRITTEN:
        raise WorkflowError("本案为口头协议，没有协议书可提供。", status=404)
    document = newest_document(case, DocumentKind.AGREEMENT, agreement.id)
    if document is None:
        raise WorkflowError("调委会尚未出具本案的调解协议书。", status=404)
    return document


def document_links(case: Case) -> dict[str, bool]:
    """Which documents the client can fetch now."""
    found = {}
    for name, get in (("feedback", feedback_document), ("agreement", agreement_document)):
        try:
            get(case)
        except WorkflowError:
            found[name] = False
        else:
            found[name] = True
    return found


def case_view(client: ApiClient, case: Case) -> dict[str, Any]:
    """What the referring body reads of its case: no parties' personal data beyond what it
    sent, only where the case stands and how it ended."""
    return {
        "id": case.id,
        "number": case.number,
        "reference_number": reference_of(client, case),
        "status": case.status.value,
        "status_label": case.status.label,
        "committee": {"id": case.committee.id, "name": case.committee.name},
        "dates": key_dates(case),
        "outcome": outcome(case),
        "documents": document_links(case),
    }


def referred_cases(
    client: ApiClient, status: str | None, limit: int, after: int | None
) -> list[Case]:
    query = access.cases_referred_by(client).order_by(Case.id).limit(limit)
    if status:
        query = query.where(Case.status == CaseStatus(status))
    if after:
        query = query.where(Case.id > after)
    return list(db.session.scalars(query))


# --- Statistics out ---------------------------------------------------------------------


def statistics(client: ApiClient, org_id: int | None, kind: str, year: int, number: int | None):
    """The statistics page's report (reports.service.build_report, the same figures) for a
    unit inside the client's grant."""
    from mediation.reports.service import build_report, make_period

    reader = access.client_statistics_unit(client, org_id)
    if reader is None:
        raise WorkflowError("没有这个单位，或不在贵单位的授权范围内。", status=404, field="org")
    period = make_period(kind, year, month=number, quarter=number)
    return build_report(reader, reader.org, period)
