"""What a party (当事人) may see of their own case without an account. They name the case by
its number and show they are one of its parties by the phone number or the last six
characters of the ID number they gave at intake. Guesses are throttled, and a refusal never
says which part was wrong or whether the case exists."""

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from mediation import workflow
from mediation.calendar.service import next_appointment, when
from mediation.documents.service import current_version, documents_of, is_superseded
from mediation.extensions import db
from mediation.models import (
    Attachment,
    Case,
    CaseStatus,
    DocumentKind,
    GeneratedDocument,
    LookupFailure,
    OnlineApplication,
    Party,
    PortalLookup,
)
from mediation.models.base import utcnow
from mediation.privacy import public_name
from mediation.workflow import WorkflowError

S = CaseStatus
# Lookups that may fail, per case number and per address, within each window. The ID tail
# is six characters, so the daily limit is what makes guessing it take months.
LIMITS = [("case", 5, timedelta(hours=1)), ("case", 10, timedelta(days=1)),
          ("address", 20, timedelta(hours=1))]  # fmt: skip
KEPT = max(window for _, _, window in LIMITS)
# A lookup (a row in portal_lookups, named by the browser's cookie) holds this long from its
# start; then the party asks again.
LOOKUP_MINUTES = 30
# Documents a party holds a copy of, and may print again from here.
PARTY_DOCUMENTS = (DocumentKind.AGREEMENT, DocumentKind.TERMINATION, DocumentKind.CONFIRMATION)

# Where the case stands, in words for a resident rather than a mediator.
EXPLAINED = {
    S.SUBMITTED: "调解申请已提交，人民调解委员会将决定是否受理。",
    S.ACCEPTED: "人民调解委员会已受理，将指派调解员与您联系。",
    S.MEDIATING: "调解正在进行，调解员会通知您调解的时间和地点。",
    S.AGREED: "已达成调解协议，请按协议约定的方式和期限履行。",
    S.FOLLOWED_UP: "调解员已回访协议的履行情况。",
    S.CLOSED: "本案已结案。",
    S.ARCHIVED: "本案已结案归档。",
    S.REJECTED: "人民调解委员会决定不予受理。",
    S.WITHDRAWN: "调解申请已撤回。",
    S.TERMINATED: "调解已终止。",
}
STEPS = [("登记", S.SUBMITTED), ("受理", S.ACCEPTED), ("调解", S.MEDIATING),
         ("达成协议", S.AGREED), ("回访", S.FOLLOWED_UP), ("结案", S.CLOSED)]  # fmt: skip


OPENING, CLOSING = "([〔【［", ")]〕】］"
# （2026）东街调字第0026号, as people type it: brackets of any kind or none, 第 and 号 optional,
# the running number with or without its zeros.
CASE_NUMBER = re.compile(r"\(?(?P<year>\d{4})\)?(?P<name>[^\d()]+?调字)第?(?P<seq>\d{1,6})号?")


NOT_A_NUMBER = (
    "这不是案件编号。案件编号印在人民调解委员会出具的文书上，形如“（2026）东街调字第0026号”；"
    "网上申请的，填写以 SQ 开头的回执号。"
)


