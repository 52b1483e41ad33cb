"""The JSON API for referring bodies and the province (issue 14): clients and their tokens,
referrals in through the desk's form and register_case, status and outcome back to the
client that referred the case and nobody else, statistics out with the page's numbers.
Every answer is checked against the OpenAPI document (apiclient.call)."""

import io
from datetime import timedelta

import pytest
from apiclient import call, make_client, referral
from sqlalchemy import func, select

from mediation.api import clients
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import (
    ApiClientKind,
    ApiRateCount,
    ApiReferral,
    ApiToken,
    Case,
    CaseStatus,
    EventKind,
    Referral,
    SecurityEvent,
    Source,
)
from mediation.models.base import frozen_time, utcnow
from mediation.reports.service import build_report, current_period

from factories import acknowledge_rights, make_case

# --- Clients and tokens ---------------------------------------------------------------------


def test_a_token_is_kept_only_as_its_sha256_and_works_until_revoked(world, client):
    court, token = make_client(world)
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == clients.hash_token(token) and token not in stored.hint
    assert token.startswith(stored.hint)
    assert call(client, "GET", "/api/v1/referrals", token).status_code == 200

    clients.revoke_token(world["admin"], court, stored.id)
    answer = call(client, "GET", "/api/v1/referrals", token)
    assert answer.status_code == 401
    assert answer.get_json()["message"] == "访问令牌已被吊销。"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(world, client):
    _, token = make_client(world, days=1)
    assert call(client, "GET", "/api/v1/referrals", token).status_code == 200
    with frozen_time(utcnow() + timedelta(days=1, minutes=1)):
        answer = call(client, "GET", "/api/v1/referrals", token)
    assert answer.status_code == 401
    assert "已过期" in answer.get_json()["message"]


def test_a_missing_or_unknown_token_is_refused(world, client):
    make_client(world)
    assert call(client, "GET", "/api/v1/referrals").status_code == 401
    assert call(client, "GET", "/api/v1/referrals", "mdapi_guessed").status_code == 401


def test_a_disabled_client_is_refused(world, client):
    court, token = make_client(world)
    clients.update_client(world["admin"], court, court.version, {
        "name": court.name, "kind": court.kind, "unit_ids": [u.id for u in court.units],
        "callback_url": "", "rate_limit": 1000, "active": False,
    })  # fmt: skip
    answer = call(client, "GET", "/api/v1/referrals", token)
    assert answer.status_code == 401 and answer.get_json()["message"] == "该接口客户端已停用。"


def test_every_call_is_in_the_security_log_with_client_route_and_result(world, client):
    _, token = make_client(world)
    call(client, "GET", "/api/v1/referrals", token)
    call(client, "GET", "/api/v1/referrals/999", token)
    call(client, "GET", "/api/v1/referrals", "mdapi_wrong")
    entries = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.kind == "api_call").order_by(SecurityEvent.seq)
    ).all()
    seen = [(e.username, e.target, e.detail["结果"]) for e in entries]
    assert seen == [
        ("城关区人民法院", "GET /api/v1/referrals", 200),
        ("城关区人民法院", "GET /api/v1/referrals/<int:case_id>", 404),
        ("", "GET /api/v1/referrals", 401),
    ]


