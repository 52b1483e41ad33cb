"""Resident pages, no account needed: look up one's own case, see where it stands, print
the documents one holds a copy of. Thin: parse, call the service, render."""

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, session, url_for

from mediation.documents.service import filename_of, party_copy, signed_name
from mediation.forms import show_refusal
from mediation.portal import service
from mediation.portal.forms import LookupForm
from mediation.records.attachments import send_stored
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
        minutes=service.LOOKUP_MINUTES, masked=service.masks_other_ids(lookup),
        appointment=service.next_session(current),
    )  # fmt: skip


def _refused(code: int, title: str, text: str):
    return render_template("errors/error.html", code=code, title=title, text=text), code


@bp.route("/portal/documents/<int:document_id>.pdf")
def document(document_id: int):
    lookup = _lookup()
    if lookup is None:
        return redirect(url_for("portal.lookup"))
    try:
        found = service.party_document(lookup.party, document_id)
    except WorkflowError:
        return _refused(404, "找不到文书", "没有这份文书，或它不属于您查询的案件。")
    if service.masks_other_ids(lookup):
        try:
            pdf = io.BytesIO(party_copy(found, lookup.party.id))
        except WorkflowError:  # its record is gone: the official copy is for the committee
            return _refused(404, "找不到文书", "这份文书暂时无法打印，请与人民调解委员会联系。")
        return send_file(pdf, mimetype="application/pdf", as_attachment=True,
                         download_name=filename_of(found), max_age=0)  # fmt: skip
    return send_stored(found, mimetype="application/pdf", download_name=filename_of(found))


@bp.route("/portal/documents/<int:document_id>/signed")
def signed_scan(document_id: int):
    """The scan of the signed, sealed paper copy, as the committee keeps it. A scan cannot
    be masked, so it is only for a party who proved the ID number's tail."""
    lookup = _lookup()
    if lookup is None:
        return redirect(url_for("portal.lookup"))
    if service.masks_other_ids(lookup):
        return _refused(403, "请核验身份", "签字件载有各方当事人的完整身份信息，"
                        "请使用您的公民身份号码后六位重新查询后下载。")  # fmt: skip
    try:
        scan = service.signed_scan(lookup.party, document_id)
    except WorkflowError:
        return _refused(404, "找不到文书", "没有这份文书的签字件，或它不属于您查询的案件。")
    return send_stored(scan, mimetype=scan.content_type, download_name=signed_name(scan))


@bp.route("/portal/leave", methods=["POST"])
def leave():
    service.end_lookup(session.pop(KEY, None))
    flash("已结束查询。在公用电脑上查询后，请关闭浏览器。", "info")
    return redirect(url_for("portal.lookup"))
