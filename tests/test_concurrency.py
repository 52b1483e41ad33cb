"""Simultaneous requests against the real app under waitress, on SQLite and PostgreSQL: one
result per submission, one timeline event per real change, never a 500, and the timeline's
hash chain still verifies."""

import hashlib
import secrets

import pytest
from concurrency import Browser, LiveServer, at_once, statuses
from sqlalchemy import func, select
from test_agreements import PDF, effective, mediating, with_session
from test_idempotency import agreement_form
from test_intake import intake_form
from test_records import add_session, session_form

from mediation.audit.chain import verify
from mediation.extensions import db
from mediation.models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    FollowUp,
    GeneratedDocument,
    SessionRecord,
)
from mediation.models.base import local_today
from mediation.records.attachments import read_file

from factories import make_case
from htmlform import form_values


@pytest.fixture
def server(app):
    live = LiveServer(app)
    yield live
    live.close()


def fresh() -> None:
    db.session.rollback()
    db.session.expire_all()


def count(model, *where) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(case_id: int, kind: EventKind) -> int:
    return count(CaseEvent, CaseEvent.case_id == case_id, CaseEvent.kind == kind)


def chain_verifies() -> None:
    fresh()
    assert verify() == []  # the whole audit chain, the case rows bound in


def token() -> str:
    return secrets.token_urlsafe(24)


def test_simultaneous_withdraw_and_terminate_change_the_case_once(world, server):
    case_id = mediating(world).id
    b = Browser(server).login("mediator1")
    withdraw = {"csrf_token": b.csrf, "reason": "申请人撤回申请。"}
    terminate = {"csrf_token": b.csrf, "reason": "双方分歧过大。", "route": "可向法院起诉。"}
    # Twenty different forms (each tab says something else), all sent at once.
    posts = [
        ("withdraw", {**withdraw, "reason": f"申请人撤回申请（{n}）。"}) for n in range(10)
    ] + [("terminate", {**terminate, "reason": f"双方分歧过大（{n}）。"}) for n in range(10)]
    calls = [
        (lambda name=name, form=form: b.post(
            f"/cases/{case_id}/actions/{name}", {**form, "submission": token()}
        ))
        for name, form in posts
    ]  # fmt: skip
    answers = at_once(calls)
    found = statuses(answers)
    assert found.get(500, 0) == 0 and found.get(0, 0) == 0, found
    assert found == {302: 1, 409: 19}, found  # ten tabs each: one wins, the others are told
    refused = [a.body for a in answers if a.status == 409]
    assert all("不能执行" in body or "刚刚已被他人修改" in body for body in refused)
    fresh()
    assert db.session.get(Case, case_id).status in (CaseStatus.WITHDRAWN, CaseStatus.TERMINATED)
    assert events(case_id, EventKind.TRANSITION) == 3  # accept, start_mediation, and one of these
    chain_verifies()


def test_twenty_clicks_on_start_mediation_are_one_transition(world, server):
    case = make_case(world["mediator1"])
    from mediation.cases import service as cases

    cases.apply_action(case, world["mediator1"], "accept")
    case_id = case.id
    b = Browser(server).login("mediator1")
    # One page's button clicked twenty times: one token.
    data = {"csrf_token": b.csrf, "submission": token()}
    answers = at_once([lambda: b.post(f"/cases/{case_id}/actions/start_mediation", data)] * 20)
    assert statuses(answers) == {302: 20}
    assert {a.location for a in answers} == {f"/cases/{case_id}"}
    page = b.get(f"/cases/{case_id}").body
    assert "已开始调解" in page and "不能执行" not in page
    assert events(case_id, EventKind.TRANSITION) == 2
    # Twenty pages (tabs) of two people, twenty tokens. One person's tabs send the same
    # post: it is done once and every tab is shown its result. The other person's are
    # refused, since the case has moved on; one transition in all.
    case_two = make_case(world["mediator1"])
    cases.apply_action(case_two, world["mediator1"], "accept")
    url = f"/cases/{case_two.id}/actions/start_mediation"
    d = Browser(server).login("director1")
    answers = at_once(
        [lambda: b.post(url, {"csrf_token": b.csrf, "submission": token()})] * 10
        + [lambda: d.post(url, {"csrf_token": d.csrf, "submission": token()})] * 10
    )
    assert statuses(answers) == {302: 10, 409: 10}
    assert events(case_two.id, EventKind.TRANSITION) == 2
    chain_verifies()


