"""What the people running the servers need: /healthz for a load balancer or a monitor, and
one access-log line per request."""

import logging
import sys
import time

from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import text

from mediation.extensions import db
from mediation.storage import storage

bp = Blueprint("operations", __name__)

# One line per request: method, path, status, duration, user id. The path only: a query
# string may carry a name, an ID number or a phone typed into a search (DOMAIN §6: never in
# logs), and the client address is left out for the same reason.
access_log = logging.getLogger("mediation.access")


@bp.route("/healthz")
def healthz():
    """Database reachable (select 1) and storage writable (a probe written, read back and
    removed). No account needed, nothing personal in the answer, no session made: it says
    only which check failed, never why (the error goes to the server's log)."""
    checks = {"database": _check(_database), "storage": _check(lambda: storage().check())}
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if healthy else "fail", **checks})
    response.status_code = 200 if healthy else 503
    return response


def _database() -> None:
    try:
        db.session.execute(text("select 1"))
    finally:
        db.session.rollback()


def _check(probe) -> str:
    try:
        probe()
    except Exception:
        logging.getLogger(__name__).exception("health check failed")
        db.session.rollback()
        return "fail"
    return "ok"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if not access_log.handlers and not app.testing:
        # The servers (gunicorn, waitress) configure no handler for the app's own loggers:
        # without one, INFO lines would go nowhere.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        # The user flask_login loaded for this request, if any: asking current_user here
        # would load one for requests that never needed it (static files).
        user = g.get("_login_user")
        user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
        access_log.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            elapsed,
            user_id if user_id is not None else "-",
        )
        return response
