"""API clients: the administrator's use cases (register a client, grant it units, issue and
revoke tokens, a new signing secret), and what every API call asks first: whose token is
this, and has the client used up its minute."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from mediation.audit.service import apply_changes, record_admin_event
from mediation.extensions import db
from mediation.models import ApiClient, ApiClientKind, ApiRateCount, ApiToken, Org, User
from mediation.models.base import utcnow
from mediation.workflow import WorkflowError

TOKEN_PREFIX = "mdapi_"
CLIENT_LABELS = {
    "name": "名称",
    "kind": "类别",
    "callback_url": "回调地址",
    "rate_limit": "每分钟调用上限",
    "active": "启用",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check(data: dict[str, Any], client: ApiClient | None) -> None:
    taken = db.session.scalar(select(ApiClient.id).where(ApiClient.name == data["name"]))
    if taken is not None and (client is None or taken != client.id):
        raise WorkflowError("已有同名的接口客户端。", status=400, field="name")
    if data["kind"] != ApiClientKind.PROVINCE and not data["unit_ids"]:
        raise WorkflowError(
            "请至少授权一个单位：客户端只能向授权范围内的调委会移交案件。",
            status=400,
            field="unit_ids",
        )
    if data["kind"] == ApiClientKind.PROVINCE and not data["unit_ids"]:
        raise WorkflowError("请授权省级平台可读取统计的单位。", status=400, field="unit_ids")


def _units(ids: list[int]) -> list[Org]:
    units = list(db.session.scalars(select(Org).where(Org.id.in_(ids), Org.active)))
    if len(units) != len(set(ids)):
        raise WorkflowError("请从列表中选择单位。", status=400, field="unit_ids")
    return units


def _unit_names(units: list[Org]) -> str:
    return "、".join(u.name for u in units)


def create_client(admin: User, data: dict[str, Any]) -> ApiClient:
    """Register a client. Its signing secret is made now; the administrator shows it once
    (new_signing_secret) and issues tokens (issue_token)."""
    _check(data, None)
    client = ApiClient(signing_secret=secrets.token_hex(32))
    apply_changes(client, data, CLIENT_LABELS)
    client.units = _units(data["unit_ids"])
    db.session.add(client)
    db.session.flush()
    record_admin_event(
        admin,
        "api_client_created",
        f"api_client:{client.id}",
        f"新建接口客户端 {client.name}",
        {
            "类别": client.kind.label,
            "授权单位": _unit_names(client.units),
            "回调地址": client.callback_url,
        },
    )
    db.session.commit()
    return client


def update_client(
    admin: User, client: ApiClient, version: int | None, data: dict[str, Any]
) -> ApiClient:
    if version is not None and version != client.version:
        raise WorkflowError("该客户端刚被他人修改，请核对后重新保存。", field="version")
    _check(data, client)
    before = _unit_names(client.units)
    changes = apply_changes(client, data, CLIENT_LABELS)
    client.units = _units(data["unit_ids"])
    if _unit_names(client.units) != before:
        changes["授权单位"] = [before, _unit_names(client.units)]
    if changes:
        db.session.flush()
        record_admin_event(
            admin,
            "api_client_updated",
            f"api_client:{client.id}",
            f"修改接口客户端 {client.name}",
            changes,
        )
    db.session.commit()
    return client


@dataclass
class Issued:
    token: ApiToken
    plain: str  # shown once, never stored


def issue_token(admin: User, client: ApiClient, days: int) -> Issued:
    """A new bearer token valid for `days` days; only its SHA-256 is kept."""
    if not 1 <= days <= 730:
        raise WorkflowError("有效期应在1至730天之间。", status=400, field="days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        client=client,
        token_hash=hash_token(plain),
        hint=plain[: len(TOKEN_PREFIX) + 4],
        created_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_admin_event(
        admin,
        "api_token_issued",
        f"api_client:{client.id}",
        f"为接口客户端 {client.name} 签发令牌 {token.hint}…",
        {"有效期（天）": days},
    )
    db.session.commit()
    return Issued(token, plain)


def revoke_token(admin: User, client: ApiClient, token_id: int) -> ApiToken:
    token = next((t for t in client.tokens if t.id == token_id), None)
    if token is None:
        raise WorkflowError("没有这个令牌。", status=404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_admin_event(
            admin,
            "api_token_revoked",
            f"api_client:{client.id}",
            f"吊销接口客户端 {client.name} 的令牌 {token.hint}…",
            {},
        )
        db.session.commit()
    return token


def new_signing_secret(admin: User, client: ApiClient) -> str:
    """Replace the key pushed messages are signed with; the new one is shown once."""
    client.signing_secret = secrets.token_hex(32)
    record_admin_event(
        admin,
        "api_secret_renewed",
        f"api_client:{client.id}",
        f"更换接口客户端 {client.name} 的签名密钥",
        {"签名密钥": ["", "已更换"]},
    )
    db.session.commit()
    return client.signing_secret


# --- Every call --------------------------------------------------------------------------


def authenticate(header: str) -> tuple[ApiClient | None, str]:
    """The client of an `Authorization: Bearer …` header, or None and why not (in Chinese;
    the same words for an unknown, expired or revoked token would hide nothing useful, so
    the reason is told: the client's administrator needs it)."""
    scheme, _, plain = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return None, "缺少访问令牌（Authorization: Bearer …）。"
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(plain.strip()))
    )
    if token is None:
        return None, "访问令牌无效。"
    now = utcnow()
    if token.revoked_at is not None:
        return None, "访问令牌已被吊销。"
    if token.expires_at <= now:
        return None, "访问令牌已过期，请联系司法局系统管理员重新签发。"
    if not token.client.active:
        return None, "该接口客户端已停用。"
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
        # Written at most once a minute: a busy client does not queue on its token's row.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return token.client, ""


def count_call(client: ApiClient) -> int:
    """Count this call in the client's current minute; 0 when within its limit, else the
    seconds until the next minute starts (Retry-After). The counter row is upserted and
    incremented in the database, in a transaction of its own, so every app server counts
    into the same row and simultaneous calls queue on it."""
    now = utcnow()
    minute = now.replace(second=0, microsecond=0)
    table = ApiRateCount.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(client_id=client.id, minute=minute, count=1)
        .on_conflict_do_update(
            index_elements=["client_id", "minute"], set_={"count": table.c.count + 1}
        )
        .returning(table.c.count)
    )
    with db.engine.begin() as connection:
        count = connection.execute(statement).scalar_one()
        if count == 1:  # the first call of a minute sweeps the client's old minutes
            connection.execute(
                table.delete().where(
                    table.c.client_id == client.id,
                    table.c.minute < minute - timedelta(minutes=5),
                )
            )
    if count <= client.rate_limit:
        return 0
    return max(1, 60 - now.second)