def test_registration_once_per_token(world, server):
    b = Browser(server).login("mediator1")
    same = {**intake_form(), "csrf_token": b.csrf, "submission": token()}
    answers = at_once([lambda: b.post("/cases/new", same)] * 20)
    assert statuses(answers) == {302: 20}
    assert count(Case) == 1
    assert len({a.location for a in answers}) == 1
    # Ten different forms (other disputes) at once: ten cases with ten numbers.
    forms = [{**same, "summary": f"第{n}起纠纷。", "submission": token()} for n in range(10)]
    answers = at_once([(lambda form=form: b.post("/cases/new", form)) for form in forms])
    assert statuses(answers) == {302: 10}
    assert count(Case) == 11
    numbers = db.session.scalars(select(Case.number)).all()
    assert len(set(numbers)) == 11
    assert count(CaseEvent, CaseEvent.kind == EventKind.CREATED) == 11
    # Ten people save the edit form of one case, all opened at the same version: one saves,
    # nine are shown the other's change merged with what they typed (409), none a 500.
    case_id = db.session.scalars(select(Case.id).order_by(Case.id)).first()
    values = form_values(b.get(f"/cases/{case_id}/edit").body)
    answers = at_once([
        (lambda n=n: b.post(f"/cases/{case_id}/edit",
                            {**values, "summary": f"第{n}人补充的情况。", "submission": token()}))
        for n in range(10)
    ])  # fmt: skip
    assert statuses(answers) == {302: 1, 409: 9}
    assert all("您填写的内容都还在" in a.body for a in answers if a.status == 409)
    assert count(CaseEvent, CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.EDITED) == 1
    chain_verifies()


def test_session_record_and_follow_up_once_per_token(world, server):
    case_id = mediating(world).id
    b = Browser(server).login("mediator1")
    data = {**session_form(), "csrf_token": b.csrf, "submission": token()}
    url = f"/cases/{case_id}/sessions/new"
    answers = at_once([lambda: b.post(url, data)] * 20)
    assert statuses(answers) == {302: 20}
    assert count(SessionRecord) == 1
    assert events(case_id, EventKind.SESSION) == 1
    # Ten different forms (two mediators' tabs) at once: ten records, none refused.
    forms = [{**data, "result": f"第{n}次的结果。", "submission": token()} for n in range(10)]
    answers = at_once([(lambda form=form: b.post(url, form)) for form in forms])
    assert statuses(answers) == {302: 10}
    assert count(SessionRecord) == 11
    assert events(case_id, EventKind.SESSION) == 11
    # A follow-up form clicked twenty times: one follow-up.
    case = effective(world)
    terms = [t.id for t in case.agreement.terms]
    data = {
        "csrf_token": b.csrf, "submission": token(), "visited_on": local_today().isoformat(),
        "visited": "张三、李四", "satisfaction": "satisfied", "opinions": "",
        **{f"performances-{i}-term_id": str(t) for i, t in enumerate(terms)},
        **{f"performances-{i}-status": "performed" for i in range(len(terms))},
    }  # fmt: skip
    answers = at_once([lambda: b.post(f"/cases/{case.id}/follow-ups/new", data)] * 20)
    assert statuses(answers) == {302: 20}
    assert count(FollowUp) == 1
    chain_verifies()


