"""Several app servers, for real: gunicorn processes (as `make serve` runs them, from
gunicorn.conf.py) with their own instance folders, sharing one PostgreSQL and the database
storage. A document made through one downloads and verifies through the other, a login made
through one is valid on the other, and a server killed with SIGKILL in the middle of saves
loses no acknowledged change and leaves nothing half-written."""

import contextlib
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from concurrency import Browser, at_once
from sqlalchemy import select
from sqlalchemy.engine import make_url
from test_intake import intake_form
from testapp import TEST_CONFIG

from mediation import create_app
from mediation.audit.chain import verify
from mediation.extensions import db
from mediation.models import Case, CaseEvent, EventKind, GeneratedDocument, Party

from factories import build_world
from test_documents import working_case

ROOT = Path(__file__).resolve().parent.parent


class Served:
    """One app server: gunicorn in its own process group, its own instance folder."""

    def __init__(self, url: str, instance: Path, log: Path) -> None:
        self.instance, self.log = instance, log
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": url,
            "STORAGE": "database",
            "INSTANCE_PATH": str(instance),
            # Shared by every server of a county: the cookie's signature and the audit seal.
            "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
            "AUDIT_KEY": TEST_CONFIG["AUDIT_KEY"],
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on the loopback in this test
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
        }
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError("server did not become healthy:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once: no cleanup of any kind runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def new_database(pg_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL database on the tests' server; its SQLAlchemy URL."""
    url = make_url(pg_url)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop it, waiting a bounded time: DROP DATABASE waits for every backend of the server
    to acknowledge (PostgreSQL 15), and a busy neighbour on a shared server must not hang
    the test. A database left behind is named by its process and dropped by hand."""
    url = make_url(url)
    with psycopg.connect(_plain(url.set(database="postgres")), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '20s'")
        with contextlib.suppress(psycopg.errors.QueryCanceled):
            conn.execute(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")


def _plain(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def shared_db(pg_url, tmp_path):
    """A fresh PostgreSQL database, migrated, with the test world, and the test's own app
    on it (the database storage; the first server's checkpoint file, so verification
    compares with what the servers wrote after their commits)."""
    shared = new_database(pg_url, "mediation_servers")
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": shared,
            "STORAGE": "database",
            "AUDIT_CHECKPOINT_FILE": str(tmp_path / "a" / "audit-checkpoints.log"),
            "UPLOAD_FOLDER": str(tmp_path / "test-uploads"),
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        world = build_world()
        yield shared, world
        db.session.remove()
        db.engine.dispose()
    drop_database(shared)


@pytest.fixture
def servers(shared_db, tmp_path):
    started = []

    def start(name: str) -> Served:
        served = Served(shared_db[0], tmp_path / name, tmp_path / f"{name}.log")
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def fetch_bytes(browser: Browser, path: str) -> tuple[int, bytes]:
    with browser.opener.open(browser.base + path, timeout=60) as response:
        return response.status, response.read()


def fresh() -> None:
    db.session.rollback()
    db.session.expire_all()


def test_a_document_made_through_one_server_downloads_and_verifies_through_the_other(
    shared_db, servers
):
    _, world = shared_db
    case = working_case(world)
    case_id, number, agreement_id = case.id, case.number, case.agreement.id
    first, second = servers("a"), servers("b")
    assert first.instance != second.instance

    mediator = Browser(first).login("mediator1")
    answer = mediator.post(
        f"/cases/{case_id}/documents",
        {"kind": "agreement", "source_id": agreement_id, "csrf_token": mediator.csrf},
    )
    assert answer.status == 302, answer.body[:500]
    fresh()
    document = db.session.scalars(
        select(GeneratedDocument).where(GeneratedDocument.case_id == case_id)
    ).one()
    # Nothing was written to either server's folder: the PDF is in the shared database.
    for served in (first, second):
        assert not (served.instance / "uploads").exists() or not any(
            p.is_file() for p in (served.instance / "uploads").rglob("*")
        )

    # The login made through the first server is valid on the second (the same browser,
    # its cookie, another server).
    mediator.base = second.url
    page = mediator.get(f"/cases/{case_id}")
    assert page.status == 200 and number in page.body
    status, pdf = fetch_bytes(mediator, f"/cases/{case_id}/documents/{document.id}.pdf")
    assert status == 200 and hashlib.sha256(pdf).hexdigest() == document.sha256

    # A resident checks the paper copy's code on the second server's public page.
    resident = Browser(second)
    shown = resident.get(f"/verify/{document.code}")
    assert shown.status == 200 and "人民调解协议书" in shown.body
    token = resident.csrf_token(f"/verify/{document.code}")
    checked = resident.upload(
        f"/verify/{document.code}", {"csrf_token": token}, {"file": ("协议书.pdf", pdf)}
    )
    assert checked.status == 200 and "相符：" in checked.body
    tampered = resident.upload(
        f"/verify/{document.code}",
        {"csrf_token": resident.csrf_token(f"/verify/{document.code}")},
        {"file": ("协议书.pdf", pdf + b"%changed\n")},
    )
    assert "不相符" in tampered.body


def test_sigkill_in_the_middle_of_saves_loses_no_acknowledged_change(shared_db, servers):
    server = servers("a")
    clerks = [Browser(server).login("mediator1") for _ in range(4)]
    forms = [
        (clerks[n % 4], {**intake_form(summary=f"第{n}起：楼上漏水。"), "submission": f"t{n}"})
        for n in range(40)
    ]
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()

    def register(clerk, form):
        answer = clerk.post("/cases/new", {**form, "csrf_token": clerk.csrf})
        if answer.status == 302 and answer.location.startswith("/cases/"):
            with lock:
                acknowledged.append((answer.location, form["summary"]))
        return answer

    def killer():
        deadline = time.monotonic() + 120
        while len(acknowledged) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()

    watcher = threading.Thread(target=killer)
    watcher.start()
    answers = at_once([(lambda c=c, f=f: register(c, f)) for c, f in forms])
    watcher.join()
    cut = [a for a in answers if isinstance(a, Exception)]
    assert acknowledged and cut, "the kill must land between acknowledged and cut-off saves"

    restarted = servers("a-again")  # the same database; a fresh process
    fresh()
    for location, summary in acknowledged:  # every acknowledged registration is there, whole
        case = db.session.get(Case, int(location.removeprefix("/cases/").split("?")[0]))
        assert case is not None and case.summary == summary
        assert len(case.parties) == 2
    # Nothing half-written: no case without its parties or its registration event, no event
    # without its case, and the audit chain (with the checkpoints written after each commit)
    # verifies.
    no_parties = select(Case.id).where(~select(Party.id).where(Party.case_id == Case.id).exists())
    assert db.session.scalars(no_parties).all() == []
    created = select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.CREATED)
    assert db.session.scalars(select(Case.id).where(Case.id.not_in(created))).all() == []
    orphans = select(CaseEvent.id).where(CaseEvent.case_id.not_in(select(Case.id)))
    assert db.session.scalars(orphans).all() == []
    assert verify() == []
    # The restarted server carries on: a new registration gets the next number.
    clerk = Browser(restarted).login("mediator1")
    answer = clerk.post("/cases/new", {**intake_form(), "csrf_token": clerk.csrf})
    assert answer.status == 302
    fresh()
    numbers = db.session.scalars(select(Case.number)).all()
    assert len(numbers) == len(set(numbers))
