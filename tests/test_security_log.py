"""The security log: refused case URLs, downloads and exports are recorded on the keyed
chain, never with an ID number or a phone; only administrators read it at /admin/security."""

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from mediation.audit.security import record_security_event
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import AttachmentKind, SecurityEvent
from mediation.records.attachments import store_attachment

from factories import make_case


def entries(kind: str) -> list[SecurityEvent]:
    db.session.expire_all()
    query = db.select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.seq)
    return list(db.session.scalars(query))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def test_a_refused_case_url_is_logged_though_it_answers_404(world, login):
    case = make_case(world["mediator1"])
    outsider = login("mediator2")  # 河西: the case is 东街's
    assert outsider.get(f"/cases/{case.id}").status_code == 404
    assert outsider.post(f"/cases/{case.id}/personal", data={}).status_code == 404
    refused = entries("case_refused")
    assert [e.target for e in refused] == [f"case:{case.id}", f"case:{case.id}"]
    assert refused[0].user.username == "mediator2" and refused[0].username == "mediator2"
    assert refused[0].address == "127.0.0.1"
    assert refused[1].detail == {"请求": f"POST /cases/{case.id}/personal"}
    assert login("mediator1").get(f"/cases/{case.id}").status_code == 200
    assert len(entries("case_refused")) == 2


def test_downloads_and_exports_are_logged(world, login):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    cases.apply_action(case, world["mediator1"], "start_mediation")
    upload = FileStorage(io.BytesIO(png()), filename="现场.png")
    attachment = store_attachment(case, world["mediator1"], upload, AttachmentKind.PHOTO)
    assert (
        login("mediator1").get(f"/cases/{case.id}/attachments/{attachment.id}").status_code == 200
    )
    [download] = entries("download")
    assert download.target == f"attachment:{attachment.id}"
    assert download.detail == {"案件": case.number, "文件": "现场.png"}
    response = login("auditor0").get("/statistics.xlsx?kind=year&year=2026")
    assert response.status_code == 200
    [export] = entries("export")
    assert export.user.username == "auditor0" and export.detail["期间"]
    result = db.session.get(SecurityEvent, export.id)
    assert result.seq > download.seq


def test_the_security_log_never_keeps_an_id_number_or_a_phone(app, world):
    record_security_event(
        "login_failed", username="13812345678", detail={"输入": "110101199003074514"}
    )
    db.session.commit()
    [entry] = entries("login_failed")
    assert "13812345678" not in entry.username and "110101199003074514" not in str(entry.detail)
    assert entry.user_id is None and entry.address == ""


@pytest.mark.parametrize("username", ["director1", "mediator1", "grid1", "auditor0", "auditor1"])
def test_only_administrators_read_the_security_log(world, login, username):
    assert login(username).get("/admin/security").status_code == 403


def test_the_security_log_page_searches_and_shows_the_chain_intact(world, login):
    make_case(world["mediator1"])
    login("mediator2").get("/cases/1")
    record_security_event("login", user=world["admin"])
    db.session.commit()
    c = login("admin")
    page = c.get("/admin/security").get_data(as_text=True)
    assert "本页记录校验完整" in page and "拒绝访问案件" in page and "case:1" in page
    assert 'href="/admin/security"' in c.get("/admin/users").get_data(as_text=True)
    only = c.get("/admin/security?kind=login&username=admin").get_data(as_text=True)
    assert "登录" in only and "case:1" not in only
    dated = c.get("/admin/security?date_from=2000-01-01&date_to=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录" in dated
    assert c.get("/admin/security?date_from=garbage").status_code == 200
    by_address = c.get("/admin/security?address=127.0.").get_data(as_text=True)
    assert "case:1" in by_address

    entry = entries("case_refused")[0]
    entry.target = "case:2"
    db.session.commit()
    page = c.get("/admin/security").get_data(as_text=True)
    assert "日志校验未通过" in page and "内容被修改" in page


def test_the_security_log_asks_a_visitor_to_sign_in(world, client):
    response = client.get("/admin/security")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
