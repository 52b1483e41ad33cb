"""The app's test settings and a test client that posts forms as a browser would. A module
of its own (not conftest.py, whose name tests/e2e/conftest.py shares), so test modules that
start their own app servers can import them."""

import secrets

from flask import g
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from mediation.extensions import db
from mediation.models import Base

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs ~0.1 s a hash
    "AUDIT_KEY": "test-audit-key-0123456789abcdef0123456789",
}


class Client(FlaskClient):
    """A test client that posts forms as a browser would: with the page's CSRF token."""

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, **kwargs):
        data = kwargs.get("data")
        method = kwargs.get("method", "GET")
        if method == "POST" and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        # The tests hold an app context open, and Flask reuses it for the requests made inside
        # it, so `g` would carry the logged-in user and the CSRF token from one request (and
        # one client) to the next. A real server gives every request a fresh `g`.
        before = set(vars(g))
        try:
            return super().open(*args, **kwargs)
        finally:
            for key in set(vars(g)) - before:
                delattr(g, key)


# Above this many rows (a bulk load) a table is truncated rather than deleted from.
BULK = 1000


def empty_tables() -> None:
    """Every table emptied (PostgreSQL's sequences restarted): a fresh database for a test."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]  # children first
    if db.engine.dialect.name != "postgresql":
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
        db.session.commit()
        return
    # A test leaves a few rows, which DELETE removes at once; TRUNCATE would give each table
    # and index new files, which is slow. But a table filled in bulk, or one ANALYZE or VACUUM
    # has looked at (reltuples no longer -1), is truncated: its size and statistics would
    # change the planner's mind in the next test (the trigram plan in test_case_search).
    # TRUNCATE leaves it as new, as it was before the first test.
    checks = [
        f"SELECT '{name}' WHERE EXISTS (SELECT FROM {name} OFFSET {BULK})"
        f" OR (SELECT reltuples >= 0 FROM pg_class WHERE oid = '{name}'::regclass)"
        for name in tables
    ]
    bulky = db.session.scalars(text(" UNION ALL ".join(checks))).all()
    statements = [f"TRUNCATE {', '.join(bulky)} CASCADE"] if bulky else []
    statements += [f"DELETE FROM {name}" for name in tables if name not in bulky]
    statements.append(
        "SELECT setval(oid, 1, false) FROM pg_class"
        " WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
    )
    with db.session.connection().connection.cursor() as cursor:  # one round trip
        cursor.execute("; ".join(statements))
    db.session.commit()