def test_calls_over_the_limit_answer_429_with_retry_after(world, client):
    _, token = make_client(world, rate_limit=3)
    with frozen_time(utcnow().replace(second=20)):
        answers = [call(client, "GET", "/api/v1/referrals", token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "40"
    assert answers[-1].get_json()["message"] == "调用过于频繁，请40秒后重试。"
    # Counted in the database, where every app server counts.
    assert db.session.scalar(select(ApiRateCount.count)) == 4
    with frozen_time(utcnow().replace(second=0) + timedelta(minutes=1)):
        assert call(client, "GET", "/api/v1/referrals", token).status_code == 200


# --- Referrals in ---------------------------------------------------------------------------


def test_a_referral_becomes_a_case_in_submitted_for_the_director(world, client, login):
    _, token = make_client(world)
    answer = call(client, "POST", "/api/v1/referrals", token, referral(world.committees["东街"]))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "submitted" and body["status_label"] == "申请/上报"
    assert body["reference_number"] == "（2026）浙0102民诉前调1234号"
    assert body["number"].startswith("（") and "东街调字第" in body["number"]
    case = db.session.get(Case, body["id"])
    assert case.committee == world.committees["东街"] and case.status == CaseStatus.SUBMITTED
    assert case.source == Source.COURT and case.source_detail == "城关区人民法院"
    assert case.referral.reference_number == "（2026）浙0102民诉前调1234号"
    assert [p.name for p in case.parties] == ["王建国", "李秀英"]
    created = case.events[0]
    assert created.kind == EventKind.CREATED and created.user.name == "城关区人民法院"
    # The director finds it in the list and on its page, as any referral typed at the desk.
    director = login("director1")
    assert body["number"] in director.get("/cases").get_data(as_text=True)
    assert "城关区人民法院" in director.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_repeat_of_a_referral_returns_the_same_case(world, client):
    _, token = make_client(world)
    first = call(client, "POST", "/api/v1/referrals", token, referral(world.committees["东街"]))
    # The same number written with half-width brackets and a space is the same letter.
    again = referral(world.committees["东街"], reference="(2026)浙0102民诉前调 1234号")
    second = call(client, "POST", "/api/v1/referrals", token, again)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_validation_errors_name_the_field_in_the_forms_words(world, client):
    _, token = make_client(world)
    bad = referral(world.committees["东街"], summary="")
    bad["parties"][0]["id_number"] = "330109198510120034"  # a wrong check digit
    answer = call(client, "POST", "/api/v1/referrals", token, bad)
    assert answer.status_code == 422
    errors = {e["field"]: e["message"] for e in answer.get_json()["errors"]}
    assert errors["summary"] == "请填写纠纷简要情况。"
    assert "校验" in errors["parties[0].id_number"]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    # Nothing was claimed: the corrected referral goes through under the same number.
    good = call(client, "POST", "/api/v1/referrals", token, referral(world.committees["东街"]))
    assert good.status_code == 201


def test_the_referral_rules_of_the_desk_apply(world, client):
    """The referral date is checked by the desk's rule too (not after registration)."""
    _, token = make_client(world)
    late = referral(world.committees["东街"], referred_on="2999-01-01")
    answer = call(client, "POST", "/api/v1/referrals", token, late)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "referred_on"


def test_a_committee_outside_the_grant_is_refused(world, client):
    _, token = make_client(world)  # 城关镇司法所: 东街 and 城关, not 河西
    answer = call(client, "POST", "/api/v1/referrals", token, referral(world.committees["河西"]))
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {"field": "committee_id", "message": "请选择授权范围内的人民调解委员会。"}
    ]


def test_the_province_refers_nothing(world, client):
    _, token = make_client(world, name="省级平台", kind=ApiClientKind.PROVINCE,
                           units=[world.bureau])  # fmt: skip
    answer = call(client, "POST", "/api/v1/referrals", token, referral(world.committees["东街"]))
    assert answer.status_code == 403


def test_malformed_json_is_a_400_in_chinese(world, client):
    _, token = make_client(world)
    answer = call(client, "POST", "/api/v1/referrals", token, raw=b"{not json")
    assert answer.status_code == 400 and answer.get_json()["message"] == "请求内容不是有效的JSON。"
    answer = call(client, "POST", "/api/v1/referrals", token, body=[1, 2])
    assert answer.status_code == 422


# --- Scope ----------------------------------------------------------------------------------


def _referred(client, token, world, reference="（2026）浙0102民诉前调1234号", at="东街"):
    answer = call(client, "POST", "/api/v1/referrals", token,
                  referral(world.committees[at], reference=reference))  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_a_client_never_sees_a_case_it_did_not_refer(world, client):
    _, court = make_client(world)
    _, police = make_client(world, name="城关派出所", kind=ApiClientKind.POLICE)
    mine = _referred(client, court, world)
    theirs = _referred(client, police, world, reference="城公（治）调字〔2026〕88号")
    desk = make_case(world["director1"]).id
    assert call(client, "GET", f"/api/v1/referrals/{mine}", court).status_code == 200
    for other in (theirs, desk, 999999, 2152779862771):  # the last one found by schemathesis
        answer = call(client, "GET", f"/api/v1/referrals/{other}", court)
        assert answer.status_code == 404
        assert answer.get_json()["message"] == (
            "没有这个案件，或该案件不是贵单位移交的。"
            if other < 2**31  # past the id column no route matches: the API's plain 404
            else "没有这个接口或对象，或不在贵单位的授权范围内。"
        )
        for document in ("feedback.pdf", "agreement.pdf"):
            assert call(client, "GET", f"/api/v1/referrals/{other}/{document}",
                        court).status_code == 404  # fmt: skip
    listed = call(client, "GET", "/api/v1/referrals", court).get_json()["cases"]
    assert [c["id"] for c in listed] == [mine]


def test_a_case_outside_the_grant_is_not_seen_even_if_referred(world, client):
    court, token = make_client(world, units=[world.offices["chengguan"]])
    case_id = _referred(client, token, world)
    clients.update_client(world["admin"], court, court.version, {
        "name": court.name, "kind": court.kind, "unit_ids": [world.offices["hexi"].id],
        "callback_url": "", "rate_limit": 1000, "active": True,
    })  # fmt: skip
    assert call(client, "GET", f"/api/v1/referrals/{case_id}", token).status_code == 404
    assert call(client, "GET", "/api/v1/referrals", token).get_json()["cases"] == []


def test_the_province_reads_statistics_only_of_its_units(world, client):
    _, token = make_client(world, name="省级平台", kind=ApiClientKind.PROVINCE,
                           units=[world.offices["hexi"]])  # fmt: skip
    ok = call(client, "GET", f"/api/v1/statistics?unit={world.committees['河西'].id}", token)
    assert ok.status_code == 200
    outside = call(client, "GET", f"/api/v1/statistics?unit={world.offices['chengguan'].id}",
                   token)  # fmt: skip
    assert outside.status_code == 404


@pytest.mark.parametrize("username", ["director1", "auditor0", "admin", "grid1", "mediator1"])
def test_a_signed_in_user_gets_nothing_from_the_api(world, client, login, username):
    """A session cookie is no API credential, whatever the role: 401 on every API route."""
    _, token = make_client(world)
    case_id = _referred(client, token, world)
    browser = login(username)
    for path in ("/api/v1/referrals", f"/api/v1/referrals/{case_id}",
                 f"/api/v1/referrals/{case_id}/feedback.pdf", "/api/v1/statistics"):  # fmt: skip
        assert call(browser, "GET", path).status_code == 401, (username, path)
    assert call(browser, "POST", "/api/v1/referrals", body={}).status_code == 401


# --- Status, outcome and documents back ------------------------------------------------------


def test_status_key_dates_and_outcome_follow_the_case(world, client):
    _, token = make_client(world)
    case_id = _referred(client, token, world)
    case = acknowledge_rights(db.session.get(Case, case_id))
    cases.apply_action(case, world["director1"], "accept")
    body = call(client, "GET", f"/api/v1/referrals/{case_id}", token).get_json()
    assert body["status"] == "accepted" and body["outcome"] is None
    assert body["dates"]["accepted_on"] == case.accepted_on.isoformat()
    assert body["dates"]["deadline"] == case.deadline.isoformat()

    cases.apply_action(case, world["director1"], "terminate", reason="双方分歧过大",
                       route="可向人民法院起诉")  # fmt: skip
    body = call(client, "GET", f"/api/v1/referrals/{case_id}", token).get_json()
    assert body["status"] == "terminated" and body["status_label"] == "调解终止"
    assert body["outcome"]["result"] == "terminated"
    assert body["outcome"]["reason"] == "双方分歧过大"
    assert body["outcome"]["route"] == "可向人民法院起诉"
    assert body["documents"] == {"feedback": False, "agreement": False}


def test_the_agreement_pdf_only_for_a_written_agreement_in_force(world, client):
    from pypdf import PdfReader
    from test_agreements import agreed, login_free_upload

    from mediation.documents.service import generate_document
    from mediation.models import DocumentKind

    court, token = make_client(world)
    case = agreed(world)
    db.session.add(ApiReferral(client_id=court.id, reference="（2026）浙0102民诉前调9号",
                               case_id=case.id))  # fmt: skip
    db.session.commit()
    url = f"/api/v1/referrals/{case.id}/agreement.pdf"
    assert call(client, "GET", url, token).status_code == 404  # not signed yet
    generate_document(case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id)
    login_free_upload(case, world["mediator1"])
    answer = call(client, "GET", url, token)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.data)).pages)
    assert "人民调解协议书" in text.replace(" ", "")
    body = call(client, "GET", f"/api/v1/referrals/{case.id}", token).get_json()
    assert body["documents"]["agreement"] is True


