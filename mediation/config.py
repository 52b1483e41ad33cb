"""Settings: safe defaults, overridden by instance/config.py and then by the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

# A SECRET_KEY signs the session cookies; production refuses a shorter one.
MIN_SECRET_KEY_BYTES = 32
# The key the demo once shipped with: public, so refused everywhere it could matter.
PUBLIC_DEMO_KEY = "demo-secret-key-change-me"
# Where a development start keeps the key it generated (in the instance folder).
SECRET_KEY_FILE = "secret.key"


class Config:
    # None: development generates a random key into instance/secret.key (dev_secret_key);
    # production refuses to start without one of at least MIN_SECRET_KEY_BYTES.
    SECRET_KEY: str | None = None
    # Filled in by create_app: the SQLite file lives in the instance folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # "production" refuses demo secrets and demo passwords.
    MEDIATION_ENV = "development"
    # A session (a row in user_sessions, checked on the server on every request) ends after
    # 30 minutes unused, and 12 hours after its login in any case.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure in production and on every HTTPS request; True/False force it.
    SESSION_COOKIE_SECURE: bool | None = None
    # No "remember me": a login lasts one session.
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    REMEMBER_COOKIE_HTTPONLY = True
    PASSWORD_HASH_METHOD = "scrypt"  # the tests use a cheaper one
    # Failed logins per username (known or not) before each further try must wait, the wait
    # doubling from a minute up to LOGIN_LOCK_MINUTES. The account's own password still passes
    # from a browser that has signed in to it before.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Failed logins per client address before it must wait likewise (from a second).
    LOGIN_ADDRESS_FAILURES = 20
    # Practice rule of the Ministry of Justice: conclude within one month of acceptance.
    DEFAULT_DEADLINE_DAYS = 30
    # Rule 17: a closed high-risk case stays in 需要关注 this many days after closing.
    RISK_FOLLOW_UP_DAYS = 90
    CASES_PER_PAGE = 20
    # The case list counts this far and then says "超过 …件": a million-case count is slow.
    CASE_COUNT_LIMIT = 1000
    # Uploads (evidence, photos, signed scans): where they live and how large they may be.
    UPLOAD_FOLDER: str | None = None  # default: instance/uploads
    # Where uploads and generated documents are kept (mediation/storage.py): "folder" (under
    # UPLOAD_FOLDER, one server) or "database" (the blobs table, shared by several servers).
    STORAGE = "folder"
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
    # `flask audit-verify` reads the chain, the cases and the checkpoints this many rows at a
    # time (keyset pages by number), so its memory does not grow with the trail.
    AUDIT_VERIFY_BATCH = 5000


# Environment variables that override settings, with the type to read them as.
ENV_SETTINGS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MEDIATION_ENV": str,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_ABSOLUTE_HOURS": int,
    "SESSION_COOKIE_SECURE": lambda raw: raw.lower() in ("1", "true", "yes", "on"),
    "LOGIN_MAX_FAILURES": int,
    "LOGIN_LOCK_MINUTES": int,
    "LOGIN_ADDRESS_FAILURES": int,
    "DEFAULT_DEADLINE_DAYS": int,
    "RISK_FOLLOW_UP_DAYS": int,
    "CASES_PER_PAGE": int,
    "CASE_COUNT_LIMIT": int,
    "UPLOAD_FOLDER": str,
    "STORAGE": lambda raw: raw.strip().lower(),
    "PUBLIC_BASE_URL": str,
    "MAX_UPLOAD_BYTES": int,
    "PROXY_COUNT": int,
    "AUDIT_KEY": str,
    "AUDIT_CHECKPOINT_FILE": str,
    "AUDIT_VERIFY_BATCH": int,
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


def secret_key_problem(key: str | None) -> str | None:
    """Why `key` may not sign production sessions, or None when it may."""
    if not key:
        return "MEDIATION_ENV=production needs a SECRET_KEY (environment or instance/config.py)."
    if key == PUBLIC_DEMO_KEY:
        return "SECRET_KEY is the public demo key; set a key of your own."
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return (
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return None


def dev_secret_key(instance_path: str) -> str:
    """A development start's key: read from instance/secret.key, or generated there (random,
    readable by the owner only) on the first start. Never a key shipped with the code."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if len(key.encode()) >= MIN_SECRET_KEY_BYTES:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # too short to be one of ours
    key = secrets.token_hex(32)
    try:
        # Created 0600 from the start (never readable by others, not even briefly), and only if
        # absent: of two processes starting at once, one writes and both use its key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
