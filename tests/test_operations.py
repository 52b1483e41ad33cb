"""Operations: the storage behind uploads and documents (folder or database), /healthz, the
access log, and `flask backup` / `flask restore` round-tripping the demo county."""

import hashlib
import io
import logging
import stat

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from test_servers import drop_database, new_database
from testapp import TEST_CONFIG, Client
from werkzeug.datastructures import FileStorage

from mediation import create_app, demo
from mediation.audit.chain import verify
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import (
    Attachment,
    AttachmentKind,
    Blob,
    Case,
    DocumentKind,
    GeneratedDocument,
    UserSession,
)
from mediation.records.attachments import read_file, store_attachment
from mediation.storage import DatabaseStorage, FolderStorage, Missing, storage

from test_documents import working_case

ROLES = ["mediator1", "director1", "auditor1", "auditor0", "grid1", "admin"]


@pytest.fixture(params=["folder", "database"])
def backend(app, request):
    """The app's storage switched to each backend in turn."""
    if request.param == "database":
        app.extensions["storage"] = DatabaseStorage()
    return storage()


# --- Storage --------------------------------------------------------------------------------


def test_stored_bytes_come_back_under_their_sha256(backend):
    data = "调解协议书".encode() * 100
    key = backend.put(data)
    db.session.commit()
    assert key == hashlib.sha256(data).hexdigest()
    assert backend.put(data) == key  # the same content is kept once
    db.session.commit()
    assert backend.get(key) == data and backend.exists(key)
    with backend.open(key) as handle:
        assert handle.read() == data
    assert list(backend.keys()) == [key]
    assert not backend.exists("0" * 64) and not backend.exists("../../etc/passwd")
    with pytest.raises(Missing):
        backend.get("0" * 64)


def test_the_database_storage_keeps_a_file_only_with_its_record(app, world):
    """A rolled-back save leaves no file behind: the row goes with the transaction."""
    app.extensions["storage"] = DatabaseStorage()
    storage().put(b"%PDF-1.4 never committed")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0


def test_documents_and_the_case_file_are_read_from_the_database_storage(app, world, login):
    """Generated, downloaded and bound into the 卷宗 with nothing in the upload folder."""
    app.extensions["storage"] = DatabaseStorage()
    case = working_case(world)
    printed = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    assert db.session.get(Blob, printed.sha256).size == printed.size
    assert not any(p.is_file() for p in _upload_root(app).rglob("*"))
    response = login("mediator1").get(f"/cases/{case.id}/documents/{printed.id}.pdf")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == printed.sha256
    assert documents.read_document(printed) == response.data
    pdf, pages = documents.build_case_file(case, "TEST-CODE", world["mediator1"])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert pages > printed.pages and "人民调解协议书" in text


def _upload_root(app):
    from pathlib import Path

    return Path(app.config["UPLOAD_FOLDER"])


def test_an_unknown_storage_is_refused_at_start(app):
    with pytest.raises(RuntimeError, match="STORAGE"):
        create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "STORAGE": "s3"})


# --- /healthz ------------------------------------------------------------------------------


