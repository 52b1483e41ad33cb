"""Administration pages: accounts and the organisation tree."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from mediation import access
from mediation.admin import service
from mediation.admin.forms import (
    ApiClientForm,
    ConfirmForm,
    OrgForm,
    SecurityFilterForm,
    SignOutForm,
    TokenForm,
    UserForm,
)
from mediation.api import clients
from mediation.audit import security
from mediation.audit.chain import verify_window
from mediation.auth import sessions, throttle
from mediation.extensions import db
from mediation.forms import choices, refused_status, show_refusal
from mediation.models import ApiClient, Org, User
from mediation.models.base import utcnow
from mediation.workflow import WorkflowError

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not access.is_admin(current_user):
        abort(403)


def _org_choices(with_blank: bool = False):
    rows = [(o.id, "　" * o.depth + o.name) for o in service.org_tree()]
    return choices([(0, "（无，最上一级）"), *rows] if with_blank else rows)


def _save(form, obj, save, message, endpoint: str):
    """Save a valid form through the service; a redirect when saved, None when refused (the
    refusal is then shown in the form, with everything typed kept)."""
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        saved = save(version)
    except WorkflowError as error:
        db.session.rollback()
        if error.field == "version" and obj is not None:
            form.version.data = obj.version
        show_refusal(form, error)
        return None
    flash(message(saved), "success")
    return redirect(url_for(endpoint))


@bp.route("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.org_id, User.username)).all()
    waiting = throttle.waiting_accounts([u.username for u in rows])
    return render_template("admin/users.html", users=rows, waiting=waiting)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_form(user_id: int | None = None):
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.org_id.choices = _org_choices()
    if user is not None and request.method == "GET":
        form.version.data = user.version
        form.role.data = user.role.value
    if form.validate_on_submit():

        def save(version):
            if user is not None:
                return service.update_user(current_user, user, version, form.data_dict(),
                                           form.password.data or "")  # fmt: skip
            if not form.password.data:
                raise WorkflowError("请设置初始密码。", status=400, field="password")
            return service.create_user(current_user, form.data_dict(), form.password.data)

        done = _save(form, user, save, lambda u: f"已保存账户 {u.username}。", "admin.users")
        if done:
            return done
    return _user_page(form, user), refused_status(form, request)


def _user_page(form, user: User | None) -> str:
    waiting = user is not None and user.username in throttle.waiting_accounts([user.username])
    sessions_open = sessions.open_sessions(user) if user is not None else 0
    return render_template(
        "admin/user_form.html",
        form=form,
        account=user,
        locked=waiting,
        sessions_open=sessions_open,
        sign_out=SignOutForm(),
    )


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
def sign_out_user(user_id: int):
    """强制下线: the account is signed out on every device at once."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    ended = service.sign_out_everywhere(current_user, user)
    flash(f"已强制下线账户 {user.username}，结束了{ended}个登录会话。", "success")
    return redirect(url_for("admin.user_form", user_id=user.id))


@bp.route("/orgs")
def orgs():
    return render_template("admin/orgs.html", orgs=service.org_tree())


@bp.route("/orgs/new", methods=["GET", "POST"])
@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
def org_form(org_id: int | None = None):
    org = db.session.get(Org, org_id) if org_id else None
    if org_id and org is None:
        abort(404)
    form = OrgForm(obj=org if request.method == "GET" else None)
    form.parent_id.choices = _org_choices(with_blank=True)
    if org is not None and request.method == "GET":
        form.version.data = org.version
        form.kind.data = org.kind.value
        form.committee_kind.data = org.committee_kind.value if org.committee_kind else ""
        form.parent_id.data = org.parent_id or 0
    if form.validate_on_submit():

        def save(version):
            if org is None:
                return service.create_org(current_user, form.data_dict())
            return service.update_org(current_user, org, version, form.data_dict())

        done = _save(form, org, save, lambda o: f"已保存 {o.name}。", "admin.orgs")
        if done:
            return done
    return render_template("admin/org_form.html", form=form, org=org), refused_status(form, request)


LOG_PAGE = 100


