"""Fixtures: the app on SQLite and on PostgreSQL (every database test runs on both), a clean
schema built by the Alembic migrations, a small organisation tree, and clients per role."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import event
from testapp import TEST_CONFIG, Client, empty_tables

from mediation import create_app
from mediation.extensions import db

import democounty
import pgserver
from factories import World, build_world


@pytest.fixture(scope="session")
def pg_url():
    try:
        server = pgserver.acquire()
    except RuntimeError as error:  # fail loudly: the PostgreSQL half of the suite must run
        pytest.fail(f"No PostgreSQL for the tests: {error}", pytrace=False)
    name = f"mediation_test_{os.getpid()}"
    url = pgserver.create_database(server, name)
    pgserver.commit_without_waiting_for_the_disk(server, name)
    yield url
    pgserver.drop_database(server, name)
    server.stop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"


_migrated: set[str] = set()


def _make_app(url: str, uploads: str):
    # Each test's checkpoints next to its uploads: a fresh database, a fresh checkpoint file.
    checkpoints = os.path.join(os.path.dirname(uploads), "audit-checkpoints.log")
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": uploads,
            "AUDIT_CHECKPOINT_FILE": checkpoints,
        }
    )
    app.test_client_class = Client
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _commit_without_waiting_for_the_disk)
        if url not in _migrated:  # the schema comes from the migrations, once per database
            upgrade()
            _migrated.add(url)
        empty_tables()
    return app


def _commit_without_waiting_for_the_disk(dbapi_connection, _record) -> None:
    # A test database is thrown away: what a crash could lose does not matter, and a commit
    # that does not wait for the disk is many times faster (the suite commits a lot).
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    app = _make_app(url, str(request.getfixturevalue("tmp_path") / "uploads"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(app) -> World:
    return build_world()


@pytest.fixture
def demo_county(app) -> democounty.Snapshot:
    """The demo county (demo.seed()) in this test's database, files and checkpoint file:
    seeded by the first test of this process and database to ask, copied for the others."""
    return democounty.load(app)


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def login(app):
    """login("mediator1") → a client logged in as that user of the world."""

    def _login(username: str, password: str = "secret123") -> Client:
        c = app.test_client()
        response = c.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return _login
