"""Document pages: generate and download a case's documents, upload a signed copy, and the
public verification page (/verify/<code>), which needs no login. Thin: parse, call, render."""

from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from mediation import access
from mediation.audit.security import log_now
from mediation.calendar.service import appointments_of
from mediation.cases.page import memoised
from mediation.cases.panels import register_form
from mediation.cases.views import post_on_case
from mediation.documents import service, wording
from mediation.documents.forms import CheckForm, GenerateForm, SignedScanForm
from mediation.extensions import csrf
from mediation.forms import refused_status, show_refusal
from mediation.models import DocumentKind
from mediation.records.attachments import send_stored
from mediation.workflow import WorkflowError

bp = Blueprint("documents", __name__)

register_form("documents", lambda case: GenerateForm(formdata=None))
register_form("signed_scan", lambda case: SignedScanForm(formdata=None))


@bp.app_context_processor
def _panel_helpers():
    """What templates/documents/_case_panel.html asks about a case."""
    return {"docs": SimpleNamespace(
        of=memoised("documents", service.documents_of),
        entries=lambda case: service.entries(case, memoised("appointments", appointments_of)),
        may_generate=service.may_generate, may_download=service.may_download,
        kinds=DocumentKind, title=service.title_of,
    )}  # fmt: skip


@bp.app_template_filter("term_sentence")
def _term_sentence(term) -> str:
    return wording.term_sentence(term)


@bp.app_template_filter("cn_count")
def _cn_count(n: int) -> str:
    return wording.chinese_count(n)


@bp.app_template_filter("others_present")
def _others_present(record) -> list[str]:
    return wording.others_present(record)


def _kind(value: str | None) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        raise WorkflowError("没有这种文书。", status=400) from None


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@login_required
def generate(case_id: int):
    case = access.case_or_404(current_user, case_id)
    return post_on_case(
        case, "documents", GenerateForm(),
        lambda f: service.generate_document(case, current_user, _kind(f.kind.data),
                                            f.source_id.data or 0),
        "已生成文书，可在“文书”栏下载。",
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/documents/<int:document_id>.pdf")
@login_required
def download(case_id: int, document_id: int):
    case = access.case_or_404(current_user, case_id)
    if not service.may_download(current_user, case):
        abort(403)
    try:
        document = service.document_of_case(case, document_id)
    except WorkflowError:
        abort(404)
    log_now(
        "download",
        user=current_user,
        target=f"document:{document.id}",
        detail={"案件": case.number, "文件": document.filename},
    )
    return send_stored(
        document, mimetype="application/pdf", download_name=service.filename_of(document)
    )


@bp.route("/cases/<int:case_id>/documents/<int:document_id>/signed", methods=["POST"])
@login_required
def signed(case_id: int, document_id: int):
    case = access.case_or_404(current_user, case_id)

    def do(form):
        document = service.document_of_case(case, document_id)
        service.attach_signed_scan(case, current_user, document, form.file.data)

    return post_on_case(case, "signed_scan", SignedScanForm(), do, "已上传签字件。")


@bp.route("/verify", methods=["GET"])
def verify_index():
    code = (request.args.get("code") or "").strip()
    if code:
        return verify(code)
    return render_template("documents/verify.html", document=None, code="")


@bp.route("/verify/<code>", methods=["GET", "POST"])
@csrf.exempt  # CheckForm checks the token itself, once the upload limit fits the document
def verify(code: str):
    """The public page of a code; a POST checks the PDF the holder has against it."""
    document = service.find_by_code(code)
    if document is None:
        return render_template("documents/verify.html", document=None, code=code), 404
    code = document.code  # as printed, however it was typed
    result = None
    if request.method == "POST":
        # A case file may be larger than ordinary uploads; a file larger than the document
        # cannot be it, so it is answered without being read.
        request.max_content_length = service.upload_limit(document)
    try:
        form = CheckForm()
    except RequestEntityTooLarge:
        form, result = CheckForm(formdata=None), False
    else:
        if request.method == "POST" and form.validate():
            try:
                result = service.verify_upload(document, form.file.data)
            except WorkflowError as refused:
                show_refusal(form, refused)
        elif "csrf_token" in form.errors:
            form.form_errors.append("页面已过期，请刷新页面后重新选择文件核验。")
    return render_template(
        "documents/verify.html", document=document, facts=service.public_facts(document),
        code=code, form=form, result=result,
    ), refused_status(form, request)  # fmt: skip