@bp.route("/log")
def log():
    """The administration log, newest first, a page at a time (?before=<id>), with the
    hash chain checked across the page shown."""
    before = request.args.get("before", type=int)
    entries = service.log_entries(before, LOG_PAGE)
    return render_template(
        "admin/log.html", entries=entries, problems=service.log_problems(entries),
        older=entries[-1].id if len(entries) == LOG_PAGE else None,
    )  # fmt: skip


@bp.route("/security")
def security_log():
    """The security log (sign-ins, refused case URLs, downloads, exports), searchable and a
    page at a time (?before=<number>), with the chain checked across the page shown."""
    form = SecurityFilterForm(request.args)
    form.validate()
    filters = {k: v for k, v in form.data.items() if not form[k].errors}
    before = request.args.get("before", type=int)
    entries = security.search(filters, before, LOG_PAGE)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template(
        "admin/security.html",
        form=form,
        args=args,
        entries=entries,
        kinds=security.KINDS,
        problems=verify_window(entries),
        older=entries[-1].seq if len(entries) == LOG_PAGE else None,
    )


# --- API clients (接口客户端) ----------------------------------------------------------------


def _client_or_404(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    return client


@bp.route("/api-clients")
def api_clients():
    rows = db.session.scalars(select(ApiClient).order_by(ApiClient.name)).all()
    return render_template("admin/api_clients.html", clients=rows, now=utcnow())


def _unit_choices():
    return choices([(o.id, "　" * o.depth + o.name) for o in service.org_tree() if o.active])


@bp.route("/api-clients/new", methods=["GET", "POST"])
@bp.route("/api-clients/<int:client_id>", methods=["GET", "POST"])
def api_client_form(client_id: int | None = None):
    client = _client_or_404(client_id) if client_id else None
    form = ApiClientForm(obj=client if request.method == "GET" else None)
    form.unit_ids.choices = _unit_choices()
    if client is not None and request.method == "GET":
        form.version.data = client.version
        form.kind.data = client.kind.value
        form.unit_ids.data = [u.id for u in client.units]
    if form.validate_on_submit():

        def save(version):
            if client is None:
                return clients.create_client(current_user, form.data_dict())
            return clients.update_client(current_user, client, version, form.data_dict())

        done = _save(
            form, client, save, lambda c: f"已保存接口客户端 {c.name}。", "admin.api_clients"
        )
        if done:
            return done
    return _client_page(form, client), refused_status(form, request)


def _client_page(form, client, token_form=None):
    return render_template(
        "admin/api_client.html",
        form=form,
        client=client,
        token_form=token_form or TokenForm(formdata=None),
        confirm=ConfirmForm(),
        now=utcnow(),
    )


@bp.route("/api-clients/<int:client_id>/tokens", methods=["POST"])
def issue_api_token(client_id: int):
    """签发令牌: the token is on this answer only (it is kept hashed): no redirect, so it is
    never in a URL, a cookie or a later page."""
    client = _client_or_404(client_id)
    form = TokenForm()
    if form.validate_on_submit():
        try:
            issued = clients.issue_token(current_user, client, form.days.data)
        except WorkflowError as error:
            show_refusal(form, error)
        else:
            return render_template(
                "admin/api_secret.html", client=client, what="访问令牌", value=issued.plain,
                expires=issued.token.expires_at,
            )  # fmt: skip
    page = ApiClientForm(obj=client)
    page.unit_ids.choices = _unit_choices()
    page.unit_ids.data = [u.id for u in client.units]
    page.version.data = client.version
    return _client_page(page, client, form), 400


@bp.route("/api-clients/<int:client_id>/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(client_id: int, token_id: int):
    client = _client_or_404(client_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = clients.revoke_token(current_user, client, token_id)
    except WorkflowError:
        abort(404)
    flash(f"已吊销令牌 {token.hint}…，使用它的请求将被拒绝。", "success")
    return redirect(url_for("admin.api_client_form", client_id=client.id))


@bp.route("/api-clients/<int:client_id>/secret", methods=["POST"])
def renew_api_secret(client_id: int):
    """生成签名密钥: shown on this answer only; the earlier key stops verifying at once."""
    client = _client_or_404(client_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    secret = clients.new_signing_secret(current_user, client)
    return render_template("admin/api_secret.html", client=client, what="签名密钥", value=secret)
