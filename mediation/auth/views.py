"""Login, logout and changing one's password."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from mediation.auth.forms import LoginForm, PasswordForm
from mediation.auth.service import LoginRefused, authenticate, change_password

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only local paths: an absolute URL here would make the login page an open redirect.
    if target and urlsplit(target).netloc == "" and target.startswith("/"):
        return target
    return url_for("cases.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginRefused as refused:
            error = refused.message
        else:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if error is None else 401
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
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
            change_password(current_user, form.current.data, form.new.data)
        except LoginRefused as refused:
            getattr(form, refused.field).errors.append(refused.message)
        else:
            flash("密码已修改。", "success")
            return redirect(url_for("cases.home"))
    return render_template("auth/password.html", form=form)
