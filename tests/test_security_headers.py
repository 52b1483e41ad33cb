"""Security headers and the strict CSP: every route of the app (read from app.url_map, so a new
one is covered the day it lands), requested by every role, by a resident and anonymously,
answers with the CSP, no framing, nosniff, same-origin referrers and no-store; and no page
carries inline script, an on*= handler or a style= attribute the CSP would block."""

import io
from html.parser import HTMLParser

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from mediation.cases import service as cases
from mediation.documents import service as documents
from mediation.models import AttachmentKind, DocumentKind
from mediation.records.attachments import store_attachment
from mediation.security_headers import CONTENT_SECURITY_POLICY

from factories import ID_MALE, make_case
from test_documents import working_case

ROLES = ["director1", "mediator1", "mediator2", "grid1", "auditor1", "auditor0", "admin"]


class InlineFinder(HTMLParser):
    """Everything in a page that a CSP without 'unsafe-inline' refuses."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}=javascript:")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture
def rich(world):
    """A demo-like case with every kind of object a URL can name: records, an attachment,
    a written agreement and its generated document; a second case reported by the grid."""
    case = working_case(world)
    session = case.session_records[0]
    attachment = store_attachment(
        case,
        world["mediator1"],
        FileStorage(_bytes(png()), filename="现场.png"),
        AttachmentKind.PHOTO,
        session_record_id=session.id,
    )
    document = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreements[0].id
    )
    grid_case = make_case(world["grid1"])
    return {
        "case": case,
        "grid_case": grid_case,
        "session": session,
        "investigation": case.investigation_records[0],
        "attachment": attachment,
        "document": document,
        "agreement": case.agreements[0],
    }


def _bytes(data: bytes):
    return io.BytesIO(data)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (166, 27, 27)).save(out, "PNG")
    return out.getvalue()


def arguments(rule, rich, world) -> dict:
    """Values for the parts of a rule's URL, naming real objects of the rich world."""
    case = rich["case"]
    values = {
        "case_id": case.id,
        "attachment_id": rich["attachment"].id,
        "document_id": rich["document"].id,
        "agreement_id": rich["agreement"].id,
        "user_id": world["mediator1"].id,
        "org_id": world.committees["东街"].id,
        "code": rich["document"].code,
        "filename": "css/app.css",
        "name": "accept",
        "confirmation_id": 1,
        "reminder_id": 1,
    }
    if "record_id" in rule.arguments:
        kind = "investigation" if "investigation" in rule.endpoint else "session"
        values["record_id"] = rich[kind].id
    for name in rule.arguments - set(values):
        if name.endswith("_id"):  # an id nothing here names: its 404 page is checked too
            values[name] = 1
    missing = rule.arguments - set(values)
    assert not missing, f"{rule.rule}: give test values for {missing}"
    return {a: values[a] for a in rule.arguments}


def get_urls(app, rich, world) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        args = arguments(rule, rich, world)
        variants = [args]
        if "case_id" in args:  # the reported case too: it is editable, the agreed one is not
            variants.append({**args, "case_id": rich["grid_case"].id})
        for values in variants:
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **values)
            urls.append((rule.endpoint, url.replace("http://localhost", "")))
    return sorted(set(urls))


def check(response, endpoint: str, url: str, who: str) -> None:
    where = (who, url, response.status_code)
    headers = response.headers
    if endpoint == "records.download" and response.status_code == 200:
        # An upload is served sandboxed, and may not be framed either.
        assert headers["Content-Security-Policy"] == "sandbox; frame-ancestors 'none'", where
    else:
        assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    if endpoint != "static":
        assert "no-store" in headers.get("Cache-Control", ""), where
    for cookie in headers.getlist("Set-Cookie"):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, (where, cookie)
    if response.mimetype == "text/html":
        assert inline_code(response.get_data(as_text=True)) == [], where


def resident(app, case):
    c = app.test_client()
    response = c.post("/portal", data={"number": case.number, "proof": ID_MALE[-6:]})
    assert response.status_code == 302
    return c


def test_every_route_sends_the_security_headers_and_no_inline_code(app, world, login, rich):
    urls = get_urls(app, rich, world)
    endpoints = {e for e, _ in urls}
    assert {"cases.show", "portal.document", "documents.download", "records.download"} <= (
        endpoints
    )
    clients = {name: login(name) for name in ROLES}
    clients["anonymous"] = app.test_client()
    clients["resident"] = resident(app, rich["case"])
    answered = set()
    for who, c in clients.items():
        for endpoint, url in urls:
            response = c.get(url)
            check(response, endpoint, url, who)
            if response.status_code < 400:
                answered.add(endpoint)
            response.close()
    # Every GET route was seen answering (a page, a file or a redirect), not only refusing;
    # the JSON API's answer with a client's token (test_api.py), here they are 401 or 404.
    token_only = {e for e in endpoints if e.startswith("api.")} - {"api.openapi", "api.docs"}
    assert answered == endpoints - token_only, endpoints - answered


def test_every_post_route_sends_the_security_headers(app, world, login, rich):
    """Refusals, redirects and re-rendered forms answer with the same headers: every route
    that takes a POST, posted empty (with a valid CSRF token) by a handler and anonymously."""
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    # Logging out last: the handler's client stays signed in for the others.
    rules.sort(key=lambda r: r.endpoint == "auth.logout")
    assert len(rules) >= 30
    clients = {"mediator1": login("mediator1"), "anonymous": app.test_client()}
    for rule in rules:
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **arguments(rule, rich, world))
        url = url.replace("http://localhost", "")
        for who, c in clients.items():
            response = c.post(url, data={})
            check(response, rule.endpoint, url, who)
            assert response.status_code < 500, (who, url)


def test_error_pages_and_posts_send_the_headers_too(app, world, login, rich):
    c = login("mediator1")
    check(c.get("/no-such-page"), "", "/no-such-page", "mediator1")
    response = c.post(f"/cases/{rich['case'].id}/actions/accept", data={})
    check(response, "cases.act", "POST", "mediator1")
    check(app.test_client().post("/login", data={}), "auth.login", "POST /login", "anonymous")


def test_static_files_may_be_cached_but_pages_may_not(app, world, login):
    c = login("director1")
    static = c.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()
    assert c.get("/cases").headers["Cache-Control"] == "no-store"


def test_closing_and_archiving_pages_cannot_be_framed(world, login):
    """结案 and 归档 are one-click buttons on the case page: no other site may frame it."""
    case = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    response = login("director1").get(f"/cases/{case.id}")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
