"""Public doors (issue 13, parts 1–2): the home page for anonymous visitors and the online
application (当事人申请), which arrives in the committee's list as 申请, is followed by its
receipt number with the case lookup's rules, and is throttled and size-limited."""

import re

import pytest
from sqlalchemy import select

from mediation.admin import service as admin_service
from mediation.cases import service as cases
from mediation.channels import service as channels
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    OnlineApplication,
    PortalLookup,
    Role,
    Source,
    User,
)
from mediation.workflow import WorkflowError

from factories import ID_FEMALE, ID_MALE, acknowledge_rights

PHONE = "13812345678"


def areas(world):
    world.committees["东街"].service_area = "东街社区、幸福路"
    world.committees["河西"].service_area = "河西村"
    db.session.commit()


def application(**extra) -> dict:
    return {
        "name": "张三",
        "id_number": ID_MALE,
        "phone": PHONE,
        "address": "幸福路3号",
        "other_name": "李四",
        "other_phone": "",
        "other_address": "",
        "category": "neighbour",
        "summary": "楼上漏水，天花板发霉。",
        "request": "请求对方修好防水层。",
        "place": "东街社区幸福路3号",
        "committee_id": "",
        "consent": "y",
        **extra,
    }


def apply(client, **extra):
    return client.post("/apply", data=application(**extra))


# --- The home page -------------------------------------------------------------------------


def test_home_page_is_public_and_lists_committees_with_what_they_serve(world, client):
    areas(world)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "不收取任何费用" in html and "有纠纷，找人民调解" in html
    assert "东街社区人民调解委员会" in html and "东街社区、幸福路" in html
    assert "城关镇司法所" in html and "河西镇司法所" in html
    for door in ('href="/apply"', 'href="/portal"', 'href="/verify"'):
        assert door in html


def test_signed_in_users_still_go_to_their_work_from_home(world, login):
    assert login("director1").get("/").headers["Location"].endswith("/cases")
    assert login("admin").get("/").headers["Location"].endswith("/admin/users")
    assert login("grid1").get("/").headers["Location"].endswith("/grid")


def test_home_page_has_no_inline_script_or_style(world, client):
    for url in ("/", "/apply"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html


# --- The application -----------------------------------------------------------------------


def test_online_application_arrives_as_submitted_in_the_suggested_committee(world, client):
    areas(world)
    response = apply(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply/done")
    receipt_page = client.get("/apply/done").get_data(as_text=True)
    found = db.session.scalar(select(OnlineApplication))
    assert found.receipt in receipt_page and "张三" not in receipt_page
    case = found.case
    assert case.status == CaseStatus.SUBMITTED and case.source == Source.APPLICATION
    assert case.committee_id == world.committees["东街"].id and found.committee_suggested
    assert case.registered_by.role == Role.CHANNEL and not case.registered_by.is_active
    assert case.dispute_place == "东街社区幸福路3号" and found.place == "东街社区幸福路3号"
    assert [p.name for p in case.parties] == ["张三", "李四"]
    assert case.parties[0].id_number == ID_MALE


def test_the_application_is_in_the_directors_list_as_submitted(world, client, login):
    areas(world)
    apply(client)
    html = login("director1").get("/cases").get_data(as_text=True)
    assert "张三" in html and "申请/上报" in html
    assert "张三" not in login("director2").get("/cases").get_data(as_text=True)


def test_applicant_may_choose_another_committee_than_suggested(world, client):
    areas(world)
    apply(client, committee_id=str(world.committees["河西"].id))
    found = db.session.scalar(select(OnlineApplication))
    assert found.case.committee_id == world.committees["河西"].id
    assert not found.committee_suggested


def test_application_without_a_known_place_asks_for_the_committee(world, client):
    response = apply(client, place="外省某地")
    assert response.status_code == 400
    assert "请从列表中选择" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None


def test_application_checks_the_id_number_and_keeps_what_was_typed(world, client):
    areas(world)
    response = apply(client, id_number="330109198510120034")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "校验位不正确" in html
    assert "楼上漏水，天花板发霉。" in html and db.session.scalar(select(Case)) is None


def test_application_needs_consent_to_the_rules(world, client):
    areas(world)
    data = application()
    del data["consent"]
    response = client.post("/apply", data=data)
    assert response.status_code == 400 and "自愿" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None


def test_application_rate_limit_per_address(world, client):
    areas(world)
    for _ in range(channels.APPLY_LIMITS[0][1]):
        assert apply(client).status_code == 302
    response = apply(client)
    assert response.status_code == 429 and "申请过多" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Case)).all()) == channels.APPLY_LIMITS[0][1]


def test_application_size_limit(world, client):
    areas(world)
    response = apply(client, summary="漏" * 20000)
    assert response.status_code == 413 and "过长" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None


