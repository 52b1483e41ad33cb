"""The security log: sign-ins, failures, lockouts and sign-outs."""

from mediation.models import User


def record_security_event(
    kind: str,
    *,
    user: User | None = None,
    username: str = "",
    target: str = "",
    detail: dict | None = None,
) -> None:
    """Record a security event of `kind` ("login", "login_failed", "lockout", "logout",
    "logout_all", "password_changed", "session_expired"): who it concerns (`user`, or the
    `username` typed when no account matched), what it was aimed at (`target`, e.g.
    "user:7") and any `detail`. Never pass a password.

    A placeholder in this branch: the audit branch holds the real log, taken at the merge."""
