"""User and committee administration in the UI."""

from mediation.extensions import db
from mediation.models import Org, OrgKind, Role, User

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


def test_admin_unlocks_and_disables(world, login, client):
    user = world["mediator1"]
    for _ in range(5):
        client.post("/login", data={"username": "mediator1", "password": "nope"})
    assert client.post("/login", data={"username": "mediator1", "password": "x"}).status_code == 429
    c = login("admin")
    values = form_values(c.get(f"/admin/users/{user.id}").get_data(True), "card")
    values["unlock"] = "y"
    assert c.post(f"/admin/users/{user.id}", data=values).status_code == 302
    assert (
        client.post("/login", data={"username": "mediator1", "password": "nope"}).status_code == 401
    )
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


def test_every_account_and_unit_change_is_in_the_administration_log(world, login, app):
    from mediation.models import AdminEvent

    c = login("admin")
    data = {"username": "mediator7", "name": "新调解员", "role": "mediator",
            "org_id": world.committees["河西"].id, "active": "y", "password": "start2026",
            "phone": "13912345678"}  # fmt: skip
    assert c.post("/admin/users/new", data=data).status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "mediator7"))
    values = form_values(c.get(f"/admin/users/{user.id}").get_data(True), "card")
    values.update(role="director", password="newpass2026")
    assert c.post(f"/admin/users/{user.id}", data=values).status_code == 302
    committee = world.committees["东街"]
    values = form_values(c.get(f"/admin/orgs/{committee.id}").get_data(True), "card")
    values["deadline_days"] = "45"
    assert c.post(f"/admin/orgs/{committee.id}", data=values).status_code == 302

    entries = db.session.scalars(db.select(AdminEvent).order_by(AdminEvent.id)).all()
    created, changed, unit = entries[-3:]
    assert created.user.username == "admin" and created.summary == "新建账户 mediator7"
    assert created.details["角色"] == ["", "人民调解员"] and created.details["密码"] == [
        "",
        "已设置",
    ]
    assert created.details["手机号"] == ["", "139****5678"]  # masked, as everywhere
    assert changed.details == {"角色": ["人民调解员", "调委会主任"], "密码": ["", "已重置"]}
    assert unit.details == {"办理期限（天）": ["30", "45"]}
    # A change only to a phone's middle digits is a change too (logged masked).
    values = form_values(c.get(f"/admin/users/{user.id}").get_data(True), "card")
    values["phone"] = "13900005678"
    assert c.post(f"/admin/users/{user.id}", data=values).status_code == 302
    phone = db.session.scalars(db.select(AdminEvent).order_by(AdminEvent.id.desc())).first()
    assert phone.details == {"手机号": ["139****5678", "139****5678"]}
    entries = db.session.scalars(db.select(AdminEvent).order_by(AdminEvent.id)).all()
    raw = " ".join(str(e.details) for e in entries)
    assert "start2026" not in raw and "newpass2026" not in raw and "13912345678" not in raw

    page = c.get("/admin/log").get_data(as_text=True)
    assert "修改账户 mediator7" in page and "人民调解员 → 调委会主任" in page
    assert "校验完整" in page and "30 → 45" in page
    assert login("auditor0").get("/admin/log").status_code == 403

    # Editing an entry afterwards breaks the chain: the page and audit-verify say so.
    changed.details = {"角色": ["人民调解员", "人民调解员"]}
    db.session.commit()
    assert "日志校验未通过" in c.get("/admin/log").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code != 0 and "管理操作日志" in result.output


def test_create_admin_on_the_command_line_is_logged(app, world):
    from mediation.models import AdminEvent

    result = app.test_cli_runner().invoke(
        args=["create-admin", "root2"], input="adm1n2026\nadm1n2026\n"
    )
    assert result.exit_code == 0, result.output
    entry = db.session.scalars(db.select(AdminEvent).order_by(AdminEvent.id.desc())).first()
    assert entry.user is None and entry.summary == "新建账户 root2"
    weak = app.test_cli_runner().invoke(args=["create-admin", "root3"], input="1234\n1234\n")
    assert weak.exit_code != 0 and "密码" in weak.output
