"""人民调解案件管理系统: the Flask application factory."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, flash, g, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from mediation.config import (
    Config,
    dev_secret_key,
    from_environment,
    is_production,
    normalise_database_url,
    secret_key_problem,
)
from mediation.extensions import csrf, db, login_manager, migrate
from mediation.models.base import ROW_ID_MAX

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        # INSTANCE_PATH: each app server of several keeps its local files in its own folder.
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    if app.config.get("DATABASE_URL"):  # the same name in instance/config.py as in the environment
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.update(from_environment())
    app.config.update(config or {})
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/mediation.db"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    _postgres_options(app)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    # A request may carry the largest upload and the form around it.
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 2 * 1024 * 1024
    _settle_secret_key(app)
    if app.config["SESSION_COOKIE_SECURE"] is None and is_production(app):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config["SESSION_COOKIE_SECURE"])
    app.session_interface = CookieSessions()
    from mediation.audit.chain import setup_audit_key

    setup_audit_key(app)
    if app.config["PROXY_COUNT"]:
        # Behind that many reverse proxies: the client's address (for the resident lookup's
        # throttle) and the public host (for printed verification links) come from their
        # X-Forwarded-* headers.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    from mediation import operations, storage

    storage.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    _setup_sqlite(app)
    _keep_prepared_statements(app)
    operations.init_app(app)  # first: its clock starts before any other work of a request
    _setup_login(app)

    from mediation import cli, filters, security_headers, submissions
    from mediation.admin.views import bp as admin_bp
    from mediation.agreements.views import bp as agreements_bp
    from mediation.api.views import bp as api_bp
    from mediation.auth.views import bp as auth_bp
    from mediation.calendar.views import bp as calendar_bp
    from mediation.cases.views import bp as cases_bp
    from mediation.channels.views import bp as channels_bp
    from mediation.dispatch.views import bp as dispatch_bp
    from mediation.documents.views import bp as documents_bp
    from mediation.errors import register_error_pages
    from mediation.grid.views import bp as grid_bp
    from mediation.handling.views import bp as handling_bp
    from mediation.oversight.views import bp as oversight_bp
    from mediation.portal.views import bp as portal_bp
    from mediation.records.views import bp as records_bp
    from mediation.referrals.views import bp as referrals_bp
    from mediation.reports.views import bp as reports_bp
    from mediation.warning.views import bp as warning_bp

    # Every <int:…> in a URL is a row id: one past the id column's range is a 404 like any
    # other missing id, not a database error (PostgreSQL's integer, SQLite's 64 bits).
    app.url_map.converters["int"] = RowIdConverter
    for blueprint in (
        auth_bp,
        channels_bp,
        cases_bp,
        records_bp,
        calendar_bp,
        handling_bp,
        agreements_bp,
        documents_bp,
        referrals_bp,
        portal_bp,
        reports_bp,
        oversight_bp,
        warning_bp,
        grid_bp,
        dispatch_bp,
        admin_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)
    filters.init_app(app)
    cli.init_app(app)
    register_error_pages(app)
    security_headers.init_app(app)
    submissions.init_app(app)  # after the blueprints: it wraps every view taking a POST
    return app


class RowIdConverter(IntegerConverter):
    """`int` in routes: non-negative and at most the largest id a row can have."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(url_map, fixed_digits, min, ROW_ID_MAX if max is None else max, signed)


def _settle_secret_key(app: Flask) -> None:
    """Production refuses to start without a key of its own of at least 32 bytes; a
    development start without one uses (or makes) the random key in instance/secret.key."""
    if is_production(app):
        problem = secret_key_problem(app.config["SECRET_KEY"])
        if problem:
            raise RuntimeError(problem)
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = dev_secret_key(app.instance_path)


def _postgres_options(app: Flask) -> None:
    """PostgreSQL's JIT compiler off for the app's connections: it compiles any query the
    planner estimates above jit_above_cost, and a case list's scope (subplans the planner
    prices high) crossed it at 20,000 cases, spending 40–100 ms compiling a query that runs
    in 15 ms. The pages are short queries; compiling never pays for itself there."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("options", "-c jit=off")
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie (which now carries only the session id, the CSRF token and flash
    messages), marked Secure in production and on every request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config["SESSION_COOKIE_SECURE"]
        if setting is not None:
            return bool(setting)
        return has_request_context() and request.is_secure


def _setup_sqlite(app: Flask) -> None:
    """SQLite needs foreign keys switched on per connection, and a wait instead of
    'database is locked' when two requests write at once."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()


def _keep_prepared_statements(app: Flask) -> None:
    """psycopg prepares a statement on the server the fifth time a connection runs it (parsed
    and planned once), but any ROLLBACK drops them all (DEALLOCATE ALL), and every request
    ended with one: closing the session rolls back. A request whose transaction wrote nothing
    ends with a COMMIT instead (the same thing for a transaction that only read), so the
    pooled connections keep their statements and a page's queries are not planned again on
    every request. Anything but a SELECT counts as writing, and then the rollback stays."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from sqlalchemy import event
    from sqlalchemy.exc import SQLAlchemyError

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info["wrote"] = True

    @app.teardown_request
    def _commit_reads(exc):
        if exc is not None:
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        expire = session.expire_on_commit
        # Nothing was written: the loaded objects stay loaded, as they did before this commit
        # was added (a server drops them with the session right after; the tests keep one).
        session.expire_on_commit = False
        try:
            if not session.connection().info.get("wrote", True):
                session.commit()
        except SQLAlchemyError:  # a failed transaction or a broken connection: undo as before
            session.rollback()
        finally:
            session.expire_on_commit = expire


ENDED_MESSAGES = {
    "idle": "您已长时间未操作，为保护当事人信息已自动退出，请重新登录。",
    "absolute": "本次登录已满规定时长，为保护当事人信息已自动退出，请重新登录。",
    "ended": "本次登录已结束（已退出、修改了密码或被管理员强制下线），请重新登录。",
}


def _setup_login(app: Flask) -> None:
    from mediation.auth import sessions

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        """Signed in only while the session's row in user_sessions is live: the cookie alone
        is never enough (a copy of it dies when the row ends)."""
        row, ended = sessions.current(session.get(sessions.SID))
        if ended:
            g.session_ended = ended
        if row is None or str(row.user_id) != user_id:
            return None
        return row.user

    @app.before_request
    def drop_ended_sessions():
        """A cookie whose session has ended is emptied, and the login page says why."""
        if request.endpoint == "static" or current_user.is_authenticated:
            return None
        if sessions.SID not in session and "_user_id" not in session:
            return None
        for key in (sessions.SID, "_user_id", "_fresh", "_id"):
            session.pop(key, None)
        reason = g.pop("session_ended", None)
        if reason:
            flash(ENDED_MESSAGES.get(reason, ENDED_MESSAGES["ended"]), "info")
            return redirect(url_for("auth.login", next=request.full_path))
        return None
