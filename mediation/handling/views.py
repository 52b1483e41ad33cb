"""Handling pages: relations and recusals, risk and police reports, transfers, joint cases,
and the director's 需要关注的案件 page. Thin: parse, call the service, render or redirect.

The forms live in the case page's side column (templates/handling/_case_panel.html); a
refused post shows the case page again with the filled-in form and the reason next to it.
"""

from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from mediation import access, workflow
from mediation.cases.panels import register_form
from mediation.cases.views import post_on_case
from mediation.forms import choices
from mediation.handling import service
from mediation.handling.forms import (
    JointForm,
    PoliceReportForm,
    RecusalDecisionForm,
    RecusalForm,
    RelationForm,
    RiskForm,
    RiskReasonForm,
    TransferDecisionForm,
    TransferForm,
)
from mediation.models import RiskLevel, TransferKind
from mediation.models.base import LOCAL_TZ
from mediation.workflow import WorkflowError

bp = Blueprint("handling", __name__)

# What the panel template may ask: the same rules the service enforces.
RULES = SimpleNamespace(
    may_work_on=workflow.may_work_on,
    may_request_recusal=service.may_request_recusal,
    may_decide_recusal=service.may_decide_recusal,
    may_move=service.may_move,
    may_decide_transfer=service.may_decide_transfer,
    pending_transfer=service.pending_transfer,
    working=lambda case: case.status in workflow.WORKING,
    movable=lambda case: case.status in workflow.BEFORE_AGREEMENT,
    may_see_attention=service.may_see_attention,
)


@bp.app_context_processor
def _rules():
    return {"handling": RULES}


@bp.before_request
@login_required
def _require_login():
    return None


# --- The panel's forms, with the choices this case offers --------------------------------------


def _parties(case):
    return choices(((p.id, f"{p.role.label} {p.name}") for p in case.parties), blank="请选择")


def relation_form(case, formdata=None) -> RelationForm:
    form = RelationForm(formdata=formdata, prefix="relation")
    if workflow.may_work_on(current_user, case):
        form.party_id.choices = _parties(case)
        form.mediator_id.choices = choices(
            ((u.id, u.name) for u in access.assignable_mediators(case)), blank="请选择"
        )
    return form


def recusal_form(case, formdata=None) -> RecusalForm:
    form = RecusalForm(formdata=formdata, prefix="recusal")
    form.party_id.choices = _parties(case)
    form.mediator_id.choices = choices(
        ((m.user_id, m.user.name) for m in case.active_mediators), blank="请选择"
    )
    return form


def transfer_form(case, formdata=None) -> TransferForm:
    form = TransferForm(formdata=formdata, prefix="transfer")
    if service.may_move(current_user, case) and case.status in workflow.BEFORE_AGREEMENT:
        town = {o.id for o in service.escalation_targets(case)}
        form.to_committee_id.choices = choices(
            (
                (o.id, f"{o.name}（本镇调委会）" if o.id in town else o.name)
                for o in service.transfer_targets(case)
            ),
            blank="请选择（上报时可不选）",
        )
    return form


def joint_form(case, formdata=None) -> JointForm:
    form = JointForm(formdata=formdata, prefix="joint")
    if service.may_move(current_user, case) and case.status in workflow.BEFORE_AGREEMENT:
        form.committee_id.choices = choices(
            ((o.id, o.name) for o in service.joint_targets(case)), blank="请选择"
        )
    return form


register_form("relation", relation_form)
register_form("recusal", recusal_form)
register_form("recusal_decision", lambda case: RecusalDecisionForm(formdata=None, prefix="rd"))
register_form("risk", lambda case: RiskForm(formdata=None, prefix="risk"))
register_form("risk_reason", lambda case: RiskReasonForm(formdata=None, prefix="rr"))
register_form("police", lambda case: PoliceReportForm(formdata=None, prefix="police"))
register_form("transfer", transfer_form)
register_form("transfer_decision", lambda case: TransferDecisionForm(formdata=None, prefix="td"))
register_form("joint", joint_form)


# --- Mediators: relations and recusals ----------------------------------------------------------


@bp.route("/cases/<int:case_id>/relations", methods=["POST"])
def relation(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "relation", relation_form(case, formdata=request.form),
        lambda f: service.record_relation(
            case, current_user, f.party_id.data, f.mediator_id.data, f.relation.data or ""
        ),
        "已登记调解员与当事人的关系。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/recusals", methods=["POST"])