def test_agreement_once_however_it_is_sent(world, server):
    case_id = with_session(mediating(world), world["mediator1"]).id
    b = Browser(server).login("mediator1")
    url = f"/cases/{case_id}/agreement/new"
    same = agreement_form(csrf_token=b.csrf, submission=token())
    answers = at_once([lambda: b.post(url, same)] * 10)  # one form, clicked ten times
    assert statuses(answers) == {302: 10}
    assert count(Agreement) == 1
    # Ten different forms (tabs) at once on another case: one agreement, nine refused (409).
    case_two = with_session(mediating(world), world["mediator1"]).id
    url = f"/cases/{case_two}/agreement/new"
    forms = [
        agreement_form(csrf_token=b.csrf, submission=token(), **{"terms-0-amount": str(3000 + n)})
        for n in range(10)
    ]
    answers = at_once([(lambda form=form: b.post(url, form)) for form in forms])
    assert statuses(answers) == {302: 1, 409: 9}
    assert count(Agreement) == 2
    assert events(case_two, EventKind.AGREEMENT) == 1
    chain_verifies()


def test_simultaneous_logins_to_one_account(world, server):
    browsers = [Browser(server) for _ in range(20)]
    tokens = [b.csrf_token() for b in browsers]
    answers = at_once([
        (lambda b=b, t=t: b.post("/login", {"username": "mediator1", "password": "secret123",
                                            "csrf_token": t}))
        for b, t in zip(browsers, tokens, strict=True)
    ])  # fmt: skip
    found = statuses(answers)
    assert found.get(500, 0) == 0 and found.get(0, 0) == 0, found
    assert found == {302: 20}, found


def test_simultaneous_personal_data_reveals(world, server):
    """Twenty reveals at once: each shown and each logged, none a 500. The timeline's chain
    can fork under simultaneous appends to one case until the audit branch serialises them
    (its audit_head lock): then this is reported as an expected failure, not hidden."""
    case_id = make_case(world["mediator1"]).id
    b = Browser(server).login("mediator1")
    url = f"/cases/{case_id}/personal"
    answers = at_once([lambda: b.post(url, {"csrf_token": b.csrf, "submission": token()})] * 20)
    found = statuses(answers)
    assert found == {200: 20}, found
    assert all("13812345678" in a.body for a in answers)  # shown unmasked
    assert events(case_id, EventKind.VIEWED_PERSONAL) == 20  # every look is logged
    fresh()
    assert verify() == []


def test_simultaneous_uploads_and_document_generation(world, server):
    """Five different files and five copies of one file uploaded to one session record at
    once: the different files all kept (none refused: they do not conflict), the copies
    kept once (the same post), one timeline entry each, and the stored files whole."""
    case = mediating(world)
    record_id = add_session(world, case).id
    b = Browser(server).login("mediator1")
    url = f"/cases/{case.id}/sessions/{record_id}/attachments"
    pdfs = [PDF + f"%{i}\n".encode() for i in range(5)] + [PDF + b"%same\n"] * 5
    answers = at_once([
        (lambda pdf=pdf: b.upload(url, {"csrf_token": b.csrf, "submission": token(),
                                        "kind": "scan"}, {"file": ("记录.pdf", pdf)}))
        for pdf in pdfs
    ])  # fmt: skip
    found = statuses(answers)
    assert found.get(500, 0) == 0 and found.get(0, 0) == 0, found
    assert found == {302: 10}, found
    assert count(Attachment) == 6
    assert events(case.id, EventKind.ATTACHMENT) == 6
    for attachment in db.session.scalars(select(Attachment)):
        data = read_file(attachment)
        assert hashlib.sha256(data).hexdigest() == attachment.sha256
    # Three people generating the same document of the case at once: consecutive
    # versions, or a 409 for one that lost a race after its retries; never a 500.
    url = f"/cases/{case.id}/documents"
    people = [b, Browser(server).login("director1"), Browser(server).login("mediator3")]
    form = {"kind": "application"}
    answers = at_once([
        (lambda p=p: p.post(url, {**form, "csrf_token": p.csrf, "submission": token()}))
        for p in people
    ])  # fmt: skip
    found = statuses(answers)
    assert found.get(500, 0) == 0 and found.get(0, 0) == 0, found
    fresh()
    versions = db.session.scalars(select(GeneratedDocument.version)).all()
    assert sorted(versions) == list(range(1, found.get(302, 0) + 1))
    assert events(case.id, EventKind.DOCUMENT) == found.get(302, 0)
    chain_verifies()
