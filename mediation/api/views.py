"""The JSON API, /api/v1: token auth (no cookies, so no CSRF), a rate limit per client,
every call in the security log. Thin: parse, call mediation.api.service, dump through the
documented schema."""

import io
from typing import Any

from flask import Blueprint, g, jsonify, render_template, request, send_file
from werkzeug.exceptions import BadRequest

from mediation.api import clients, schemas, service
from mediation.api.spec import build_spec, operation
from mediation.audit.security import log_now
from mediation.extensions import csrf, db
from mediation.models import CaseStatus
from mediation.models.base import local_today
from mediation.workflow import WorkflowError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC = {"api.openapi", "api.docs"}


def _error(status: int, message: str, errors: list | None = None, **headers):
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(schemas.Error().dump(body))
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    client, problem = clients.authenticate(request.headers.get("Authorization", ""))
    if client is None:
        return _error(401, problem, **{"WWW-Authenticate": 'Bearer realm="mediation"'})
    g.api_client = client
    wait = clients.count_call(client)
    if wait:
        return _error(429, f"调用过于频繁，请{wait}秒后重试。", **{"Retry-After": str(wait)})
    return None


@bp.after_request
def _log_call(response):
    """Every call of a client (and every refused token) goes to the security log: who,
    which route, the result."""
    if request.endpoint in PUBLIC:
        return response
    client = g.get("api_client")
    rule = request.url_rule.rule if request.url_rule else request.path
    log_now(
        "api_call",
        username=client.name if client else "",
        target=f"{request.method} {rule}"[:120],
        detail={"结果": response.status_code, "路径": request.path[:100]},
    )
    return response


@bp.errorhandler(WorkflowError)
def _refused(error: WorkflowError):
    db.session.rollback()
    errors = getattr(error, "errors", None)
    if errors is None and error.field:
        errors = [{"field": error.field, "message": error.message}]
    return _error(error.status, error.message, errors)


@bp.errorhandler(BadRequest)
def _bad_request(error):
    return _error(400, "请求内容不是有效的JSON。")


def _client():
    return g.api_client


