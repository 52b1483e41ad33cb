"""The records flow in a real browser: a session record written and a photo attached to it."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import Attachment
from mediation.models.base import LOCAL_TZ, utcnow
from mediation.records.attachments import read_file

from factories import make_case

pytestmark = pytest.mark.e2e


def test_mediator_writes_a_session_record_and_attaches_a_photo(world, page_as, tmp_path):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    cases.apply_action(case, world["mediator1"], "start_mediation")
    photo = tmp_path / "现场照片.png"
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (166, 27, 27)).save(out, "PNG")
    photo.write_bytes(out.getvalue())

    page = page_as("mediator1")
    page.goto(f"/cases/{case.id}")
    page.click("text=＋ 新增调解记录")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}/sessions/new$"))
    assert page.input_value("#mediators") == "李调解"
    held = (utcnow() - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    page.fill("#held_at", held)
    page.fill("#place", "东街社区调解室")
    page.fill("#course", "张三陈述漏水经过；李四同意检查防水层。")
    page.fill("#result", "双方同意周六共同查看。")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}#session-\d+$"))
    assert "已保存调解记录" in page.content()
    assert "张三陈述漏水经过" in page.locator("#sessions .record").inner_text()
    page.click("#sessions .record >> text=上传附件")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}/sessions/\d+#attachments$"))

    page.set_input_files("#file", str(photo))
    page.select_option("#kind", "photo")
    page.click(".upload-form button[type=submit]")
    page.wait_for_load_state()
    assert "已上传附件“现场照片.png”。" in page.content()
    assert page.locator("#attachments a", has_text="现场照片.png").count() == 1

    page.click("text=返回案件")
    page.wait_for_url(re.compile(rf".*/cases/{case.id}$"))
    record = page.locator("#sessions .record")
    assert "双方同意周六共同查看。" in record.inner_text()
    link = record.locator("a", has_text="现场照片.png")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "现场照片.png"
    # The photo comes back encoded again (no metadata), as it was stored.
    attachment = db.session.scalars(db.select(Attachment)).one()
    assert download.value.path().read_bytes() == read_file(attachment)
    assert attachment.original_sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert attachment.original_name == "现场照片.png"


def test_record_pages_fit_a_phone_screen(world, page_as):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    cases.apply_action(case, world["mediator1"], "start_mediation")
    from mediation.records.service import record_session

    record = record_session(case, world["mediator1"], {
        "held_at": utcnow() - timedelta(hours=3), "place": "调解室", "mediators": "李调解",
        "attendees": "张三、李四", "course": "双方陈述。", "result": "继续协商。",
    })  # fmt: skip
    page = page_as("mediator1", width=360)
    for path in (
        f"/cases/{case.id}",
        f"/cases/{case.id}/sessions/new",
        f"/cases/{case.id}/sessions/{record.id}",
        f"/cases/{case.id}/investigations/new",
    ):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
