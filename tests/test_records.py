"""Records (rule 5, Art. 27): session and investigation records with their attachments, and
invited participants (Art. 20), through the real app's pages, on both databases."""

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import update

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import Attachment, Case, CaseStatus, EventKind, SessionRecord
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.records import service as records
from mediation.records.attachments import read_file

from factories import make_case
from htmlform import form_values


def mediating(world, user: str = "mediator1") -> Case:
    case = make_case(world[user])
    cases.apply_action(case, world[user], "accept")
    cases.apply_action(case, world[user], "start_mediation")
    return case


def local(moment) -> str:
    """A moment as the browser's date-time input sends it (Beijing time)."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def session_form(**changes) -> dict:
    return {
        "held_at": local(utcnow() - timedelta(hours=2)),
        "place": "东街社区调解室",
        "mediators": "李调解",
        "attendees": "申请人张三；被申请人李四",
        "course": "张三称楼上漏水一月有余；李四同意检查防水层。调解员释明相邻关系的法律规定。",
        "result": "双方同意三日内共同请师傅查看。",
        **changes,
    }


def add_session(world, case, user: str = "mediator1", **changes):
    fields = session_form(**changes)
    fields["held_at"] = utcnow() - timedelta(hours=2)
    return records.record_session(case, world[user], fields)


def participant(**changes) -> dict:
    """The case page's invitation form as posted (its fields carry the form's prefix)."""
    fields = {"name": "王律师", "kind": "lawyer", "organisation": "", "consented": "y",
              "consent": "双方当事人同意", **changes}  # fmt: skip
    return {f"participant-{k}": v for k, v in fields.items() if v != ""}


def png(size: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (166, 27, 27)).save(out, "PNG")
    return out.getvalue() + b"\0" * size  # trailing bytes keep it a PNG, only larger


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (31, 95, 191)).save(out, "JPEG")
    return out.getvalue()


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, case, record, data: bytes, name: str, kind: str = "photo"):
    return client.post(
        f"/cases/{case.id}/sessions/{record.id}/attachments",
        data={"file": (io.BytesIO(data), name), "kind": kind},
        content_type="multipart/form-data",
    )


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_new_session_record_shows_on_the_case_page_and_timeline(world, login):
    case = mediating(world)
    c = login("mediator1")
    assert "＋ 新增调解记录" in page(c, f"/cases/{case.id}")
    form = form_values(page(c, f"/cases/{case.id}/sessions/new"), "record-form")
    assert form["mediators"] == "李调解" and "被申请人李四" in form["attendees"]
    response = c.post(f"/cases/{case.id}/sessions/new", data=session_form())
    assert response.status_code == 302
    record = db.session.get(Case, case.id).session_records[0]
    assert response.headers["Location"].endswith(f"/cases/{case.id}#session-{record.id}")
    shown = page(c, f"/cases/{case.id}")
    assert '调解记录 <small class="muted">1 份</small>' in shown
    assert "双方同意三日内共同请师傅查看。" in shown and "东街社区调解室" in shown
    db.session.expire_all()
    event = db.session.get(Case, case.id).events[-1]
    assert event.kind == EventKind.SESSION and event.user.username == "mediator1"
    assert event.details["地点"] == "东街社区调解室"
    assert "地点：东街社区调解室" in shown  # on the timeline, with who and when


def test_an_investigation_can_be_recorded_before_mediation_starts(world, login):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    c = login("mediator1")
    shown = page(c, f"/cases/{case.id}")
    assert "＋ 新增调查记录" in shown and "＋ 新增调解记录" not in shown
    assert "开始调解后即可填写。" in shown
    data = {
        "held_at": local(utcnow() - timedelta(days=1)),
        "place": "李四家中",
        "investigator": "李调解",
        "person_questioned": "王五（楼下邻居）",
        "content": "王五称近一个月常见楼道渗水。",
    }
    assert c.post(f"/cases/{case.id}/investigations/new", data=data).status_code == 302
    shown = page(c, f"/cases/{case.id}")
    assert "王五称近一个月常见楼道渗水。" in shown and "王五（楼下邻居）" in shown
    db.session.expire_all()
    assert db.session.get(Case, case.id).events[-1].kind == EventKind.INVESTIGATION
    # A session record waits for mediation to start.
    response = c.post(f"/cases/{case.id}/sessions/new", data=session_form())
    assert response.status_code == 409
    assert "案件当前状态为“已受理”，不能填写调解记录。" in response.get_data(as_text=True)


def test_a_future_session_time_is_refused_next_to_the_field_and_nothing_is_lost(world, login):
    case = mediating(world)
    c = login("mediator1")
    tomorrow = local(utcnow() + timedelta(days=1))
    response = c.post(f"/cases/{case.id}/sessions/new", data=session_form(held_at=tomorrow))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<p class="error" id="held_at-error">调解时间不能晚于现在。</p>' in html
    kept = form_values(html, "record-form")
    assert kept["held_at"] == tomorrow and kept["course"] == session_form()["course"]
    assert not db.session.get(Case, case.id).session_records


def test_missing_fields_are_named_in_chinese_next_to_them(world, login):
    case = mediating(world)
    response = login("mediator1").post(
        f"/cases/{case.id}/sessions/new", data=session_form(place=" ", held_at="")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<p class="error" id="place-error">请填写调解地点。</p>' in html
    assert '<p class="error" id="held_at-error">请填写调解时间。</p>' in html
    assert "楼上漏水一月有余" in html


def test_an_edit_shows_in_the_timeline_with_what_changed(world, login):
    case = mediating(world)
    record = add_session(world, case)
    c = login("director1")
    form = form_values(page(c, f"/cases/{case.id}/sessions/{record.id}"), "record-form")
    form["place"] = "社区会议室"
    assert c.post(f"/cases/{case.id}/sessions/{record.id}", data=form).status_code == 302
    db.session.expire_all()
    event = db.session.get(Case, case.id).events[-1]
    assert event.kind == EventKind.RECORD_EDITED and event.user.username == "director1"
    assert event.details["changes"] == {"调解地点": ["东街社区调解室", "社区会议室"]}
    assert "调解地点：东街社区调解室 → 社区会议室" in page(c, f"/cases/{case.id}")


def test_a_stale_edit_is_refused_keeps_what_was_typed_and_merges_the_rest(world, login):
    case = mediating(world)
    record = add_session(world, case)
    url = f"/cases/{case.id}/sessions/{record.id}"
    first, second = login("mediator1"), login("director1")
    tab_a = form_values(page(first, url), "record-form")
    tab_b = form_values(page(second, url), "record-form")

    tab_a["result"] = "双方约定周六上午共同查看。"
    tab_a["place"] = "李四家中"
    assert first.post(url, data=tab_a).status_code == 302

    tab_b["course"] = "主任补充：李四承认卫生间地漏曾维修过。"
    tab_b["place"] = "社区会议室"
    response = second.post(url, data=tab_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "李调解已修改了这份调解记录，您的保存未生效" in html
    assert "修改了：调解地点、调解结果" in html
    again = form_values(html, "record-form")
    assert again["version"] == "2"
    assert again["course"] == "主任补充：李四承认卫生间地漏曾维修过。"  # mine, kept
    assert again["result"] == "双方约定周六上午共同查看。"  # only theirs changed: taken
    assert again["place"] == "社区会议室"  # both changed: mine, and theirs named next to it
    assert "对方已将此项改为“李四家中”。" in html
    db.session.expire_all()
    assert db.session.get(Case, case.id).session_records[0].place == "李四家中"

    assert second.post(url, data=again).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Case, case.id).session_records[0]
    assert saved.place == "社区会议室" and saved.result == "双方约定周六上午共同查看。"
    assert saved.course == "主任补充：李四承认卫生间地漏曾维修过。"

    # Both changed the time too: the other one is shown as it is typed, in local time.
    tab_c = form_values(page(first, url), "record-form")
    tab_d = form_values(page(second, url), "record-form")
    tab_c["held_at"], tab_d["held_at"] = "2026-05-01T09:30", "2026-05-02T15:00"
    assert first.post(url, data=tab_c).status_code == 302
    html = second.post(url, data=tab_d).get_data(as_text=True)
    assert "对方已将此项改为“2026-05-01 09:30”。" in html
    again = form_values(html, "record-form")
    assert again["held_at"] == "2026-05-02T15:00" and again["version"] == "4"


def test_line_breaks_as_a_browser_posts_them_are_not_a_change(world, login):
    """Browsers post a textarea's line breaks as CRLF; the stored text has LF. A refused
    save must not take the untouched two-line text for the user's own change."""
    case = mediating(world)
    record = add_session(world, case, course="第一段：双方陈述。\n第二段：调解员释法。")
    url = f"/cases/{case.id}/sessions/{record.id}"
    first, second = login("mediator1"), login("director1")
    tab_a = form_values(page(first, url), "record-form")
    tab_b = form_values(page(second, url), "record-form")
    tab_a["course"] = "第一段：双方陈述。\r\n第二段：调解员释法，双方同意。"
    assert first.post(url, data=tab_a).status_code == 302
    tab_b["course"] = tab_b["course"].replace("\n", "\r\n")  # as the browser sends it
    tab_b["place"] = "社区会议室"
    html = second.post(url, data=tab_b).get_data(as_text=True)
    again = form_values(html, "record-form")
    assert "对方已将此项改为" not in html  # no conflict: only the other person changed it
    assert "双方同意" in again["course"] and again["place"] == "社区会议室"


