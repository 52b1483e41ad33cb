"""The OpenAPI 3.1 document, generated from the code with apispec: the paths from the API
blueprint's routes and the operation each view declares (@operation), the answers' schemas
from the marshmallow schemas the views dump through, the referral's body from the desk form."""

import re
from collections.abc import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from mediation.api import schemas

TITLE = "人民调解案件管理系统 数据交换接口"
VERSION = "1.0.0"
DESCRIPTION = """\
法院、公安派出所、信访部门、其他部门和省级平台与人民调解委员会交换数据的接口（一次录入、各处共享）。

* **认证**：每个请求带 `Authorization: Bearer <访问令牌>`。令牌由司法局系统管理员
  在“接口客户端”页面签发，只显示一次，可吊销，到期失效。
* **范围**：客户端只能向授权单位下的调委会移交案件，只能查询自己移交的案件。
* **限流**：每个客户端每分钟的调用次数有上限，超过时返回 429 和 `Retry-After`（秒）。
* **推送**：案件状态每次变化，系统向客户端的回调地址 POST 一条 JSON 消息，带
  `X-Mediation-Signature: sha256=<HMAC-SHA256(签名密钥, 请求体)>` 和
  `Idempotency-Key`（同一变化重试时不变，可据此去重）；
  未收到 2xx 时按 30 秒起倍增的间隔重试。
* 每次调用（客户端、接口、结果）都记入系统安全日志。
"""

# Flask's <int:case_id> is OpenAPI's {case_id}.
_RULE_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def operation(**spec) -> Callable:
    """Declare a view's OpenAPI operation (summary, parameters, responses ...) next to it."""

    def mark(view):
        view.openapi = spec
        return view

    return mark


def build_spec() -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": "/", "description": "本系统"}],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "接口客户端的访问令牌"}
    )
    for name in ("Error", "ReferredCase", "ReferredCaseList", "Statistics"):
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.components.schema("Referral", schemas.referral_request_schema())
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        declared = getattr(view, "openapi", None)
        if not rule.endpoint.startswith("api.") or declared is None:
            continue
        path = _RULE_ARG.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = declared
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()
