"""Helpers for the API tests: clients and tokens made through the admin use cases, calls
that check every answer against the OpenAPI document the app serves, referral bodies."""

import json
import re

import jsonschema_rs

from mediation.api import clients
from mediation.extensions import db
from mediation.models import ApiClient, ApiClientKind, Org

from factories import ID_FEMALE, ID_MALE

_SPEC: dict | None = None


def make_client(world, name="城关区人民法院", kind=ApiClientKind.COURT, units=None,
                callback_url="", rate_limit=1000, days=30) -> tuple[ApiClient, str]:  # fmt: skip
    """A client registered by the administrator, with a token; (client, token)."""
    units = units if units is not None else [world.offices["chengguan"]]
    client = clients.create_client(world["admin"], {
        "name": name, "kind": kind, "unit_ids": [u.id for u in units],
        "callback_url": callback_url, "rate_limit": rate_limit, "active": True,
    })  # fmt: skip
    issued = clients.issue_token(world["admin"], client, days)
    return client, issued.plain


def referral(committee: Org, reference="（2026）浙0102民诉前调1234号", **extra) -> dict:
    return {
        "reference_number": reference,
        "referred_on": "2026-11-30",
        "feedback_due": "2026-12-30",
        "committee_id": committee.id,
        "category": "neighbour",
        "dispute_place": "东街社区幸福路",
        "summary": "两户因院墙渗水发生争执，经法院诉前委派调解。",
        "request": "请求对方修缮院墙并赔偿损失三千元。",
        "parties": [
            {"role": "applicant", "kind": "person", "name": "王建国", "id_number": ID_MALE,
             "phone": "13800138000", "address": "东街社区幸福路12号"},
            {"role": "respondent", "kind": "person", "name": "李秀英", "id_number": ID_FEMALE,
             "phone": "13900139000"},
        ],
        **extra,
    }  # fmt: skip


def spec(client) -> dict:
    global _SPEC
    if _SPEC is None:
        _SPEC = client.get("/api/v1/openapi.json").get_json()
    return _SPEC


def _operation(document: dict, method: str, path: str) -> dict:
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\{[a-z_]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def check_against_spec(client, method: str, path: str, response) -> None:
    """The answer's status is documented for the operation, its content type is the
    documented one, and a JSON body validates against the documented schema."""
    document = spec(client)
    operation = _operation(document, method, path.split("?")[0])
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (method, path, response.status_code, response.data[:300])
    kind, media = next(iter(documented["content"].items()))
    assert response.mimetype == kind, (response.mimetype, kind)
    if kind == "application/json":
        schema = {**document, **media["schema"]}
        validator = jsonschema_rs.Draft202012Validator(schema)
        errors = [e.message for e in validator.iter_errors(response.get_json())]
        assert errors == [], (method, path, errors[:3])


def call(client, method: str, path: str, token: str | None = None, body=None, raw=None,
         headers=None):  # fmt: skip
    """An API call through the test client, its answer checked against the document."""
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    kwargs = {"headers": sent}
    if body is not None:
        kwargs["data"] = json.dumps(body, ensure_ascii=False)
        kwargs["content_type"] = "application/json"
    if raw is not None:
        kwargs["data"] = raw
        kwargs["content_type"] = "application/json"
    response = client.open(path, method=method, **kwargs)
    check_against_spec(client, method, path, response)
    db.session.expire_all()
    return response
