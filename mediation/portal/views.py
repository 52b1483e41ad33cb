"""Resident pages, no account needed: look up one's own case, see where it stands, print
the documents one holds a copy of. Thin: parse, call the service, render."""

import time

from flask import Blueprint, flash, redirect, render_template, request, send_file, session, url_for

from mediation.documents.service import document_path, filename_of, signed_name
from mediation.forms import show_refusal
from mediation.portal import service
from mediation.portal.forms import LookupForm
from mediation.records.attachments import attachment_path
from mediation.workflow import WorkflowError

bp = Blueprint("portal", __name__)

KEY = "portal"


def _party():
    """The party this browser looked up, while the lookup is fresh."""
    found = session.get(KEY) or {}
    if found.get("until", 0) < time.time():
        session.pop(KEY, None)
        return None
    return service.party_or_none(found.get("party"))


@bp.route("/portal", methods=["GET", "POST"])
def lookup():
    form, status = LookupForm(), 200
    if form.validate_on_submit():
        try:
            party = service.find_party(form.number.data, form.proof.data, request.remote_addr or "")
        except WorkflowError as refused:
            status = show_refusal(form, refused)
        else:
            session[KEY] = {"party": party.id, "until": time.time() + service.LOOKUP_MINUTES * 60}
            return redirect(url_for("portal.case"))
    elif form.errors:
        status = 400
    return render_template("portal/lookup.html", form=form, limits=service.LIMITS), status


@bp.route("/portal/case")
def case():
    party = _party()
    if party is None:
        flash(f"查询已超过{service.LOOKUP_MINUTES}分钟或尚未查询，请重新填写案件编号和身份信息。",
              "info")  # fmt: skip
        return redirect(url_for("portal.lookup"))
    current = party.case
    text, route = service.explanation(current)
    return render_template(
        "portal/case.html", party=party, case=current, steps=service.steps(current),
        explanation=text, route=route, others=service.others(current, party),
        dates=service.key_dates(current), documents=service.party_documents(current),
        mediators=[m.user.name for m in current.active_mediators],
        minutes=service.LOOKUP_MINUTES,
    )  # fmt: skip


@bp.route("/portal/documents/<int:document_id>.pdf")
def document(document_id: int):
    party = _party()
    if party is None:
        return redirect(url_for("portal.lookup"))
    try:
        found = service.party_document(party, document_id)
    except WorkflowError:
        return render_template("errors/error.html", code=404, title="找不到文书",
                               text="没有这份文书，或它不属于您查询的案件。"), 404  # fmt: skip
    return send_file(document_path(found), mimetype="application/pdf", as_attachment=True,
                     download_name=filename_of(found), max_age=0)  # fmt: skip


@bp.route("/portal/documents/<int:document_id>/signed")
def signed_scan(document_id: int):
    """The scan of the signed, sealed paper copy, as the committee keeps it."""
    party = _party()
    if party is None:
        return redirect(url_for("portal.lookup"))
    try:
        scan = service.signed_scan(party, document_id)
    except WorkflowError:
        text = "没有这份文书的签字件，或它不属于您查询的案件。"
        return render_template("errors/error.html", code=404, title="找不到文书", text=text), 404
    return send_file(
        attachment_path(scan),
        mimetype=scan.content_type,
        as_attachment=True,
        download_name=signed_name(scan),
        max_age=0,
    )


@bp.route("/portal/leave", methods=["POST"])
def leave():
    session.pop(KEY, None)
    flash("已结束查询。在公用电脑上查询后，请关闭浏览器。", "info")
    return redirect(url_for("portal.lookup"))
