"""Settings: safe demo defaults, overridden by instance/config.py and then by the environment."""

import os
from datetime import timedelta

DEMO_SECRET_KEY = "demo-secret-key-change-me"


class Config:
    SECRET_KEY = DEMO_SECRET_KEY
    # Filled in by create_app: the SQLite file lives in the instance folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # "production" refuses demo secrets and demo passwords.
    MEDIATION_ENV = "development"
    # An idle session ends after 30 minutes (checked server-side on every request).
    SESSION_IDLE_MINUTES = 30
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    PASSWORD_HASH_METHOD = "scrypt"  # the tests use a cheaper one
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Practice rule of the Ministry of Justice: conclude within one month of acceptance.
    DEFAULT_DEADLINE_DAYS = 30
    CASES_PER_PAGE = 20
    # Uploads (evidence, photos, signed scans): where they live and how large they may be.
    UPLOAD_FOLDER: str | None = None  # default: instance/uploads
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    # Where residents reach the verification page, printed (as a QR code) on every PDF. Set it
    # when mediators use an address residents cannot reach (an intranet host); unset, a PDF
    # carries the address it was generated through, or http://localhost outside a request.
    PUBLIC_BASE_URL = ""
    # How many reverse proxies (nginx ...) stand in front of the app; 0 when it is reached
    # directly. Their X-Forwarded-For tells one resident's address from another's.
    PROXY_COUNT = 0
    # No Flask-Babel here: the forms carry their Chinese locale themselves (mediation.forms).
    WTF_I18N_ENABLED = False
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime already bounds the token
    # The key that seals the audit trail (HMAC-SHA256), kept outside the database. Required
    # in production (at least 32 bytes); elsewhere generated once into instance/audit.key.
    AUDIT_KEY = ""
    # Signed checkpoints of the chain's head, outside the database; default
    # instance/audit-checkpoints.log.
    AUDIT_CHECKPOINT_FILE = ""


# Environment variables that override settings, with the type to read them as.
ENV_SETTINGS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MEDIATION_ENV": str,
    "SESSION_IDLE_MINUTES": int,
    "LOGIN_MAX_FAILURES": int,
    "LOGIN_LOCK_MINUTES": int,
    "DEFAULT_DEADLINE_DAYS": int,
    "CASES_PER_PAGE": int,
    "UPLOAD_FOLDER": str,
    "PUBLIC_BASE_URL": str,
    "MAX_UPLOAD_BYTES": int,
    "PROXY_COUNT": int,
    "AUDIT_KEY": str,
    "AUDIT_CHECKPOINT_FILE": str,
}


def from_environment() -> dict:
    """Settings given as environment variables; DATABASE_URL maps to SQLALCHEMY_DATABASE_URI."""
    found = {}
    for name, kind in ENV_SETTINGS.items():
        raw = os.environ.get(name)
        if raw is None or raw == "":
            continue
        key = "SQLALCHEMY_DATABASE_URI" if name == "DATABASE_URL" else name
        found[key] = kind(raw)
    return found


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_production(app) -> bool:
    """MEDIATION_ENV=production: demo secrets, demo passwords and demo data are refused."""
    return app.config["MEDIATION_ENV"] == "production"