def recusal(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "recusal", recusal_form(case, formdata=request.form),
        lambda f: service.request_recusal(
            case, current_user, f.party_id.data, f.mediator_id.data, f.reason.data or ""
        ),
        "已记录回避申请：该调解员已退出本案，请调委会主任另行指派调解员。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/recusal-decision", methods=["POST"])
def recusal_decision(case_id: int):
    case = access.case_or_404(current_user, case_id)
    form = RecusalDecisionForm(prefix="rd")

    def decide(f):
        recusal = next((r for r in case.recusals if r.id == f.recusal_id.data), None)
        if recusal is None:
            raise WorkflowError("找不到该回避申请。", status=404)
        if f.decision.data not in ("accept", "reject"):
            raise WorkflowError("请选择同意回避或不同意回避。", status=400)
        service.decide_recusal(
            recusal, current_user, f.decision.data == "accept", f.note.data or "", f.version.data
        )

    return post_on_case(case, "recusal_decision", form, decide, "已作出回避决定。")


# --- Risk and police reports -------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/risk-measures", methods=["POST"])
def risk(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "risk", RiskForm(prefix="risk"),
        lambda f: service.record_risk_measure(
            case, current_user, f.measures.data or "",
            RiskLevel(f.risk_level.data) if f.risk_level.data else None,
        ),
        "已记录风险防控措施。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/risk-reason", methods=["POST"])
def risk_reason(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case,
        "risk_reason",
        RiskReasonForm(prefix="rr"),
        lambda f: service.record_risk_reason(case, current_user, f.reason.data or ""),
        "已记录无需采取防控措施的理由。",
    )


@bp.route("/cases/<int:case_id>/police-reports", methods=["POST"])
def police(case_id: int):
    case = access.case_or_404(current_user, case_id)

    def report(f):
        # The form's time is the committee's local time.
        at = f.reported_at.data.replace(tzinfo=LOCAL_TZ) if f.reported_at.data else None
        service.record_police_report(
            case, current_user, at, f.reported_to.data or "", f.reference.data or "",
            f.note.data or "",
        )  # fmt: skip

    return post_on_case(
        case, "police", PoliceReportForm(prefix="police"), report, "已记录报告公安机关。"
    )


# --- Jurisdiction: transfers and joint acceptance ---------------------------------------------


@bp.route("/cases/<int:case_id>/transfers", methods=["POST"])
def transfer(case_id: int):
    case = access.case_or_404(current_user, case_id)
    form = transfer_form(case, formdata=request.form)
    return post_on_case(
        case, "transfer", form,
        lambda f: service.request_transfer(
            case, current_user, TransferKind(f.kind.data), f.to_committee_id.data,
            f.reason.data or "",
        ),
        "已提出移交（上报），待接收调委会主任接收。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/transfer-decision", methods=["POST"])
def transfer_decision(case_id: int):
    case = access.case_or_404(current_user, case_id)

    def decide(f) -> bool:
        pending = next((t for t in case.transfers if t.id == f.transfer_id.data), None)
        if pending is None:
            raise WorkflowError("找不到该移交。", status=404)
        if f.decision.data not in ("accept", "decline"):
            raise WorkflowError("请选择接收或退回。", status=400)
        accept = f.decision.data == "accept"
        service.decide_transfer(pending, current_user, accept, f.note.data or "", f.version.data)
        return accept

    # Declined, the case stays with its committee and leaves this one's scope: back to the
    # director's list rather than to a page they can no longer see.
    return post_on_case(
        case, "transfer_decision", TransferDecisionForm(prefix="td"), decide,
        lambda accepted: f"已接收案件 {case.number}，请指派本调委会的调解员。" if accepted
        else f"已退回案件 {case.number}。",
        then=lambda accepted: url_for("cases.show", case_id=case.id) if accepted
        else url_for("handling.attention"),
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/joint-committees", methods=["POST"])
def joint(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "joint", joint_form(case, formdata=request.form),
        lambda f: service.add_joint_committee(
            case, current_user, f.committee_id.data, f.reason.data or ""
        ),
        "已添加共同受理的调委会。",
    )  # fmt: skip


# --- The director's page ----------------------------------------------------------------------


@bp.route("/attention")
def attention():
    if not service.may_see_attention(current_user):
        abort(403)
    return render_template(
        "handling/attention.html",
        cases=service.attention_cases(current_user),
        incoming=service.incoming_transfers(current_user),
    )
