"""Login, lockout, idle expiry, password change and production-mode refusals."""

from datetime import UTC, datetime, timedelta

import pytest

from mediation import create_app
from mediation.auth.service import DEMO_PASSWORD
from mediation.extensions import db
from mediation.models import User


def test_login_and_logout(world, client):
    response = client.post("/login", data={"username": "mediator1", "password": "secret123"})
    assert response.status_code == 302
    page = client.get("/cases").get_data(as_text=True)
    assert "李调解 · 人民调解员" in page
    response = client.post("/logout", data={})
    assert response.status_code == 302
    assert client.get("/cases").status_code == 302  # back to the login page


def test_wrong_password_says_how_many_tries_are_left(world, client):
    response = client.post("/login", data={"username": "mediator1", "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码不正确。再输错4次账户将被锁定。" in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_message(world, client):
    response = client.post("/login", data={"username": "nobody", "password": "x"})
    assert "用户名或密码不正确。" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_for_fifteen_minutes(world, client):
    for _ in range(4):
        client.post("/login", data={"username": "mediator1", "password": "nope"})
    page = client.post("/login", data={"username": "mediator1", "password": "nope"})
    assert "密码已连续输错5次，账户已锁定15分钟" in page.get_data(as_text=True)
    # Even the right password is refused while locked, and the page says until when.
    page = client.post("/login", data={"username": "mediator1", "password": "secret123"})
    assert page.status_code == 401
    assert "账户已锁定，请于" in page.get_data(as_text=True)
    user = db.session.scalar(db.select(User).where(User.username == "mediator1"))
    db.session.refresh(user)
    assert user.locked_until - datetime.now(UTC) > timedelta(minutes=14)
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # fifteen minutes later
    db.session.commit()
    response = client.post("/login", data={"username": "mediator1", "password": "secret123"})
    assert response.status_code == 302


def test_idle_session_expires_after_thirty_minutes(world, login):
    c = login("mediator1")
    assert c.get("/cases").status_code == 200
    with c.session_transaction() as session:
        session["last_seen"] -= 29 * 60
    assert c.get("/cases").status_code == 200  # still active, and the clock restarts
    with c.session_transaction() as session:
        session["last_seen"] -= 31 * 60
    response = c.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "长时间未操作" in page


def test_change_password(world, login):
    c = login("mediator1")
    bad = c.post("/password", data={"current": "secret123", "new": "short", "confirm": "short"})
    assert "新密码至少8位。" in bad.get_data(as_text=True)
    data = {"current": "x", "new": "newpass2026", "confirm": "newpass2026"}
    wrong = c.post("/password", data=data)
    assert "当前密码不正确。" in wrong.get_data(as_text=True)
    ok = c.post("/password", data={"current": "secret123", "new": "newpass2026",
                                   "confirm": "newpass2026"})  # fmt: skip
    assert ok.status_code == 302
    assert login("mediator1", "newpass2026")


def test_login_redirects_back_but_never_off_site(world, client):
    data = {"username": "mediator1", "password": "secret123"}
    response = client.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_csrf_token_is_required_on_login(world, client):
    data = {"username": "mediator1", "password": "secret123", "csrf_token": "bad"}
    assert client.post("/login", data=data).status_code == 400


def test_production_refuses_the_demo_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"MEDIATION_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_demo_passwords(app, world, client):
    user = world["mediator1"]
    user.set_password(DEMO_PASSWORD)
    db.session.commit()
    app.config["MEDIATION_ENV"] = "production"
    response = client.post("/login", data={"username": "mediator1", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    assert "生产环境不允许使用演示密码" in response.get_data(as_text=True)


def test_disabled_account_cannot_log_in(world, client):
    world["mediator1"].active = False
    db.session.commit()
    response = client.post("/login", data={"username": "mediator1", "password": "secret123"})
    assert "该账户已停用" in response.get_data(as_text=True)