def test_two_saves_at_the_same_moment_keep_the_later_persons_input(world, login):
    case = mediating(world)
    record = add_session(world, case)
    url = f"/cases/{case.id}/sessions/{record.id}"
    c = login("director1")
    form = form_values(page(c, url), "record-form")
    # Another save lands between this save's version check and its write.
    with db.engine.begin() as other:
        other.execute(
            update(SessionRecord)
            .where(SessionRecord.id == record.id)
            .values(place="李四家中", version=SessionRecord.version + 1)
        )
    form["place"] = "社区会议室"
    response = c.post(url, data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "您的保存未生效" in html and "对方已将此项改为“李四家中”。" in html
    assert form_values(html, "record-form")["place"] == "社区会议室"
    db.session.expire_all()
    assert db.session.get(Case, case.id).session_records[0].place == "李四家中"


@pytest.mark.parametrize(
    ("make", "name", "content_type"),
    [(pdf, "调解记录签字页.pdf", "application/pdf"), (png, "现场照片.png", "image/png"),
     (jpeg, "IMG_0001.JPG", "image/jpeg")],
)  # fmt: skip
def test_an_uploaded_file_downloads_as_the_same_bytes_never_inline(
    world, login, make, name, content_type
):
    case = mediating(world)
    record = add_session(world, case)
    c = login("mediator1")
    data = make()
    response = upload(c, case, record, data, name)
    assert response.status_code == 302
    assert f"已上传附件“{name}”。" in page(c, response.headers["Location"])
    shown = page(c, f"/cases/{case.id}")
    assert name in shown
    attachment = db.session.scalars(db.select(Attachment)).one()
    assert attachment.session_record_id == record.id and attachment.content_type == content_type
    response = c.get(f"/cases/{case.id}/attachments/{attachment.id}")
    # What comes back is the cleaned copy kept; the original's digest is on record.
    assert response.status_code == 200 and response.data == read_file(attachment)
    assert hashlib.sha256(response.data).hexdigest() == attachment.sha256
    assert attachment.original_sha256 == hashlib.sha256(data).hexdigest()
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox;")
    db.session.expire_all()
    assert db.session.get(Case, case.id).events[-1].kind == EventKind.ATTACHMENT


def test_a_web_page_named_pdf_is_refused_by_its_content(world, login):
    case = mediating(world)
    record = add_session(world, case)
    fake = b"<!doctype html><script>alert(document.cookie)</script>"
    response = upload(login("mediator1"), case, record, fake, "证据.pdf", "evidence")
    assert response.status_code == 400
    refusal = "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断，与文件名无关）。"
    assert f'<p class="error" id="file-error">{refusal}</p>' in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Attachment)).all() == []