def normalise_number(text: str) -> str | None:
    """A case number as typed, written the way the committee prints it; None when the text
    cannot be a case number. Full-width digits and brackets from Chinese input methods,
    spaces, "第26号" without its zeros and a number without brackets are accepted."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    for opening, closing in zip(OPENING, CLOSING, strict=True):
        text = text.replace(opening, "(").replace(closing, ")")
    match = CASE_NUMBER.fullmatch(text)
    if match is None:
        return None
    return f"（{match['year']}）{match['name']}第{int(match['seq']):04d}号"


def _proof(text: str) -> str:
    """A phone number or ID tail as typed: full-width, spaces, dashes, brackets and a +86 or
    0086 in front of a mobile number are dropped."""
    text = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text or "")).upper()
    mobile = re.fullmatch(r"(?:\+86|0086|86)(1\d{10})", text)
    return mobile.group(1) if mobile else text


def _hashed(kind: str, value: str) -> str:
    """What a lookup is counted by, kept only as a keyed hash: the case number as typed (a
    resident may have typed a phone number there) or the address it came from."""
    key = current_app.config["SECRET_KEY"].encode()
    return f"{kind}:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def find_party(number: str, proof: str, address: str) -> Party:
    """The party of the case numbered `number` who proved it with `proof` (see _find)."""
    return _find(number, proof, address)[0]


def throttle(keys: dict[str, str], limits: list[tuple[str, int, timedelta]], refusal: str) -> list:
    """Count an attempt under each of `keys` (keyed hashes, see _hashed) and refuse with 429
    when one of `limits` (kind, most attempts, window) is passed. The attempt is written
    down before anything is answered, and the count includes it, so parallel tries count
    too; the rows are returned, so a successful lookup can take its attempt back. The case
    lookup and the online application (channels.service) both count here."""
    now = utcnow()
    db.session.execute(delete(LookupFailure).where(LookupFailure.at < now - KEPT))
    attempt = [LookupFailure(key=key, at=now) for key in keys.values()]
    db.session.add_all(attempt)
    db.session.commit()
    for kind, limit, window in limits:
        tried = db.session.scalar(select(func.count()).where(
            LookupFailure.key == keys[kind], LookupFailure.at >= now - window
        ))  # fmt: skip
        if tried > limit:
            raise WorkflowError(refusal, status=429)
    return attempt


def _find(number: str, proof: str, address: str) -> tuple[Party, bool, bool]:
    """The party of the case numbered `number` (a case number, or an online application's
    receipt number) whose phone, or ID number's last six characters, is `proof`; else a
    WorkflowError that says nothing about which was wrong, or whether the number exists.

    Every attempt is counted before it is checked (throttle); a right answer takes its
    record back. The bools say whether the ID number's tail (rather than the phone) proved
    it, and whether the number was a receipt number."""
    typed, proof = number, _proof(proof)
    if not (typed or "").strip():
        raise WorkflowError("请填写案件编号。", status=400, field="number")
    number = normalise_number(typed) or normalise_receipt(typed)
    if number is None:  # a slip, not a guess: answered without counting it
        raise WorkflowError(NOT_A_NUMBER, status=400, field="number")
    if not proof:
        raise WorkflowError("请填写联系电话或公民身份号码后六位。", status=400, field="proof")
    keys = {"case": _hashed("case", number.upper()), "address": _hashed("ip", address)}
    attempt = throttle(keys, LIMITS, "查询失败次数过多，请稍后再试，或直接与人民调解委员会联系。")
    case, by_receipt = _case_named(number)
    found = _matching_party(case, proof) if case is not None else None
    if found is None:
        raise WorkflowError(
            "案件编号与身份信息不符。请核对人民调解委员会告知您的案件编号（网上申请的，填写回执号），"
            "并填写您登记时留下的联系电话或公民身份号码后六位。",
            status=400,
        )
    for record in attempt:
        db.session.delete(record)
    db.session.commit()
    return (*found, by_receipt)


def normalise_receipt(text: str) -> str | None:
    """An online application's receipt number as typed (any case, spaces, full-width);
    None when the text cannot be one."""
    text = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or "")).upper()
    return text if re.fullmatch(r"SQ[A-Z0-9]{10}", text) else None


def _case_named(number: str) -> tuple[Case | None, bool]:
    """The case a case number or a receipt number names, and whether it was a receipt."""
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is not None:
        return case, False
    application = db.session.scalar(
        select(OnlineApplication).where(OnlineApplication.receipt == number.upper())
    )
    return (application.case, True) if application is not None else (None, False)


def _matching_party(case: Case, proof: str) -> tuple[Party, bool] | None:
    for party in case.parties:
        phone = _proof(party.phone)
        if len(proof) >= 7 and phone and hmac.compare_digest(phone, proof):
            return party, False
        id_tail = party.id_number[-6:].upper()
        if len(proof) == 6 and len(party.id_number) == 18 and hmac.compare_digest(id_tail, proof):
            return party, True
    return None


# --- The lookup in progress: on the server, the browser holds only its id -----------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_lookup(number: str, proof: str, address: str) -> tuple[PortalLookup, str]:
    """A lookup for the party these answers identify (find_party's refusals otherwise), and
    the random id the browser's cookie keeps for it."""
    party, by_id_tail, by_receipt = _find(number, proof, address)
    token = secrets.token_urlsafe(32)
    lookup = PortalLookup(
        token_hash=_token_hash(token),
        case_id=party.case_id,
        party=party,
        by_id_tail=by_id_tail,
        by_receipt=by_receipt,
        created_at=utcnow(),
    )
    db.session.add(lookup)
    db.session.commit()
    return lookup, token


def current_lookup(token: str | None) -> PortalLookup | None:
    """The lookup this id names while it is neither ended nor older than LOOKUP_MINUTES."""
    if not token or not isinstance(token, str):
        return None
    lookup = db.session.scalar(
        select(PortalLookup).where(PortalLookup.token_hash == _token_hash(token))
    )
    if lookup is None or lookup.ended_at is not None:
        return None
    if utcnow() - lookup.created_at > timedelta(minutes=LOOKUP_MINUTES):
        return None
    return lookup


def end_lookup(token: str | None) -> None:
    """结束查询: the lookup ends on the server, so a copy of the cookie shows nothing more."""
    if not token or not isinstance(token, str):
        return
    db.session.execute(
        update(PortalLookup)
        .where(PortalLookup.token_hash == _token_hash(token), PortalLookup.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.commit()


def masks_other_ids(lookup: PortalLookup) -> bool:
    """Whether the documents this lookup downloads show the other parties' ID numbers (and
    phones) masked: yes, unless the party proved who they are with their ID number's tail.
    The one question the document downloads ask."""
    return not lookup.by_id_tail


# --- What the party sees ------------------------------------------------------------------


@dataclass
class Step:
    label: str
    done: bool
    current: bool


def steps(case: Case) -> list[Step]:
    """The case's way so far, for the progress line. A side exit ends the line at the step
    the case left from (the exit event's from_status)."""
    order = [status for _, status in STEPS]
    action = workflow.ENDING_ACTIONS.get(case.status)
    if action:
        event = case.last_event(action)
        left = event.from_status if event and event.from_status in order else S.SUBMITTED
        done = [Step(label, True, False) for label, _ in STEPS[: order.index(left) + 1]]
        return [*done, Step(case.status.label, True, True)]
    reached = order.index(S.CLOSED if case.status == S.ARCHIVED else case.status)
    return [Step(label, n <= reached, n == reached) for n, (label, _) in enumerate(STEPS)]


def explanation(case: Case) -> tuple[str, str]:
    """What the status means for the party, and (for an ending) the routes they were told."""
    route = ""
    action = workflow.ENDING_ACTIONS.get(case.status)
    event = case.last_event(action) if action else None
    if event is not None:
        route = (event.details or {}).get("route", "")
    text = EXPLAINED[case.status]
    if case.status == S.REJECTED and event is not None and event.reason:
        text = f"{text}理由：{event.reason}"
    agreement = case.agreement
    if case.status == S.AGREED and agreement is not None and not agreement.is_effective:
        text = "已达成调解协议，请到人民调解委员会签署协议书；各方签名、盖章或按指印后协议生效。"
    return text, route


def others(case: Case, party: Party, by_receipt: bool = False) -> list[str]:
    """The other parties, masked as on every public page; nothing when the applicant follows
    an online application by its receipt number."""
    if by_receipt:
        return []
    return [public_name(p) for p in case.parties if p.id != party.id]


def party_documents(case: Case) -> list[GeneratedDocument]:
    """The version that counts of each document the party holds a copy of: the signed one
    while there is one (an agreement printed again after signing stays the signed
    agreement), else the newest; nothing of an agreement a newer one replaced."""
    current: dict[tuple, GeneratedDocument] = {}
    for document in documents_of(case):
        key = (document.kind, document.source_id)
        wanted = document.kind in PARTY_DOCUMENTS and key not in current
        if wanted and not is_superseded(document):
            current[key] = current_version(document)
    return sorted(current.values(), key=lambda d: d.generated_at)


def signed_scan(party: Party, document_id: int) -> Attachment:
    """The signed, sealed scan of a document the party may download."""
    document = party_document(party, document_id)
    if document.signed_attachment is None:
        raise WorkflowError("这份文书没有签字盖章件。", status=404)
    return document.signed_attachment


def party_document(party: Party, document_id: int) -> GeneratedDocument:
    for document in party_documents(party.case):
        if document.id == document_id:
            return document
    raise WorkflowError("没有这份文书。", status=404)


@dataclass
class NextSession:
    """What a party is told of the next session: when and where, nothing about anyone."""

    when: str
    place: str


def next_session(case: Case) -> NextSession | None:
    appointment = next_appointment(case)
    if appointment is None:
        return None
    return NextSession(when(appointment), appointment.place)


def key_dates(case: Case) -> list[tuple[str, date]]:
    agreement = case.agreement
    found = [("登记日期", case.registered_on), ("受理日期", case.accepted_on)]
    if case.is_open and case.deadline:
        found.append(("办理期限", case.deadline))
    if agreement is not None:
        found += [("协议达成日期", agreement.reached_on), ("协议生效日期", agreement.effective_on)]
    found.append(("结案日期", case.closed_on))
    return [(label, day) for label, day in found if day]
