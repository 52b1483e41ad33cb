"""Every post is done once: a repeat of the same form (double click, Back and submit again,
a retry) shows the first one's result; conflicts are a 409 in Chinese, never a 500."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from test_agreements import WRITTEN, agreed, effective, followed_up, mediating, with_session
from test_intake import intake_form
from test_records import session_form

from mediation import submissions
from mediation.extensions import db
from mediation.models import (
    Agreement,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    FollowUp,
    Performance,
    SessionRecord,
    Submission,
)
from mediation.models.base import local_today, utcnow

from factories import make_case
from htmlform import form_values

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def token_of(html: str, form_class: str) -> str:
    return form_values(html, form_class)["submission"]


def followed(c, response) -> str:
    assert response.status_code == 302, response.status_code
    return c.get(response.headers["Location"]).get_data(as_text=True)


# --- Every form carries a token; every post is covered ------------------------------------


def test_every_post_form_in_the_templates_uses_the_csrf_macro():
    """The token comes with {{ csrf() }}; a form drawing its own hidden tags would lack it."""
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I):
            if re.search(r'method="post"', form, re.I) and "{{ csrf(" not in form:
                missing.append(str(path.relative_to(TEMPLATES)))
    assert missing == []


def test_every_post_route_is_done_once_or_named_repeatable(app):
    """Each POST endpoint is wrapped by submissions, or listed in REPEATABLE with a reason."""
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        assert rule.endpoint in submissions.REPEATABLE or hasattr(view, "__wrapped__"), rule


def test_every_post_form_on_the_pages_carries_a_token(world, login, client):
    """The forms actually drawn (case page in several states, each role's pages, the public
    ones): each posts a one-time token, and between them they reach the POST routes."""
    reached, checked = set(), 0
    case = with_session(mediating(world), world["mediator1"])
    done = effective(world)
    signing, unperformed = agreed(world), followed_up(world, Performance.NOT_PERFORMED)
    adapter = client.application.url_map.bind("localhost")
    pages = {
        "director1": [f"/cases/{case.id}", f"/cases/{done.id}", "/cases/new", "/password"],
        "mediator1": [
            f"/cases/{case.id}", f"/cases/{case.id}/sessions/new",
            f"/cases/{case.id}/sessions/{case.session_records[0].id}",
            f"/cases/{case.id}/investigations/new", f"/cases/{case.id}/agreement/new",
            f"/cases/{done.id}", f"/cases/{done.id}/follow-ups/new", f"/cases/{case.id}/edit",
            f"/cases/{signing.id}", f"/cases/{unperformed.id}",
        ],
        "admin": ["/admin/users/new", "/admin/orgs/new"],
        None: ["/login", "/portal"],
    }  # fmt: skip
    for user, urls in pages.items():
        c = login(user) if user else client
        for url in urls:
            html = c.get(url).get_data(as_text=True)
            for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
                head = form[: form.index(">")]
                if 'method="post"' not in head:
                    continue
                assert 'name="submission"' in form, (url, head)
                action = re.search(r'action="([^"]*)"', head)
                target = urlsplit(action.group(1) if action else url).path
                endpoint, _ = adapter.match(target, method="POST")
                reached.add(endpoint)
                checked += 1
    assert checked > 20
    expected = {
        "cases.new", "cases.act", "cases.refusal", "cases.personal", "records.new_session",
        "agreements.new_agreement", "agreements.new_follow_up", "agreements.signed",
        "agreements.court_referral", "auth.logout", "admin.user_form", "handling.recusal",
        "documents.generate",
    }  # fmt: skip
    for endpoint in expected:
        assert endpoint in reached


# --- A repeat shows the first one's result ------------------------------------------------


def test_registration_posted_twice_registers_one_case(world, login):
    c = login("mediator1")
    token = token_of(c.get("/cases/new").get_data(as_text=True), "case-form")
    data = {**intake_form(), "submission": token}
    first = c.post("/cases/new", data=data)
    again = c.post("/cases/new", data=data)  # the double click, or Back and 登记 again
    assert count(Case) == 1
    case = db.session.scalars(select(Case)).one()
    assert first.headers["Location"] == again.headers["Location"]
    page = followed(c, again)
    assert f"已登记案件 {case.number}。" in page
    # A new form with another dispute is a new registration.
    other = {**intake_form(summary="另一起纠纷：院墙倒塌。"), "submission": "another-form"}
    assert c.post("/cases/new", data=other).status_code == 302 and count(Case) == 2


def test_back_and_submit_again_with_a_form_drawn_anew_is_still_one_post(world, login):
    """Without JavaScript and the browser's page cache, Back draws the form again with a new
    token; the browser refills what was typed. The same content again is the same post."""
    case = mediating(world)
    c = login("mediator1")
    url = f"/cases/{case.id}/sessions/new"
    data = session_form()
    first = c.post(
        url, data={**data, "submission": token_of(c.get(url).get_data(True), "record-form")}
    )
    again = c.post(
        url, data={**data, "submission": token_of(c.get(url).get_data(True), "record-form")}
    )
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(SessionRecord) == 1
    page = followed(c, again)
    assert "已保存调解记录" in page and "未重复保存" in page
    # Other content is another record.
    other = {**data, "submission": "third-form", "place": "村委会二楼调解室"}
    assert c.post(url, data=other).status_code == 302 and count(SessionRecord) == 2


def test_a_refused_post_can_be_corrected_and_sent_again(world, login):
    c = login("mediator1")
    data = {**intake_form(summary=""), "submission": "one-form"}
    assert c.post("/cases/new", data=data).status_code == 400
    assert count(Submission) == 0  # the refusal gave its claim up
    data["summary"] = "楼上漏水。"
    assert c.post("/cases/new", data=data).status_code == 302 and count(Case) == 1


def test_repeated_accept_shows_the_first_success_not_a_refusal(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    data = {"submission": "accept-click"}
    c.post(f"/cases/{case.id}/actions/accept", data=data)
    page = followed(c, c.post(f"/cases/{case.id}/actions/accept", data=data))
    assert "已受理：案件现为“已受理”。" in page
    assert "不能执行“受理”" not in page
    transitions = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id,
                                CaseEvent.kind == EventKind.TRANSITION)
    ).all()  # fmt: skip
    assert len(transitions) == 1


def test_session_record_saved_twice_is_one_record(world, login):
    case = mediating(world)
    c = login("mediator1")
    url = f"/cases/{case.id}/sessions/new"
    data = {**session_form(), "submission": token_of(c.get(url).get_data(True), "record-form")}
    first, again = c.post(url, data=data), c.post(url, data=data)
    assert first.headers["Location"] == again.headers["Location"]
    assert count(SessionRecord) == 1
    assert "已保存调解记录" in followed(c, again)


def test_follow_up_saved_twice_is_one_follow_up(world, login):
    case = effective(world)
    c = login("mediator1")
    url = f"/cases/{case.id}/follow-ups/new"
    data = {
        "visited_on": local_today().isoformat(), "visited": "张三、李四",
        "satisfaction": "satisfied", "opinions": "",
        **{f"performances-{i}-term_id": str(t.id) for i, t in enumerate(case.agreement.terms)},
        **{f"performances-{i}-status": "performed" for i in range(len(case.agreement.terms))},
        "submission": "follow-up-form",
    }  # fmt: skip
    first, again = c.post(url, data=data), c.post(url, data=data)
    assert first.status_code == again.status_code == 302
    assert count(FollowUp) == 1


def agreement_form(**extra) -> dict:
    deadline = (local_today() + timedelta(days=7)).isoformat()
    return {"kind": "written", **WRITTEN, "terms-0-obligor": "李四", "terms-0-obligee": "张三",
            "terms-0-content": "赔偿维修费", "terms-0-amount": "3000", "terms-0-manner": "转账",
            "terms-0-deadline": deadline, **extra}  # fmt: skip


def test_agreement_saved_twice_is_one_agreement(world, login):
    case = with_session(mediating(world), world["mediator1"])
    c = login("mediator1")
    url = f"/cases/{case.id}/agreement/new"
    data = agreement_form(submission="agreement-form")
    first, again = c.post(url, data=data), c.post(url, data=data)
    assert first.status_code == again.status_code == 302
    assert count(Agreement) == 1
    assert "已记录调解协议" in followed(c, again)


def test_agreement_refused_by_the_case_state_is_a_refusal_not_a_500(world, login):
    """reach_agreement used to expunge an agreement the session no longer held: any state
    refusal (a second 保存协议 from another form, a case not in 调解中) was a 500."""
    case = with_session(mediating(world), world["mediator1"])
    c = login("mediator1")
    url = f"/cases/{case.id}/agreement/new"
    assert c.post(url, data=agreement_form()).status_code == 302
    again = c.post(url, data=agreement_form())  # another form, no shared token
    assert again.status_code == 409
    assert "案件当前状态为“已达成协议”，不能执行“达成协议”" in again.get_data(True)
    assert "赔偿维修费" in again.get_data(True)  # what was typed is still there
    fresh = make_case(world["mediator1"])  # still 申请
    refused = c.post(f"/cases/{fresh.id}/agreement/new", data=agreement_form())
    assert refused.status_code == 409 and count(Agreement) == 1


def test_another_users_token_is_not_answered(world, login):
    c = login("mediator1")
    data = {**intake_form(), "submission": "mine"}
    assert c.post("/cases/new", data=data).status_code == 302
    response = login("director1").post("/cases/new", data=data)
    assert response.status_code == 409 and "该表单不是为您生成的" in response.get_data(True)
    assert count(Case) == 1


def test_posts_without_a_token_run_as_before(world, login):
    c = login("mediator1")
    assert c.post("/cases/new", data=intake_form()).status_code == 302
    assert c.post("/cases/new", data=intake_form()).status_code == 302
    assert count(Case) == 2


def test_old_tokens_are_forgotten(world, login):
    c = login("mediator1")
    c.post("/cases/new", data={**intake_form(), "submission": "old"})
    db.session.execute(db.update(Submission).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    c.post("/cases/new", data={**intake_form(), "submission": "new"})
    assert [s.token for s in db.session.scalars(select(Submission))] == ["new"]


# --- Conflicts are 409 --------------------------------------------------------------------


def test_stale_version_anywhere_is_a_409_in_chinese(world, login, monkeypatch):
    case = make_case(world["mediator1"])
    c = login("mediator1")

    def stale(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s)")

    monkeypatch.setattr("mediation.cases.service.apply_action", stale)
    response = c.post(f"/cases/{case.id}/actions/accept", data={"submission": "x"})
    assert response.status_code == 409
    assert "刚刚已被他人" in response.get_data(as_text=True)
    assert count(Submission) == 0  # refused: the same form may be sent again
    monkeypatch.undo()
    assert c.post(f"/cases/{case.id}/actions/accept", data={"submission": "x"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.ACCEPTED


def raising(error):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_unique_key_race_and_locked_database_are_409_not_500(world, login, monkeypatch):
    """Outside the case page's own forms (which re-run a lost race, then refuse next to the
    form), a conflict still reaches the person as a 409 page in Chinese."""
    case = make_case(world["mediator1"])
    c = login("mediator1")
    url = f"/cases/{case.id}/personal"
    for error in (
        IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")),
        OperationalError("UPDATE", {}, Exception("database is locked")),
        OperationalError("UPDATE", {}, Exception("could not serialize access")),
    ):
        monkeypatch.setattr("mediation.cases.service.reveal_personal_data", raising(error))
        response = c.post(url, data={"submission": token_of_case_page(c, case)})
        assert response.status_code == 409, error
        assert "操作冲突" in response.get_data(as_text=True)
    assert count(Submission) == 0  # each refused: the same form may be sent again


def token_of_case_page(c, case) -> str:
    html = c.get(f"/cases/{case.id}").get_data(as_text=True)
    return re.search(r'name="submission" value="([^"]+)"', html).group(1)
