"""Public pages, no account needed: the home page and the online application. Thin: parse,
call the service, render."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from mediation import access
from mediation.channels import service
from mediation.channels.forms import ApplicationForm
from mediation.forms import choices, show_refusal
from mediation.portal.service import LOOKUP_MINUTES
from mediation.workflow import WorkflowError

bp = Blueprint("channels", __name__)

RECEIPT_KEY = "applied"


@bp.route("/")
def home():
    """Signed-in users go to their work; everyone else sees what people's mediation is."""
    if current_user.is_authenticated:
        if access.is_admin(current_user):
            return redirect(url_for("admin.users"))
        if access.can_file_grid_reports(current_user):
            return redirect(url_for("grid.mine"))
        return redirect(url_for("cases.index"))
    return render_template("channels/home.html", groups=service.public_committees())


def _committee_choices(groups) -> list:
    pairs = [(str(c.id), c.name) for g in groups for c in g.committees]
    return choices(pairs, "按发生地推荐（可不选）")


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    if (request.content_length or 0) > service.MAX_APPLICATION_BYTES:
        text = "申请的内容超过了允许的长度，请精简后再提交，详细情况可以当面向调解员说明。"
        page = render_template("errors/error.html", code=413, title="申请内容过长", text=text)
        return page, 413
    groups = service.public_committees()
    form, status = ApplicationForm(), 200
    form.committee_id.choices = _committee_choices(groups)
    if form.validate_on_submit():
        try:
            application = service.submit_application(form.data, request.remote_addr or "")
        except WorkflowError as refused:
            status = show_refusal(form, refused)
        else:
            session[RECEIPT_KEY] = application.receipt
            return redirect(url_for("channels.applied"))
    elif form.errors:
        status = 400
    committees = {str(c.id): c for g in groups for c in g.committees}
    page = render_template("channels/apply.html", form=form, committees_by_id=committees)
    return page, status


@bp.route("/apply/done")
def applied():
    """The receipt, shown to the browser that just applied (the session holds only the
    receipt number; the page shows nothing the applicant typed)."""
    receipt = session.get(RECEIPT_KEY)
    if not receipt:
        return redirect(url_for("channels.apply"))
    return render_template("channels/applied.html", receipt=receipt, minutes=LOOKUP_MINUTES)