# --- Documentation --------------------------------------------------------------------------


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document at a stable address."""
    return jsonify(build_spec())


@bp.route("/docs")
def docs():
    """The readable reference (Swagger UI, shipped in static/vendor, no CDN)."""
    return render_template("api/docs.html")


# --- Shared parts of the operations ---------------------------------------------------------

ERRORS = {
    "401": {
        "description": "缺少、无效、过期或已吊销的访问令牌",
        "content": {"application/json": {"schema": "Error"}},
    },
    "429": {
        "description": "调用过于频繁（见 Retry-After）",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "需等待的秒数"}},
        "content": {"application/json": {"schema": "Error"}},
    },
}
BAD = {"description": "参数有误", "content": {"application/json": {"schema": "Error"}}}
NOT_FOUND = {
    "description": "没有这个案件，或不是本客户端移交的",
    "content": {"application/json": {"schema": "Error"}},
}
CASE_ID = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "description": "案件编号（移交时返回的 id）",
}
PDF = {
    "description": "PDF 文书",
    "content": {
        "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}
    },
}
SECURE = [{"bearer": []}]


def _int_arg(name: str, low: int, high: int, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise WorkflowError(f"参数 {name} 应为整数。", status=400, field=name) from None
    if not low <= value <= high:
        raise WorkflowError(f"参数 {name} 应在{low}至{high}之间。", status=400, field=name)
    return value


# --- Referrals in, status and outcome back -------------------------------------------------


@bp.route("/referrals", methods=["POST"])
@operation(
    summary="移交（委派）一件纠纷",
    description="登记为接收调委会的“申请/上报”案件，由调委会主任受理。"
    "同一客户端同一文号（reference_number）重复提交返回同一案件（200），首次登记返回 201。"
    "校验与窗口登记使用同一表单，错误信息逐项列出。",
    tags=["移交案件"],
    security=SECURE,
    requestBody={"required": True, "content": {"application/json": {"schema": "Referral"}}},
    responses={
        "201": {
            "description": "已登记",
            "content": {"application/json": {"schema": "ReferredCase"}},
        },
        "200": {
            "description": "该文号已登记过，返回同一案件",
            "content": {"application/json": {"schema": "ReferredCase"}},
        },
        "400": BAD,
        "403": {
            "description": "省级平台不能移交案件",
            "content": {"application/json": {"schema": "Error"}},
        },
        "409": {
            "description": "同一文号正在处理中",
            "content": {"application/json": {"schema": "Error"}},
        },
        "422": {
            "description": "填写有误：errors 逐项说明",
            "content": {"application/json": {"schema": "Error"}},
        },
        **ERRORS,
    },
)
def refer():
    data = request.get_json(silent=False)
    done = service.refer_case(_client(), data)
    body = schemas.ReferredCase().dump(service.case_view(_client(), done.case))
    return jsonify(body), 201 if done.created else 200


@bp.route("/referrals")
@operation(
    summary="本单位移交的案件列表",
    tags=["查询案件"],
    security=SECURE,
    parameters=[
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in CaseStatus]},
            "description": "只列这个状态的案件",
        },
        {
            "name": "after",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0},
            "description": "上一页的 next_after",
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
        },
    ],
    responses={
        "200": {
            "description": "案件",
            "content": {"application/json": {"schema": "ReferredCaseList"}},
        },
        "400": BAD,
        **ERRORS,
    },
)
def referrals():
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise WorkflowError("参数 status 不是有效的案件状态。", status=400, field="status")
    limit = _int_arg("limit", 1, 100, 50)
    after = _int_arg("after", 0, 2**31 - 1)
    cases = service.referred_cases(_client(), status, limit, after)
    body = {
        "cases": [service.case_view(_client(), c) for c in cases],
        "next_after": cases[-1].id if len(cases) == limit else None,
    }
    return jsonify(schemas.ReferredCaseList().dump(body))


@bp.route("/referrals/<int:case_id>")
@operation(
    summary="案件的状态、关键日期和结果",
    tags=["查询案件"],
    security=SECURE,
    parameters=[CASE_ID],
    responses={
        "200": {"description": "案件", "content": {"application/json": {"schema": "ReferredCase"}}},
        "404": NOT_FOUND,
        **ERRORS,
    },
)
def referral(case_id: int):
    case = service.referred_case_or_404(_client(), case_id)
    return jsonify(schemas.ReferredCase().dump(service.case_view(_client(), case)))


def _pdf(document):
    from mediation.documents.service import filename_of, read_document

    return send_file(
        io.BytesIO(read_document(document)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename_of(document),
    )


@bp.route("/referrals/<int:case_id>/feedback.pdf")
@operation(
    summary="下载反馈函",
    description="调委会就案件结果出具的反馈函（已出具时）。",
    tags=["查询案件"],
    security=SECURE,
    parameters=[CASE_ID],
    responses={"200": PDF, "404": NOT_FOUND, **ERRORS},
)
def feedback(case_id: int):
    case = service.referred_case_or_404(_client(), case_id)
    return _pdf(service.feedback_document(case))


@bp.route("/referrals/<int:case_id>/agreement.pdf")
@operation(
    summary="下载调解协议书",
    description="仅限已生效的书面调解协议（《人民调解法》第二十九条）；口头协议没有协议书。",
    tags=["查询案件"],
    security=SECURE,
    parameters=[CASE_ID],
    responses={"200": PDF, "404": NOT_FOUND, **ERRORS},
)
def agreement(case_id: int):
    case = service.referred_case_or_404(_client(), case_id)
    return _pdf(service.agreement_document(case))


# --- Statistics out -------------------------------------------------------------------------


def _figures(tally) -> dict:
    return {name: getattr(tally, name) for name in schemas.FIGURES}


def _report_body(report) -> dict:
    period = report.period
    return {
        "unit": {"id": report.unit.id, "name": report.unit.name},
        "period": {
            "kind": period.kind,
            "year": period.year,
            "number": period.number,
            "label": period.label,
            "start": period.start,
            "end": period.end,
        },
        "as_of": report.as_of,
        "total": _figures(report.total),
        "by_unit": [
            {"unit": {"id": u.id, "name": u.name}, "figures": _figures(t)}
            for u, t in report.by_unit
        ],
        "by_category": [
            {"code": c.value, "label": c.label, "figures": _figures(t)}
            for c, t in report.by_category
        ],
        "by_source": [
            {"code": s.value, "label": s.label, "figures": _figures(t)} for s, t in report.by_source
        ],
    }


@bp.route("/statistics")
@operation(
    summary="统计数据（与统计页面相同的口径和数字）",
    description="授权单位及其下级单位某月、某季度或某年的受理、调结、成功率等（DOMAIN §5）。",
    tags=["统计"],
    security=SECURE,
    parameters=[
        {
            "name": "unit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1},
            "description": "单位（授权范围内）；不填为第一个授权单位",
        },
        {
            "name": "period",
            "in": "query",
            "schema": {"type": "string", "enum": ["month", "quarter", "year"], "default": "month"},
        },
        {
            "name": "year",
            "in": "query",
            "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "description": "不填为今年",
        },
        {
            "name": "number",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 12},
            "description": "月份（1-12）或季度（1-4）；不填为当前月或季度",
        },
    ],
    responses={
        "200": {"description": "统计", "content": {"application/json": {"schema": "Statistics"}}},
        "400": BAD,
        "404": {
            "description": "单位不在授权范围内",
            "content": {"application/json": {"schema": "Error"}},
        },
        **ERRORS,
    },
)
def statistics():
    today = local_today()
    kind = request.args.get("period") or "month"
    if kind not in ("month", "quarter", "year"):
        raise WorkflowError("参数 period 应为 month、quarter 或 year。", status=400, field="period")
    unit = _int_arg("unit", 1, 2**31 - 1)
    year = _int_arg("year", 2000, 2100, today.year)
    current = {"month": today.month, "quarter": (today.month + 2) // 3, "year": 1}[kind]
    number = _int_arg("number", 1, 12, current if year == today.year else 1)
    report = service.statistics(_client(), unit, kind, year, number)
    return jsonify(schemas.Statistics().dump(_report_body(report)))
