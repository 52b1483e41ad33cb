"""The API served for real (waitress, as `make serve` runs it): simultaneous repeats of one
referral make one case, and schemathesis, a property-based API tester, sends what the
OpenAPI document allows (and what it does not) without ever getting a 500 or an answer the
document does not describe."""

import json
import urllib.error
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import ApiReferral, Case

from apiclient import make_client, referral
from concurrency import LiveServer, at_once


@pytest.fixture
def server(app):
    live = LiveServer(app)
    yield live
    live.close()


def post(server, token, body) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url + "/api/v1/referrals",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_simultaneous_repeats_of_a_referral_make_one_case(world, server):
    _, token = make_client(world)
    body = referral(world.committees["东街"])
    answers = at_once([lambda: post(server, token, body) for _ in range(8)])
    statuses = sorted(a[0] for a in answers)
    assert statuses == [200] * 7 + [201], answers
    assert len({a[1]["id"] for a in answers}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert db.session.scalar(select(func.count()).select_from(ApiReferral)) == 1


# --- schemathesis --------------------------------------------------------------------------


@pytest.fixture
def api_schema(world, server):
    _, token = make_client(world, rate_limit=100000)
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    schema.token = token
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_gives_a_500_or_breaks_the_document(case):
    """Every operation, with generated parameters and bodies (valid and not): no server
    error, and every answer's status, content type and body as the document says."""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {case.operation.schema.token}"},
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
