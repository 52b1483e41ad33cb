"""Referral pages: recording the 反馈函's sending (from the case page's panel) and the list of
referrals per referring body for the liaison (协调) meetings. Thin: parse, call, render."""

from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from mediation import access
from mediation.cases.panels import register_form
from mediation.cases.views import post_on_case
from mediation.models import CaseStatus, FeedbackMethod, Source
from mediation.models.base import local_today
from mediation.referrals import service
from mediation.referrals.forms import FeedbackForm, ReferralFilterForm

bp = Blueprint("referrals", __name__)

register_form("feedback", lambda case: FeedbackForm(formdata=None, prefix="feedback"))


@bp.app_context_processor
def _panel_rules():
    """What templates/referrals/_case_panel.html asks about a case."""
    return {"referral_rules": SimpleNamespace(
        owed=service.feedback_owed, outcome=service.outcome, deadline=service.feedback_deadline,
        overdue=service.feedback_overdue, may_record=service.may_record_feedback,
    )}  # fmt: skip


@bp.before_request
@login_required
def _require_login():
    return None


@bp.route("/cases/<int:case_id>/feedback", methods=["POST"])
def feedback(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "feedback", FeedbackForm(prefix="feedback"),
        lambda f: service.record_feedback(
            case, current_user, f.sent_on.data,
            FeedbackMethod(f.method.data) if f.method.data else None, f.note.data or "",
        ),
        lambda r: f"已登记向{r.body_name}反馈。",
    )  # fmt: skip


@bp.route("/referrals")
def index():
    """委派、移交案件: per referring body, for the 协调 meetings; printable."""
    if not access.can_list_referrals(current_user):
        abort(403)
    form = ReferralFilterForm(request.args)
    form.validate()
    value = {k: v for k, v in form.data.items() if not form[k].errors}
    filters = service.Filters(
        body=value.get("body") or "",
        kind=Source(value["kind"]) if value.get("kind") else None,
        date_from=value.get("date_from"),
        date_to=value.get("date_to"),
        status=CaseStatus(value["status"]) if value.get("status") else None,
        feedback=value.get("feedback") or "",
    )
    cases = service.referrals_for(current_user, filters)
    groups: dict[str, list] = {}
    for case in cases:
        groups.setdefault(case.referral.body_name, []).append(case)
    args = {k: v for k, v in request.args.items() if v}
    return render_template(
        "referrals/index.html", form=form, groups=groups, total=len(cases), args=args,
        bodies=service.bodies_for(current_user), limit=service.LIST_LIMIT, today=local_today(),
    )  # fmt: skip
