"""The API served for real (waitress, as `make serve` runs it): simultaneous repeats of one
referral make one case, and schemathesis, a property-based API tester, sends what the
OpenAPI document allows (and what it does not) without ever getting a 500 or an answer the
document does not describe."""

import json
import urllib.error
import urllib.request

import pytest
import schemathesis
from apiclient import make_client, referral
from concurrency import LiveServer, at_once
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import ApiReferral, Case


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

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 10  # per operation and mode: the whole run stays well under a minute


def test_no_input_gives_a_500_or_breaks_the_document(world, server):
    """Every operation, with generated parameters and bodies, valid ones and invalid ones:
    no server error, and every answer's status, content type and body as the document
    says."""
    _, token = make_client(world, rate_limit=100000)
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    tried = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            run()
            tried += 1
    assert tried == 2 * 6  # every operation of the document, both ways