def test_healthz_answers_without_an_account_and_makes_no_session(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


@pytest.mark.parametrize("username", ROLES)
def test_healthz_is_the_same_for_every_role(world, login, username):
    response = login(username).get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_healthz_probe_leaves_nothing_in_the_database_storage(app, client):
    app.extensions["storage"] = DatabaseStorage()
    assert client.get("/healthz").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0


def test_healthz_is_503_when_the_storage_cannot_be_written(app, client, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the upload folder should be")
    app.extensions["storage"] = FolderStorage(blocked)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "ok", "storage": "fail"}
    assert "not-a-folder" not in response.get_data(as_text=True)  # no detail for strangers


# --- Access log ----------------------------------------------------------------------------


def test_one_access_line_per_request_without_the_query_string(world, login, caplog):
    c = login("mediator1")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mediation.access"):
        c.get("/cases?q=330109198510120033&status=accepted")
        c.get("/no-such-page")
    lines = [r.getMessage() for r in caplog.records if r.name == "mediation.access"]
    assert len(lines) == 2, lines
    method, path, status, duration, user = lines[0].split(" ")
    assert (method, path, status) == ("GET", "/cases", "200")
    assert duration.endswith("ms") and float(duration[:-2]) > 0
    assert user == f"user={world['mediator1'].id}"
    assert "330109198510120033" not in "".join(lines) and "?" not in "".join(lines)
    assert lines[1].startswith("GET /no-such-page 404 ")


def test_an_anonymous_request_is_logged_without_a_user(client, caplog):
    with caplog.at_level(logging.INFO, logger="mediation.access"):
        client.get("/login")
    lines = [r.getMessage() for r in caplog.records if r.name == "mediation.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /login 200 ")
    assert lines[0].endswith(" user=-")


# --- Backup and restore ----------------------------------------------------------------------


def _second_database(app, tmp_path, request) -> str:
    """An empty database of the same kind as the app's, for the restore."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if make_url(url).get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    created = new_database(url, "mediation_restore")
    request.addfinalizer(lambda: drop_database(created))
    return created


def _restored_app(url: str, tmp_path, storage_name: str, **config):
    other = create_app(
        {
            **TEST_CONFIG,
            **config,
            "SQLALCHEMY_DATABASE_URI": url,
            "STORAGE": storage_name,
            "UPLOAD_FOLDER": str(tmp_path / "restored-uploads"),
            "AUDIT_CHECKPOINT_FILE": str(tmp_path / "restored-checkpoints.log"),
        }
    )
    other.test_client_class = Client
    return other


def test_backup_and_restore_round_trip_the_demo_county(app, demo_county, tmp_path, request):
    """Backup on one database, restore into an empty one (into the database storage, to
    show a restore also moves the files): every row back, every document's bytes matching its
    hash, the audit chain verified, and a second restore refused unless forced."""
    cases = db.session.scalar(select(func.count()).select_from(Case))
    documents_before = {d.id: d.sha256 for d in db.session.scalars(select(GeneratedDocument))}
    attachments = {a.id: a.sha256 for a in db.session.scalars(select(Attachment))}
    assert cases > 30 and documents_before and attachments
    archive = tmp_path / "county.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds personal data
    again = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert again.exit_code != 0 and "已存在" in again.output

    other = _restored_app(_second_database(app, tmp_path, request), tmp_path, "database")
    with other.app_context():
        from flask_migrate import upgrade

        upgrade()
        runner = other.test_cli_runner()
        result = runner.invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(func.count()).select_from(Case)) == cases
        restored = db.session.scalars(select(GeneratedDocument)).all()
        assert {d.id: d.sha256 for d in restored} == documents_before
        for document in restored:
            data = documents.read_document(document)
            assert hashlib.sha256(data).hexdigest() == document.sha256
        for attachment in db.session.scalars(select(Attachment)):
            assert hashlib.sha256(storage().get(attachment.sha256)).hexdigest() == attachment.sha256
        assert verify() == []
        result = runner.invoke(args=["audit-verify"])
        assert result.exit_code == 0, result.output
        # The restored county works: a director signs in and opens a case.
        c = other.test_client()
        login = c.post("/login", data={"username": "director1", "password": demo.PASSWORD})
        assert login.status_code == 302
        case_id = db.session.scalar(select(Case.id).order_by(Case.id).limit(1))
        assert c.get(f"/cases/{case_id}").status_code == 200
        refused = runner.invoke(args=["restore", str(archive)])
        assert refused.exit_code != 0 and "--force" in refused.output
        forced = runner.invoke(args=["restore", "--force", str(archive)])
        assert forced.exit_code == 0, forced.output
        assert db.session.scalar(select(func.count()).select_from(Case)) == cases
        # The login above was sealed into the chain and checkpointed after its commit; the
        # restore went back to before it, and verification says so.
        problems = verify()
        assert len(problems) == 1 and "末尾记录被截断" in problems[0], problems
        db.session.remove()
        db.engine.dispose()


def test_restore_under_another_audit_key_does_not_verify(app, demo_county, tmp_path, request):
    """The key is not in the backup: restored under another key, the trail does not verify."""
    archive = tmp_path / "county.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    other = _restored_app(
        _second_database(app, tmp_path, request),
        tmp_path,
        "folder",
        AUDIT_KEY="another-audit-key-0123456789abcdef012345",
    )
    with other.app_context():
        from flask_migrate import upgrade

        upgrade()
        runner = other.test_cli_runner()
        assert runner.invoke(args=["restore", str(archive)]).exit_code == 0
        result = runner.invoke(args=["audit-verify"])
        assert result.exit_code != 0 and "审计记录校验未通过" in result.output
        db.session.remove()
        db.engine.dispose()


def test_a_sqlite_backup_restores_into_postgresql(app, world, pg_url, tmp_path, request):
    """Portable: rows go through the models' types, so SQLite's backup loads into PostgreSQL
    (an image upload and a document included) and its audit trail verifies there."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the other direction is the same code; one crossing is enough")
    case = working_case(world)
    printed = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(photo, "PNG")
    upload = FileStorage(io.BytesIO(photo.getvalue()), "现场.png")
    attachment = store_attachment(case, world["mediator1"], upload, AttachmentKind.PHOTO)
    amount, image, attachment_id = (
        case.agreement.terms[0].amount,
        read_file(attachment),
        attachment.id,
    )
    case_id = case.id
    document_id, generated_at, code = printed.id, printed.generated_at, printed.code
    archive = tmp_path / "sqlite.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    other = _restored_app(new_database(pg_url, "mediation_restore"), tmp_path, "database")
    request.addfinalizer(lambda: drop_database(other.config["SQLALCHEMY_DATABASE_URI"]))
    with other.app_context():
        from flask_migrate import upgrade

        upgrade()
        result = other.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert db.engine.dialect.name == "postgresql"
        restored = db.session.get(GeneratedDocument, document_id)
        assert restored.generated_at == generated_at and restored.code == code
        assert hashlib.sha256(documents.read_document(restored)).hexdigest() == restored.sha256
        kept = db.session.get(Attachment, attachment_id)
        assert storage().get(kept.sha256) == image and kept.content_type == "image/png"
        assert db.session.get(Case, case_id).agreement.terms[0].amount == amount
        assert verify() == []
        db.session.remove()
        db.engine.dispose()
