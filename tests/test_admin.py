"""User and committee administration in the UI."""

from mediation.extensions import db
from mediation.models import Org, OrgKind, Role

from htmlform import form_values


def test_only_admins_reach_administration(world, login):
    for username in ("director1", "auditor0"):
        assert login(username).get("/admin/users").status_code == 403
    page = login("admin").get("/admin/users").get_data(as_text=True)
    assert "mediator1" in page and "东街社区人民调解委员会" in page


def test_admin_creates_a_mediator_who_can_log_in(world, login):
    c = login("admin")
    committee = world.committees["河西"]
    data = {"username": "mediator7", "name": "新调解员", "role": "mediator",
            "org_id": committee.id, "active": "y", "password": "start2026"}  # fmt: skip
    assert c.post("/admin/users/new", data=data).status_code == 302
    assert login("mediator7", "start2026").get("/cases").status_code == 200


def test_role_must_fit_its_place_in_the_tree(world, login):
    data = {"username": "x1", "name": "某人", "role": "mediator",
            "org_id": world.offices["hexi"].id, "active": "y", "password": "start2026"}  # fmt: skip
    response = login("admin").post("/admin/users/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“人民调解员”只能设在人民调解委员会。" in page
    assert 'value="某人"' in page  # what was typed stays


def test_weak_and_duplicate_accounts_are_refused(world, login):
    c = login("admin")
    data = {"username": "mediator1", "name": "重名", "role": "mediator",
            "org_id": world.committees["东街"].id, "password": "start2026"}  # fmt: skip
    assert "该用户名已被使用。" in c.post("/admin/users/new", data=data).get_data(True)
    data.update(username="fresh", password="12345678")
    assert "新密码须同时包含字母和数字。" in c.post("/admin/users/new", data=data).get_data(True)


def test_admin_unlocks_and_disables(world, login):
    from datetime import UTC, datetime, timedelta

    user = world["mediator1"]
    user.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    db.session.commit()
    c = login("admin")
    values = form_values(c.get(f"/admin/users/{user.id}").get_data(True), "card")
    values["unlock"] = "y"
    assert c.post(f"/admin/users/{user.id}", data=values).status_code == 302
    db.session.refresh(user)
    assert user.locked_until is None
    values = form_values(c.get(f"/admin/users/{user.id}").get_data(True), "card")
    values.pop("active")
    c.post(f"/admin/users/{user.id}", data=values)
    db.session.refresh(user)
    assert not user.active


def test_stale_user_edit_is_refused(world, login):
    user = world["mediator1"]
    a, b = login("admin"), login("admin")
    first = form_values(a.get(f"/admin/users/{user.id}").get_data(True), "card")
    second = form_values(b.get(f"/admin/users/{user.id}").get_data(True), "card")
    first["name"] = "李秀英"
    assert a.post(f"/admin/users/{user.id}", data=first).status_code == 302
    second["phone"] = "13800000000"
    response = b.post(f"/admin/users/{user.id}", data=second)
    assert response.status_code == 400
    assert "其他管理员已修改了这条记录" in response.get_data(True)
    db.session.refresh(user)
    assert user.name == "李秀英" and user.phone is None


def test_admin_creates_a_committee_that_numbers_its_cases(world, login):
    c = login("admin")
    data = {"kind": "committee", "name": "河东村人民调解委员会", "short_name": "河东",
            "committee_kind": "village", "parent_id": world.offices["hexi"].id,
            "deadline_days": "20", "active": "y"}  # fmt: skip
    assert c.post("/admin/orgs/new", data=data).status_code == 302
    org = db.session.scalar(db.select(Org).where(Org.short_name == "河东"))
    assert org.kind == OrgKind.COMMITTEE and org.deadline_days == 20
    assert org.path.startswith(world.offices["hexi"].path)
    # The new committee is inside the 河西镇司法所 auditor's scope.
    from factories import make_case, make_user

    make_case(make_user("m_hedong", Role.MEDIATOR, org))
    assert "河东调字第0001号" in login("auditor2").get("/cases").get_data(True)
    assert "河东调字" not in login("auditor1").get("/cases").get_data(True)


def test_committee_needs_a_unique_short_name_and_a_proper_parent(world, login):
    c = login("admin")
    data = {"kind": "committee", "name": "新调委会", "short_name": "东街",
            "committee_kind": "village", "parent_id": world.offices["hexi"].id}  # fmt: skip
    assert "该简称已被其他调委会使用" in c.post("/admin/orgs/new", data=data).get_data(True)
    data.update(short_name="新", parent_id=world.committees["河西"].id)
    page = c.post("/admin/orgs/new", data=data).get_data(True)
    assert "人民调解委员会的上级须为司法所或司法局。" in page


def test_org_page_lists_the_tree(world, login):
    page = login("admin").get("/admin/orgs").get_data(as_text=True)
    assert page.index("示例县司法局") < page.index("城关镇司法所") < page.index("东街社区")