def test_channel_account_cannot_sign_in(world, client):
    areas(world)
    apply(client)
    account = db.session.scalar(select(User).where(User.role == Role.CHANNEL))
    response = client.post("/login", data={"username": account.username, "password": ""})
    assert response.status_code != 302


# --- Following the application -------------------------------------------------------------


def follow(client, receipt, proof=PHONE):
    return client.post("/portal", data={"number": receipt, "proof": proof})


def test_applicant_follows_by_receipt_and_sees_no_other_party(world, client):
    areas(world)
    apply(client)
    receipt = db.session.scalar(select(OnlineApplication)).receipt
    assert follow(client, receipt.lower()).status_code == 302
    html = client.get("/portal/case").get_data(as_text=True)
    assert "申请/上报" in html and "张三" in html
    assert "李" not in html.split("您的身份")[1].split("</dl>")[0]
    assert db.session.scalar(select(PortalLookup)).by_receipt


def page_text(response, number: str) -> str:
    """The page without what differs between any two requests (the number typed back into
    its field, the CSRF and submission tokens)."""
    html = response.get_data(as_text=True).replace(number, "")
    return re.sub(r'name="(csrf_token|submission)" value="[^"]*"', "", html)


def test_receipt_lookup_never_tells_whether_a_number_exists(world, client):
    areas(world)
    apply(client)
    receipt = db.session.scalar(select(OnlineApplication)).receipt
    real = follow(client, receipt, "13900000000")
    made_up = follow(client, "SQ" + "A" * 10, "13900000000")
    assert real.status_code == made_up.status_code == 400
    assert page_text(real, receipt) == page_text(made_up, "SQ" + "A" * 10)


def test_declined_application_shows_the_reason_to_the_applicant(world, client):
    areas(world)
    apply(client)
    found = db.session.scalar(select(OnlineApplication))
    cases.apply_action(
        found.case, world["director1"], "reject", reason="已由法院受理", route="请向法院了解进展"
    )
    follow(client, found.receipt)
    html = client.get("/portal/case").get_data(as_text=True)
    assert "不予受理" in html and "理由：已由法院受理" in html and "请向法院了解进展" in html


def test_accepted_application_shows_its_new_status(world, client):
    areas(world)
    apply(client)
    found = db.session.scalar(select(OnlineApplication))
    acknowledge_rights(found.case)  # the 权利义务告知书, acknowledged before acceptance
    cases.apply_action(found.case, world["director1"], "accept")
    follow(client, found.receipt, ID_MALE[-6:])
    html = client.get("/portal/case").get_data(as_text=True)
    assert "已受理" in html and found.case.number in html


def test_submit_application_service_refuses_an_inactive_committee(world):
    areas(world)
    world.committees["河西"].active = False
    db.session.commit()
    with pytest.raises(WorkflowError):
        channels.submit_application(
            application(committee_id=str(world.committees["河西"].id)) | {"consent": True},
            "10.0.0.1",
        )
    assert ID_FEMALE  # the factories' numbers stay valid


def test_channel_account_is_not_offered_or_editable_in_admin(world, client, login):
    areas(world)
    apply(client)
    account = db.session.scalar(select(User).where(User.role == Role.CHANNEL))
    admin = login("admin")
    assert 'value="channel"' not in admin.get("/admin/users/new").get_data(as_text=True)
    data = {
        "username": account.username,
        "name": "x",
        "role": Role.MEDIATOR,
        "org_id": account.org_id,
        "phone": "",
        "active": True,
    }
    with pytest.raises(WorkflowError, match="系统账户"):
        admin_service.update_user(world["admin"], account, None, data)


def test_admin_sets_what_a_committee_serves_and_the_home_page_lists_it(world, client, login):
    committee = world.committees["城关"]
    admin = login("admin")
    data = {
        "version": committee.version,
        "kind": "committee",
        "name": committee.name,
        "short_name": "城关",
        "committee_kind": "village",
        "deadline_days": 30,
        "service_area": "解放路、新华街",
        "active": "y",
    }
    assert admin.post(f"/admin/orgs/{committee.id}", data=data).status_code == 302
    assert "解放路、新华街" in client.get("/").get_data(as_text=True)
    assert channels.suggest_committee("新华街5号").id == committee.id


def test_application_refused_for_a_missing_committee_does_not_count_against_the_limit(
    world, client
):
    areas(world)
    for _ in range(5):
        assert apply(client, place="外省某地").status_code == 400
    assert apply(client).status_code == 302


def test_submit_application_service_checks_the_id_number_itself(world):
    areas(world)
    with pytest.raises(WorkflowError, match="校验位"):
        channels.submit_application(
            application(id_number="330109198510120034") | {"consent": True}, "10.0.0.1"
        )


def test_public_routes_need_no_account_and_the_receipt_page_only_after_applying(world, client):
    assert client.get("/").status_code == 200
    assert client.get("/apply").status_code == 200
    response = client.get("/apply/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply")
