"""Login, logout and changing one's password."""

from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mediation.auth import sessions, throttle
from mediation.auth.forms import LoginForm, PasswordForm
from mediation.auth.service import LoginRefused, TooManyAttempts, authenticate, change_password

bp = Blueprint("auth", __name__)

# The cookie by which a browser that has signed in to an account before is recognised
# (its right password then passes while strangers' failures hold the account).
KNOWN_COOKIE = "known_login"
KNOWN_DAYS = 180
KNOWN_MAX = 10


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page. Browsers read "//host",
    "/\\host" and "/%2F/host" as another site, and drop tabs and line breaks, so a path must
    start with exactly one "/" and hold none of these, also after unquoting."""
    if target:
        path = target
        for _ in range(3):  # percent-encoded more than once
            path = unquote(path)
        parts = urlsplit(path)
        if (
            path.startswith("/")
            and not path.startswith("//")
            and "\\" not in path
            and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)
            and not parts.scheme
            and not parts.netloc
        ):
            return target
    return url_for("channels.home")


def _known_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-login")


def _known_accounts() -> list[str]:
    raw = request.cookies.get(KNOWN_COOKIE)
    if not raw:
        return []
    try:
        found = _known_serializer().loads(raw, max_age=KNOWN_DAYS * 86400)
    except BadSignature:
        return []
    return [key for key in found if isinstance(key, str)] if isinstance(found, list) else []


def _remember_browser(response, username: str) -> None:
    key = throttle.account_key(username)
    keys = [key] + [k for k in _known_accounts() if k != key]
    response.set_cookie(
        KNOWN_COOKIE,
        _known_serializer().dumps(keys[:KNOWN_MAX]),
        max_age=KNOWN_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.session_interface.get_cookie_secure(current_app),
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("channels.home"))
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        username = form.username.data
        known = throttle.account_key(username) in _known_accounts()
        try:
            user = authenticate(username, form.password.data, request.remote_addr or "", known)
        except TooManyAttempts as waiting:
            error, status = waiting.message, 429
            headers["Retry-After"] = str(waiting.seconds)
        except LoginRefused as refused:
            error, status = refused.message, 401
        else:
            session.clear()  # nothing planted before the login survives it
            session[sessions.SID] = sessions.start(
                user, request.remote_addr or "", request.user_agent.string
            )
            session.permanent = True
            login_user(user)
            response = redirect(safe_next(request.args.get("next")))
            _remember_browser(response, user.username)
            return response
    elif form.errors:
        status = 400
    page = render_template("auth/login.html", form=form, error=error)
    return make_response(page, status, headers)


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user if current_user.is_authenticated else None
    sessions.end(session.get(sessions.SID), user)
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            ended = change_password(
                current_user, form.current.data, form.new.data, session.get(sessions.SID)
            )
        except LoginRefused as refused:
            getattr(form, refused.field).errors.append(refused.message)
        else:
            others = f"其他设备上的{ended}个登录已退出。" if ended else ""
            flash(f"密码已修改。{others}", "success")
            return redirect(url_for("channels.home"))
    return render_template("auth/password.html", form=form)
