"""Resident pages, no account needed: look up one's own case, see where it stands, print
the documents one holds a copy of. Thin: parse, call the service, render."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, session, url_for

from mediation.documents.service import document_path
from mediation.forms import show_refusal
from mediation.portal import service
from mediation.portal.forms import LookupForm
from mediation.workflow import WorkflowError

bp = Blueprint("portal", __name__)

KEY = "portal"


def _lookup():
    """This browser's lookup, while it is live on the server (lookup.party, lookup.case,
    lookup.by_id_tail)."""
    lookup = service.current_lookup(session.get(KEY))
    if lookup is None:
        session.pop(KEY, None)
    return lookup


@bp.route("/portal", methods=["GET", "POST"])
def lookup():
    form, status = LookupForm(), 200
    if form.validate_on_submit():
        try:
            _, token = service.open_lookup(
                form.number.data, form.proof.data, request.remote_addr or ""
            )
        except WorkflowError as refused:
            status = show_refusal(form, refused)
        else:
            session[KEY] = token
            return redirect(url_for("portal.case"))
    elif form.errors:
        status = 400
    return render_template("portal/lookup.html", form=form, limits=service.LIMITS), status


@bp.route("/portal/case")
def case():
    lookup = _lookup()
    if lookup is None:
        flash(f"查询已超过{service.LOOKUP_MINUTES}分钟或尚未查询，请重新填写案件编号和身份信息。",
              "info")  # fmt: skip
        return redirect(url_for("portal.lookup"))
    party = lookup.party
    current = party.case
    text, route = service.explanation(current)
    return render_template(
        "portal/case.html", party=party, case=current, steps=service.steps(current),
        explanation=text, route=route, others=service.others(current, party, lookup.by_receipt),
        dates=service.key_dates(current), documents=service.party_documents(current),
        mediators=[m.user.name for m in current.active_mediators],
        minutes=service.LOOKUP_MINUTES,
    )  # fmt: skip


@bp.route("/portal/documents/<int:document_id>.pdf")
def document(document_id: int):
    lookup = _lookup()
    if lookup is None:
        return redirect(url_for("portal.lookup"))
    try:
        found = service.party_document(lookup.party, document_id)
    except WorkflowError:
        return render_template("errors/error.html", code=404, title="找不到文书",
                               text="没有这份文书，或它不属于您查询的案件。"), 404  # fmt: skip
    return send_file(document_path(found), mimetype="application/pdf", as_attachment=True,
                     download_name=found.filename, max_age=0)  # fmt: skip


@bp.route("/portal/leave", methods=["POST"])
def leave():
    service.end_lookup(session.pop(KEY, None))
    flash("已结束查询。在公用电脑上查询后，请关闭浏览器。", "info")
    return redirect(url_for("portal.lookup"))
