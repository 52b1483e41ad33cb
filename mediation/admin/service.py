"""Use cases of the administrator: accounts and committees."""

from typing import Any

from sqlalchemy import select

from mediation.auth.service import password_problem
from mediation.extensions import db
from mediation.models import Org, OrgKind, Role, User
from mediation.workflow import WorkflowError

# Where in the tree each role may sit.
ROLE_ORG_KINDS = {
    Role.DIRECTOR: (OrgKind.COMMITTEE,),
    Role.MEDIATOR: (OrgKind.COMMITTEE,),
    Role.GRID: (OrgKind.COMMITTEE,),
    Role.AUDITOR: (OrgKind.OFFICE, OrgKind.BUREAU),
    Role.ADMIN: (OrgKind.BUREAU,),
}
# Which kind of org may be the parent of which.
PARENT_KINDS = {
    OrgKind.BUREAU: (),
    OrgKind.OFFICE: (OrgKind.BUREAU,),
    OrgKind.COMMITTEE: (OrgKind.OFFICE, OrgKind.BUREAU),
}


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise WorkflowError("只有系统管理员可以进行此操作。", status=403)


def _check_version(obj, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise WorkflowError(
            "您打开本页后，其他管理员已修改了这条记录。页面已显示最新内容，您填写的内容仍在表单中，"
            "请核对后再保存。",
            field="version",
        )


def _check_role_place(role: Role, org: Org) -> None:
    if org.kind not in ROLE_ORG_KINDS[role]:
        places = "、".join(k.label for k in ROLE_ORG_KINDS[role])
        raise WorkflowError(f"“{role.label}”只能设在{places}。", status=400, field="org_id")


def create_user(actor: User, data: dict[str, Any], password: str) -> User:
    _require_admin(actor)
    username = data["username"].strip()
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise WorkflowError("该用户名已被使用。", status=400, field="username")
    org = db.session.get(Org, data["org_id"])
    _check_role_place(data["role"], org)
    user = User(username=username, name=data["name"], role=data["role"], org=org,
                phone=data.get("phone") or None, active=data.get("active", True))  # fmt: skip
    problem = password_problem(user, password)
    if problem:
        raise WorkflowError(problem, status=400, field="password")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(
    actor: User, user: User, version: int | None, data: dict[str, Any], password: str = ""
) -> User:
    _require_admin(actor)
    _check_version(user, version)
    org = db.session.get(Org, data["org_id"])
    _check_role_place(data["role"], org)
    if user.id == actor.id and (data["role"] != Role.ADMIN or not data["active"]):
        raise WorkflowError("不能停用自己的管理员账户或取消自己的管理员角色。", status=400)
    user.name = data["name"]
    user.role = data["role"]
    user.org = org
    user.phone = data.get("phone") or None
    user.active = data["active"]
    if data.get("unlock"):
        user.locked_until = None
        user.failed_logins = 0
    if password:
        problem = password_problem(user, password)
        if problem:
            raise WorkflowError(problem, status=400, field="password")
        user.set_password(password)
    db.session.commit()
    return user


def _check_parent(kind: OrgKind, parent: Org | None) -> None:
    allowed = PARENT_KINDS[kind]
    if not allowed and parent is not None:
        raise WorkflowError("司法局是最上一级，不能有上级单位。", status=400, field="parent_id")
    if allowed and (parent is None or parent.kind not in allowed):
        names = "或".join(k.label for k in allowed)
        raise WorkflowError(f"{kind.label}的上级须为{names}。", status=400, field="parent_id")


def _check_org_fields(data: dict[str, Any], org: Org | None = None) -> None:
    same_name = select(Org.id).where(Org.name == data["name"])
    if org is not None:
        same_name = same_name.where(Org.id != org.id)
    if db.session.scalar(same_name):
        raise WorkflowError("已有同名单位。", status=400, field="name")
    if data["kind"] == OrgKind.COMMITTEE:
        if not data.get("short_name"):
            raise WorkflowError("调委会须填写简称（用于案号）。", status=400, field="short_name")
        same_short = select(Org.id).where(Org.short_name == data["short_name"])
        if org is not None:
            same_short = same_short.where(Org.id != org.id)
        if db.session.scalar(same_short):
            raise WorkflowError("该简称已被其他调委会使用，案号会重复。", status=400,
                                field="short_name")  # fmt: skip
        if not data.get("committee_kind"):
            raise WorkflowError("请选择调委会类型。", status=400, field="committee_kind")


def create_org(actor: User | None, data: dict[str, Any]) -> Org:
    """A new 司法局, 司法所 or committee. actor None is the command line (demo data, setup)."""
    if actor is not None:
        _require_admin(actor)
    parent = db.session.get(Org, data["parent_id"]) if data.get("parent_id") else None
    _check_parent(data["kind"], parent)
    _check_org_fields(data)
    committee = data["kind"] == OrgKind.COMMITTEE
    org = Org(
        kind=data["kind"], name=data["name"], parent=parent,
        short_name=data.get("short_name") if committee else None,
        committee_kind=data.get("committee_kind") if committee else None,
        deadline_days=data.get("deadline_days") or 30,
    )  # fmt: skip
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.commit()
    return org


def update_org(actor: User, org: Org, version: int | None, data: dict[str, Any]) -> Org:
    """Rename a unit or change a committee's details. Moving it in the tree is not offered:
    the scope of every account and case below it would move too."""
    _require_admin(actor)
    _check_version(org, version)
    data = {**data, "kind": org.kind}
    _check_org_fields(data, org)
    org.name = data["name"]
    if org.kind == OrgKind.COMMITTEE:
        org.short_name = data["short_name"]
        org.committee_kind = data["committee_kind"]
        org.deadline_days = data["deadline_days"] or 30
    org.active = data.get("active", True)
    db.session.commit()
    return org


def org_tree() -> list[Org]:
    """All units in tree order (by path), for the admin list and the select boxes."""
    return list(db.session.scalars(select(Org).order_by(Org.path)))