def test_statistics_are_the_numbers_of_the_statistics_page(world, client):
    _, token = make_client(world, name="省级平台", kind=ApiClientKind.PROVINCE,
                           units=[world.bureau])  # fmt: skip
    for user in ("director1", "director1", "director2"):
        case = make_case(world[user])
        cases.apply_action(case, world[user], "accept")
    unit = world.offices["chengguan"]
    answer = call(client, "GET", f"/api/v1/statistics?unit={unit.id}&period=month", token)
    body = answer.get_json()
    page = build_report(world["auditor1"], unit, current_period("month"))
    assert body["total"]["accepted"] == page.total.accepted == 2
    assert body["unit"] == {"id": unit.id, "name": unit.name}
    rows = {r["unit"]["name"]: r["figures"]["accepted"] for r in body["by_unit"]}
    assert rows == {u.name: t.accepted for u, t in page.by_unit}
    assert body["by_category"][0]["label"] == "邻里纠纷"


def test_bad_statistics_parameters_are_400_in_chinese(world, client):
    _, token = make_client(world, name="省级平台", kind=ApiClientKind.PROVINCE,
                           units=[world.bureau])  # fmt: skip
    answer = call(client, "GET", "/api/v1/statistics?period=week", token)
    assert answer.status_code == 400
    assert answer.get_json()["message"] == "参数 period 应为 month、quarter 或 year。"
    answer = call(client, "GET", "/api/v1/statistics?year=abc", token)
    assert answer.status_code == 400 and answer.get_json()["errors"][0]["field"] == "year"


# --- The document -----------------------------------------------------------------------------


def test_the_openapi_document_is_3_1_with_chinese_examples(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    referral_schema = document["components"]["schemas"]["Referral"]
    assert referral_schema["example"]["reference_number"].startswith("（2026）")
    # The limits are the desk form's (cases/forms.py): summary at most 5000 characters.
    assert referral_schema["properties"]["summary"]["maxLength"] == 5000
    assert referral_schema["properties"]["summary"]["description"] == "纠纷简要情况"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "<script>" not in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_referral_row_for_every_api_case(world, client):
    """The API's referral is the desk's Referral too (one way of recording a referral)."""
    _, token = make_client(world)
    case_id = _referred(client, token, world)
    row = db.session.scalar(select(Referral).where(Referral.case_id == case_id))
    assert row.body_name == "城关区人民法院" and row.body_kind == Source.COURT
