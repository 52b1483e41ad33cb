"""Login, server-side sessions, throttling, safe defaults and production-mode refusals."""

import re
import stat
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import select
from waitress.server import create_server

from mediation import create_app
from mediation.auth import service as auth
from mediation.auth.service import DEMO_PASSWORD, REFUSED
from mediation.auth.views import safe_next
from mediation.config import PUBLIC_DEMO_KEY, Config, dev_secret_key
from mediation.extensions import db
from mediation.models import AdminEvent, User, UserSession
from mediation.models.base import frozen_time

from htmlform import form_values

RIGHT = {"username": "mediator1", "password": "secret123"}
WRONG = {"username": "mediator1", "password": "nope"}
LONG_KEY = "k" * 32


def copy_of(app, c):
    """Another browser holding a copy of `c`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", c.get_cookie("session").value)
    return thief


def signed_in(c) -> bool:
    return c.get("/cases").status_code == 200


def alert(response) -> str:
    found = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


# --- Sessions live on the server ------------------------------------------------------------


def test_login_and_logout(world, client):
    response = client.post("/login", data=RIGHT)
    assert response.status_code == 302
    page = client.get("/cases").get_data(as_text=True)
    assert "李调解 · 人民调解员" in page
    response = client.post("/logout", data={})
    assert response.status_code == 302
    assert client.get("/cases").status_code == 302  # back to the login page


def test_a_saved_cookie_is_dead_after_logout(app, world, login):
    c = login("mediator1")
    thief = copy_of(app, c)
    assert signed_in(thief)  # the copy works while the session lives...
    c.post("/logout", data={})
    assert not signed_in(thief)  # ...and not after 退出
    assert "本次登录已结束" in thief.get("/cases", follow_redirects=True).get_data(True)
    row = db.session.scalar(select(UserSession))
    assert row.ended_at is not None and row.end_reason == "logout"


def test_a_password_change_ends_the_other_sessions(app, world, login):
    here, elsewhere = login("mediator1"), login("mediator1")
    thief = copy_of(app, elsewhere)
    data = {"current": "secret123", "new": "newpass2026", "confirm": "newpass2026"}
    response = here.post("/password", data=data)
    assert response.status_code == 302
    assert "其他设备上的1个登录已退出" in here.get("/", follow_redirects=True).get_data(True)
    assert signed_in(here)
    assert not signed_in(elsewhere) and not signed_in(thief)


def test_disabling_an_account_ends_its_sessions(app, world, login):
    user = world["mediator1"]
    c = login("mediator1")
    admin = login("admin")
    values = form_values(admin.get(f"/admin/users/{user.id}").get_data(True), "card")
    values.pop("active")
    assert admin.post(f"/admin/users/{user.id}", data=values).status_code == 302
    assert not signed_in(c)


def test_sign_out_everywhere_ends_every_session_of_the_account(app, world, login):
    user = world["mediator1"]
    phone, desk = login("mediator1"), login("mediator1")
    other = login("mediator2")
    admin = login("admin")
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "强制下线" in page and "当前有 2 个登录会话" in page
    response = admin.post(f"/admin/users/{user.id}/sign-out", data={})
    assert response.status_code == 302
    assert "结束了2个登录会话" in admin.get(response.headers["Location"]).get_data(True)
    assert not signed_in(phone) and not signed_in(desk)
    assert signed_in(other) and admin.get("/admin/users").status_code == 200
    entry = db.session.scalar(select(AdminEvent).where(AdminEvent.action == "sign_out_user"))
    assert entry is not None and entry.target == f"user:{user.id}"
    # Only an administrator may do it, and only with the form's token.
    assert other.post(f"/admin/users/{user.id}/sign-out", data={}).status_code == 403
    bad = admin.post(f"/admin/users/{user.id}/sign-out", data={"csrf_token": "x"})
    assert bad.status_code == 400


def test_every_login_gets_a_new_session_id(app, world, client):
    client.get("/login")
    planted = copy_of(app, client)  # the cookie a fixation attacker would plant
    with client.session_transaction() as session:
        session["sid"] = "chosen-by-the-attacker"
    client.post("/login", data=RIGHT)
    with client.session_transaction() as session:
        first = session["sid"]
    assert first != "chosen-by-the-attacker"
    assert not signed_in(planted)
    client.post("/logout", data={})
    client.post("/login", data=RIGHT)
    with client.session_transaction() as session:
        assert session["sid"] != first
    tokens = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(tokens) == 2 and first not in tokens  # only hashes are stored


def test_an_idle_session_ends_after_thirty_minutes_on_the_server(app, world, client):
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with frozen_time(start):
        client.post("/login", data=RIGHT)
    with frozen_time(start + timedelta(minutes=29)):
        assert signed_in(client)  # still active, and the clock restarts
    with frozen_time(start + timedelta(minutes=58)):
        assert signed_in(client)
    with frozen_time(start + timedelta(minutes=89)):
        response = client.get("/cases")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "长时间未操作" in page
    row = db.session.scalar(select(UserSession))
    assert row.end_reason == "idle"


def test_a_session_ends_twelve_hours_after_login_however_busy(app, world, client):
    app.config["SESSION_IDLE_MINUTES"] = 24 * 60
    start = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    with frozen_time(start):
        client.post("/login", data=RIGHT)
    with frozen_time(start + timedelta(hours=11, minutes=59)):
        assert signed_in(client)
    with frozen_time(start + timedelta(hours=12, minutes=1)):
        page = client.get("/cases", follow_redirects=True).get_data(as_text=True)
    assert "本次登录已满规定时长" in page and 'name="password"' in page
    assert db.session.scalar(select(UserSession)).end_reason == "absolute"


def test_last_seen_is_written_at_most_once_a_minute(app, world, client):
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with frozen_time(start):
        client.post("/login", data=RIGHT)
    with frozen_time(start + timedelta(seconds=30)):
        assert signed_in(client)
    row = db.session.scalar(select(UserSession))
    assert row.last_seen_at == start
    with frozen_time(start + timedelta(minutes=2)):
        assert signed_in(client)
    db.session.refresh(row)
    assert row.last_seen_at == start + timedelta(minutes=2)


# --- Cookies ------------------------------------------------------------------------------


def session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_cookies_are_secure_over_https_and_httponly_samesite_always(app, world, client):
    plain = session_cookie(client.get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = app.test_client()
    response = secure.post("/login", data=RIGHT, base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)
    assert not any(c.startswith("remember_token=") for c in cookies)  # no "remember me"


def test_cookies_are_secure_in_production(tmp_path):
    app = create_app(
        {
            "MEDIATION_ENV": "production",
            "SECRET_KEY": LONG_KEY,
            "AUDIT_KEY": "a" * 64,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        }
    )
    cookie = session_cookie(app.test_client().get("/login"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- Safe defaults ------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "x", "short-but-not-32-bytes", PUBLIC_DEMO_KEY])
def test_production_refuses_a_missing_short_or_public_secret_key(key):
    config = {"MEDIATION_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**config, "SECRET_KEY": key})


def test_production_accepts_a_key_of_32_bytes():
    app = create_app(
        {
            "MEDIATION_ENV": "production",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": LONG_KEY,
            "AUDIT_KEY": "a" * 64,
        }
    )
    assert app.secret_key == LONG_KEY


def test_development_generates_its_own_key_in_the_instance_folder(tmp_path):
    assert Config.SECRET_KEY is None  # no public key to fall back on
    key = dev_secret_key(str(tmp_path))
    path = tmp_path / "secret.key"
    assert len(key) >= 32 and key != PUBLIC_DEMO_KEY and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dev_secret_key(str(tmp_path)) == key  # the next start reads it back
    assert dev_secret_key(str(tmp_path / "another")) != key


def test_make_serve_is_production():
    with open("Makefile") as handle:
        makefile = handle.read()
    assert "serve: export MEDIATION_ENV := production" in makefile


# --- Redirect after login -----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "////evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/%2F/evil.example/",
        "%2F%2Fevil.example",
        "/%252F/evil.example",
        "https://evil.example/x",
        "http:evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
        "\\\\evil.example",
    ],
)
def test_login_never_redirects_off_site(world, client, target):
    response = client.post("/login?" + urllib.parse.urlencode({"next": target}), data=RIGHT)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_login_redirects_back_to_a_page_of_the_site(world, client):
    response = client.post("/login?next=/cases%3Fq%3D1", data=RIGHT)
    assert response.headers["Location"] == "/cases?q=1"


def test_safe_next_accepts_only_same_site_paths(app):
    with app.test_request_context():
        assert safe_next("/cases/3") == "/cases/3"
        assert safe_next("//x") == safe_next(None) == "/"


# --- One answer for every refusal ---------------------------------------------------------


def test_unknown_and_known_users_get_the_same_answer(app, world, client):
    known = client.post("/login", data=WRONG)
    unknown = client.post("/login", data={"username": "nobody", "password": "nope"})
    world["mediator2"].active = False
    db.session.commit()
    disabled = client.post("/login", data={"username": "mediator2", "password": "secret123"})
    assert known.status_code == unknown.status_code == disabled.status_code == 401
    assert alert(known) == alert(unknown) == alert(disabled) == REFUSED
    assert "次" not in REFUSED  # no count of tries left


def test_an_unknown_user_costs_a_password_hash_too(app, world, client, monkeypatch):
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    client.post("/login", data={"username": "nobody", "password": "nope"})
    method = app.config["PASSWORD_HASH_METHOD"].split(":")[0]
    assert len(checked) == 1 and checked[0].startswith(method)


def test_disabled_account_cannot_log_in(world, client):
    world["mediator1"].active = False
    db.session.commit()
    response = client.post("/login", data=RIGHT)
    assert response.status_code == 401 and alert(response) == REFUSED


def test_production_refuses_demo_passwords(app, world, client):
    user = world["mediator1"]
    user.set_password(DEMO_PASSWORD)
    db.session.commit()
    app.config["MEDIATION_ENV"] = "production"
    response = client.post("/login", data={"username": "mediator1", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    assert "生产环境不允许使用演示密码" in response.get_data(as_text=True)


def test_csrf_token_is_required_on_login(world, client):
    assert client.post("/login", data={**RIGHT, "csrf_token": "bad"}).status_code == 400


# --- Throttling ---------------------------------------------------------------------------


def test_throttling_answers_429_after_the_limit(app, world, client):
    for _ in range(5):
        assert client.post("/login", data=WRONG).status_code == 401
    response = client.post("/login", data=WRONG)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "登录尝试过于频繁" in alert(response)
    # An unknown username is held exactly alike: the answer tells nothing about which exist.
    for _ in range(5):
        client.post("/login", data={"username": "nobody", "password": "nope"})
    assert client.post("/login", data={"username": "nobody", "password": "x"}).status_code == 429
    # The wait doubles with each further failure, up to LOGIN_LOCK_MINUTES.
    start = datetime.now(UTC)
    with frozen_time(start + timedelta(minutes=1, seconds=1)):
        assert client.post("/login", data=WRONG).status_code == 401
        waiting = client.post("/login", data=WRONG)
    assert 60 < int(waiting.headers["Retry-After"]) <= 120


def test_one_address_is_slowed_after_many_failures(app, world, client):
    app.config["LOGIN_ADDRESS_FAILURES"] = 20
    for n in range(20):  # a different username each time: only the address limit applies
        data = {"username": f"guess{n}", "password": "nope"}
        assert client.post("/login", data=data).status_code == 401
    response = client.post("/login", data={"username": "guess99", "password": "nope"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    elsewhere = app.test_client()
    response = elsewhere.post("/login", data=RIGHT, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_a_strangers_failures_do_not_lock_out_the_owner_on_a_known_browser(app, world, login):
    owner = login("mediator1")  # signs in once: this browser is now known for the account
    owner.post("/logout", data={})
    stranger = app.test_client()
    for _ in range(8):
        stranger.post("/login", data=WRONG, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    # The stranger is held even with the right password...
    held = stranger.post("/login", data=RIGHT, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert held.status_code == 429
    # ...the owner on their own browser is not, and the wrong password still fails there.
    assert owner.post("/login", data=WRONG).status_code == 401
    assert owner.post("/login", data=RIGHT).status_code == 302
    assert signed_in(owner)


def test_admin_sees_and_lifts_a_login_lock(app, world, login, client):
    user = world["mediator1"]
    for _ in range(5):
        client.post("/login", data=WRONG)
    admin = login("admin")
    assert "已锁定" in admin.get("/admin/users").get_data(as_text=True)
    values = form_values(admin.get(f"/admin/users/{user.id}").get_data(True), "card")
    values["unlock"] = "y"
    assert admin.post(f"/admin/users/{user.id}", data=values).status_code == 302
    assert "已锁定" not in admin.get("/admin/users").get_data(as_text=True)
    assert client.post("/login", data=RIGHT).status_code == 302


# --- Password change ----------------------------------------------------------------------


def test_change_password(world, login):
    c = login("mediator1")
    bad = c.post("/password", data={"current": "secret123", "new": "short", "confirm": "short"})
    assert "新密码至少8位。" in bad.get_data(as_text=True)
    data = {"current": "x", "new": "newpass2026", "confirm": "newpass2026"}
    wrong = c.post("/password", data=data)
    assert "当前密码不正确。" in wrong.get_data(as_text=True)
    data["current"] = "secret123"
    assert c.post("/password", data=data).status_code == 302
    assert login("mediator1", "newpass2026")


# --- Two logins at once -------------------------------------------------------------------


def _browser_login(base: str, results: list, barrier: threading.Barrier) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    html = opener.open(f"{base}/login", timeout=20).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({**RIGHT, "csrf_token": token}).encode()
    barrier.wait(timeout=20)
    try:
        with opener.open(f"{base}/login", data=body, timeout=20) as response:
            results.append(response.status)
    except urllib.error.HTTPError as answer:
        results.append(answer.code)


def test_two_simultaneous_logins_to_one_account_both_succeed(app, world):
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.effective_port}"
        for _ in range(3):
            results: list[int] = []
            barrier = threading.Barrier(2)
            logins = [
                threading.Thread(target=_browser_login, args=(base, results, barrier))
                for _ in range(2)
            ]
            for t in logins:
                t.start()
            for t in logins:
                t.join(timeout=30)
            assert results == [302, 302]
    finally:
        server.close()
        thread.join(timeout=5)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "mediator1")).last_login_at
    assert len(db.session.scalars(select(UserSession)).all()) == 6
