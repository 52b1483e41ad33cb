"""Administration pages: accounts and the organisation tree."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from mediation import access
from mediation.admin import service
from mediation.admin.forms import OrgForm, UserForm
from mediation.extensions import db
from mediation.forms import choices
from mediation.models import Org, User
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


def _show_error(form, error: WorkflowError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and error.field != "version":
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.org_id, User.username)).all()
    return render_template("admin/users.html", users=rows)


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
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            if user is None:
                if not form.password.data:
                    raise WorkflowError("请设置初始密码。", status=400, field="password")
                user = service.create_user(current_user, form.data_dict(), form.password.data)
            else:
                service.update_user(current_user, user, version, form.data_dict(),
                                    form.password.data or "")  # fmt: skip
        except WorkflowError as error:
            db.session.rollback()
            if error.field == "version" and user is not None:
                form.version.data = user.version
            _show_error(form, error)
        else:
            flash(f"已保存账户 {user.username}。", "success")
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, account=user), status


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
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            if org is None:
                org = service.create_org(current_user, form.data_dict())
            else:
                service.update_org(current_user, org, version, form.data_dict())
        except WorkflowError as error:
            db.session.rollback()
            if error.field == "version" and org is not None:
                form.version.data = org.version
            _show_error(form, error)
        else:
            flash(f"已保存 {org.name}。", "success")
            return redirect(url_for("admin.orgs"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/org_form.html", form=form, org=org), status