def test_a_file_over_the_size_limit_is_refused(app, world, login):
    app.config["MAX_UPLOAD_BYTES"] = 1024 * 1024
    case = mediating(world)
    record = add_session(world, case)
    response = upload(login("mediator1"), case, record, png(size=1024 * 1024), "大图.png")
    assert response.status_code == 400
    assert "文件超过 1 MB，请压缩或分开上传。" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Attachment)).all() == []


def test_an_attachment_is_found_only_through_its_own_case_and_in_scope(world, login):
    case_a, case_b = mediating(world), mediating(world)
    record = add_session(world, case_a)
    assert upload(login("mediator1"), case_a, record, png(), "a.png").status_code == 302
    attachment = db.session.scalars(db.select(Attachment)).one()
    c = login("mediator1")
    assert c.get(f"/cases/{case_a.id}/attachments/{attachment.id}").status_code == 200
    assert c.get(f"/cases/{case_b.id}/attachments/{attachment.id}").status_code == 404
    assert c.get(f"/cases/{case_b.id}/sessions/{record.id}").status_code == 404
    for outsider in ("mediator2", "auditor2", "director2"):
        response = login(outsider).get(f"/cases/{case_a.id}/attachments/{attachment.id}")
        assert response.status_code == 404, outsider


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CaseStatus.CLOSED, "案件当前状态为“已结案”，不能"),
        (CaseStatus.ARCHIVED, "本案已归档，不能"),
    ],
)
def test_a_closed_or_archived_case_refuses_new_records_and_uploads(world, login, status, message):
    case = mediating(world)
    record = add_session(world, case)
    case.status = status
    db.session.commit()
    c = login("mediator1")
    shown = page(c, f"/cases/{case.id}")
    assert "新增调解记录" not in shown and "修改记录" not in shown
    assert "邀请人员参与调解" not in shown
    attempts = [
        c.post(f"/cases/{case.id}/sessions/new", data=session_form()),
        c.post(f"/cases/{case.id}/sessions/{record.id}", data={**session_form(), "version": "1"}),
        upload(c, case, record, png(), "晚到的照片.png"),
        c.post(f"/cases/{case.id}/participants", data=participant(consent="双方口头同意")),
    ]  # fmt: skip
    for n, response in enumerate(attempts):
        assert response.status_code == 409, n
        assert message in response.get_data(as_text=True), n
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert len(stored.session_records) == 1 and not stored.attachments
    assert not stored.participants and stored.session_records[0].place == "东街社区调解室"
    response = c.get(f"/cases/{case.id}/sessions/new")
    assert response.status_code == 302  # sent back to the case page, with the reason


