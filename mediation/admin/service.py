"""Use cases of the administrator: accounts and committees."""

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mediation.audit.security import record_security_event
from mediation.audit.service import record_admin_event, verify_admin_page
from mediation.auth import sessions, throttle
from mediation.auth.service import password_problem
from mediation.extensions import db
from mediation.models import AdminEvent, Org, OrgKind, Role, User
from mediation.privacy import mask_phone
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
    if role not in ROLE_ORG_KINDS:  # a committee's online-application account (channels)
        raise WorkflowError("系统账户由系统创建，不能设置或修改。", status=400, field="role")
    if org.kind not in ROLE_ORG_KINDS[role]:
        places = "、".join(k.label for k in ROLE_ORG_KINDS[role])
        raise WorkflowError(f"“{role.label}”只能设在{places}。", status=400, field="org_id")


def _user_facts(user: User) -> dict[str, str]:
    """An account as the administration log compares it (the phone in full, so a change to
    its middle digits is seen; _diff masks it)."""
    return {"用户名": user.username, "姓名": user.name, "角色": user.role.label,
            "所在单位": user.org.name, "手机号": user.phone or "",
            "状态": "启用" if user.active else "停用"}  # fmt: skip


def _org_facts(org: Org) -> dict[str, str]:
    facts = {"名称": org.name, "类型": org.kind.label, "状态": "启用" if org.active else "停用",
             "上级单位": org.parent.name if org.parent else "（无）"}  # fmt: skip
    if org.kind == OrgKind.COMMITTEE:
        kind = org.committee_kind.label if org.committee_kind else ""
        facts |= {"简称": org.short_name or "", "调委会类型": kind,
                  "办理期限（天）": str(org.deadline_days),
                  "服务范围": org.service_area}  # fmt: skip
    return facts


def _diff(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """{label: [old, new]} for what changed; a phone only ever masked."""
    changes = {k: [before.get(k, ""), v] for k, v in after.items() if before.get(k, "") != v}
    if "手机号" in changes:
        changes["手机号"] = [mask_phone(v) if v else "" for v in changes["手机号"]]
    return changes


def _log_and_commit(actor: User | None, action: str, target: str, summary: str,
                    changes: dict) -> None:  # fmt: skip
    """Write the change and its administration log entry together, or neither."""
    if changes:
        db.session.flush()
        record_admin_event(actor, action, target, summary, changes)
    try:
        db.session.commit()
    except IntegrityError:  # another administrator's entry took the same place in the chain
        db.session.rollback()
        raise WorkflowError("另一位管理员刚刚也做了修改，本次未保存，请再提交一次。",
                            status=409) from None  # fmt: skip


def create_user(actor: User | None, data: dict[str, Any], password: str) -> User:
    """A new account. actor None is the command line (the first administrator)."""
    if actor is not None:
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
    try:
        db.session.flush()
    except IntegrityError:  # the same username created at the same moment
        db.session.rollback()
        raise WorkflowError("该用户名已被使用。", status=400, field="username") from None
    _log_and_commit(actor, "create_user", f"user:{user.id}", f"新建账户 {user.username}",
                    _diff({}, _user_facts(user)) | {"密码": ["", "已设置"]})  # fmt: skip
    return user


def update_user(
    actor: User, user: User, version: int | None, data: dict[str, Any], password: str = ""
) -> User:
    _require_admin(actor)
    _check_version(user, version)
    if user.role not in ROLE_ORG_KINDS:
        raise WorkflowError("系统账户由系统创建，不能设置或修改。", status=400)
    org = db.session.get(Org, data["org_id"])
    _check_role_place(data["role"], org)
    if user.id == actor.id and (data["role"] != Role.ADMIN or not data["active"]):
        raise WorkflowError("不能停用自己的管理员账户或取消自己的管理员角色。", status=400)
    before = _user_facts(user)
    was_active = user.active
    user.name = data["name"]
    user.role = data["role"]
    user.org = org
    user.phone = data.get("phone") or None
    user.active = data["active"]
    changes = _diff(before, _user_facts(user))
    if data.get("unlock") and user.username in throttle.waiting_accounts([user.username]):
        changes["登录锁定"] = ["已锁定", "已解除"]
        throttle.clear_account(user.username)
    if password:
        problem = password_problem(user, password)
        if problem:
            raise WorkflowError(problem, status=400, field="password")
        user.set_password(password)
        changes["密码"] = ["", "已重置"]
        ended = sessions.end_all(user, "password_changed")
        record_security_event(
            "password_changed",
            user=actor,
            target=f"user:{user.id}",
            detail={"by_admin": True, "sessions_ended": ended},
        )
    if was_active and not user.active:
        # A disabled account is signed out everywhere at once, not at its next idle timeout.
        ended = sessions.end_all(user, "disabled")
        record_security_event(
            "logout_all",
            user=actor,
            target=f"user:{user.id}",
            detail={"reason": "disabled", "sessions_ended": ended},
        )
    _log_and_commit(actor, "update_user", f"user:{user.id}", f"修改账户 {user.username}",
                    changes)  # fmt: skip
    return user


def sign_out_everywhere(actor: User, user: User) -> int:
    """强制下线: every session of `user` ends now, on every device; returns how many."""
    _require_admin(actor)
    ended = sessions.end_all(user, "logout_all")
    record_security_event(
        "logout_all", user=actor, target=f"user:{user.id}", detail={"sessions_ended": ended}
    )
    _log_and_commit(
        actor,
        "sign_out_user",
        f"user:{user.id}",
        f"强制下线 {user.username}",
        {"登录会话": [f"{ended}个", "已全部结束"]},
    )
    return ended


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


def default_deadline_days() -> int:
    """The deadline a committee gets unless its own is set (DEFAULT_DEADLINE_DAYS)."""
    return current_app.config["DEFAULT_DEADLINE_DAYS"]


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
        deadline_days=data.get("deadline_days") or default_deadline_days(),
        service_area=data.get("service_area", "") if committee else "",
    )  # fmt: skip
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    _log_and_commit(actor, "create_org", f"org:{org.id}", f"新建{org.kind.label} {org.name}",
                    _diff({}, _org_facts(org)))  # fmt: skip
    return org


def update_org(actor: User, org: Org, version: int | None, data: dict[str, Any]) -> Org:
    """Rename a unit or change a committee's details. Moving it in the tree is not offered:
    the scope of every account and case below it would move too."""
    _require_admin(actor)
    _check_version(org, version)
    data = {**data, "kind": org.kind}
    _check_org_fields(data, org)
    before = _org_facts(org)
    org.name = data["name"]
    if org.kind == OrgKind.COMMITTEE:
        org.short_name = data["short_name"]
        org.committee_kind = data["committee_kind"]
        org.deadline_days = data["deadline_days"] or default_deadline_days()
        org.service_area = data.get("service_area", "")
    org.active = data.get("active", True)
    _log_and_commit(actor, "update_org", f"org:{org.id}", f"修改{org.kind.label} {before['名称']}",
                    _diff(before, _org_facts(org)))  # fmt: skip
    return org


def org_tree() -> list[Org]:
    """All units in tree order (by path), for the admin list and the select boxes."""
    return list(db.session.scalars(select(Org).order_by(Org.path)))


def log_entries(before: int | None, limit: int) -> list[AdminEvent]:
    """Administration log entries, newest first, older than entry `before` when given."""
    query = select(AdminEvent).order_by(AdminEvent.id.desc()).limit(limit)
    if before:
        query = query.where(AdminEvent.id < before)
    return list(db.session.scalars(query))


def log_problems(entries: list[AdminEvent]) -> list[str]:
    return verify_admin_page(entries)