def test_an_auditor_reads_and_downloads_but_cannot_add(world, login):
    case = mediating(world)
    record = add_session(world, case)
    assert upload(login("mediator1"), case, record, png(), "现场.png").status_code == 302
    attachment = db.session.scalars(db.select(Attachment)).one()
    c = login("auditor1")
    shown = page(c, f"/cases/{case.id}")
    assert "东街社区调解室" in shown and "现场.png" in shown
    assert "新增调解记录" not in shown and "修改记录" not in shown
    stored = read_file(attachment)
    assert c.get(f"/cases/{case.id}/attachments/{attachment.id}").data == stored
    response = c.post(f"/cases/{case.id}/sessions/new", data=session_form())
    assert response.status_code == 403
    assert "只有本案调解员或调委会主任可以填写调解记录。" in response.get_data(as_text=True)
    assert upload(c, case, record, png(), "b.png").status_code == 403
    assert c.post(f"/cases/{case.id}/participants", data=participant()).status_code == 403
    db.session.expire_all()
    assert len(db.session.get(Case, case.id).attachments) == 1


def test_a_mediator_not_on_the_case_cannot_add_records(world, login):
    case = mediating(world)
    response = login("mediator3").post(f"/cases/{case.id}/sessions/new", data=session_form())
    assert response.status_code == 403
    assert "双方同意三日内共同请师傅查看。" in response.get_data(as_text=True)  # kept


def test_an_invited_participant_needs_the_parties_consent(world, login):
    case = mediating(world)
    c = login("mediator1")
    form = participant(name="赵律师", organisation="东街律师事务所", consent="", consented="")
    response = c.post(f"/cases/{case.id}/participants", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "邀请其他人员参与调解须经双方当事人同意（《人民调解法》第二十条）。" in html
    assert 'id="participant-consent-error">请填写当事人同意的方式和时间。' in html
    assert 'value="赵律师"' in html  # what was typed is still there
    assert not db.session.get(Case, case.id).participants

    form = participant(name="赵律师", consent="双方当事人于调解开始前口头同意")
    response = c.post(f"/cases/{case.id}/participants", data=form)
    assert response.status_code == 302
    shown = page(c, f"/cases/{case.id}")
    assert "赵律师" in shown and "经双方当事人同意：双方当事人于调解开始前口头同意" in shown
    db.session.expire_all()
    event = db.session.get(Case, case.id).events[-1]
    assert event.kind == EventKind.PARTICIPANT and event.details["身份"] == "律师"
    assert event.reason == "经双方当事人同意：双方当事人于调解开始前口头同意"
    assert event.user.username == "mediator1"


def test_every_records_url_is_not_found_for_an_outsider(app, world, login):
    case = mediating(world)
    record = add_session(world, case)
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("records."):
            args = {a: record.id for a in rule.arguments}
            with app.test_request_context():
                urls.append(app.url_for(rule.endpoint, **{**args, "case_id": case.id}))
    assert len(urls) == 8
    c = login("mediator2")
    for url in urls:
        for method in ("GET", "POST"):
            assert c.open(url, method=method, data={}).status_code == 404, (method, url)
