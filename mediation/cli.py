"""Command-line tasks on app.cli: demo data, the first administrator, audit checks."""

import click
from flask import Flask, current_app
from sqlalchemy import select

from mediation.config import is_production
from mediation.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(audit_verify)
    app.cli.add_command(audit_report)
    app.cli.add_command(api_deliver)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo county, accounts and cases (once; a second run keeps what is there)."""
    from mediation import demo

    if is_production(current_app):
        raise click.ClickException("生产环境不加载演示数据。")
    if demo.seed():
        click.echo("已加载演示数据。")
    else:
        click.echo("演示数据已存在，保留现有数据。")
    click.echo(f"演示账户（密码均为 {demo.PASSWORD}）：")
    for username, name, role, org in demo.ACCOUNTS:
        click.echo(f"  {username:<10} {role.label}（{name}，{org}）")


@click.command("create-admin")
@click.argument("username")
@click.option("--name", default="系统管理员")
@click.option("--bureau", default="", help="司法局名称：新系统还没有组织机构时，同时建立它。")
@click.password_option(prompt="密码")
def create_admin(username: str, name: str, bureau: str, password: str) -> None:
    """Create the first administrator account at the top unit of the tree (the 司法局),
    creating that unit first on an empty system when --bureau names it."""
    from mediation.admin.service import create_org, create_user
    from mediation.models import Org, OrgKind, Role
    from mediation.workflow import WorkflowError

    try:
        top = db.session.scalar(select(Org).where(Org.kind == OrgKind.BUREAU).limit(1))
        if top is None:
            if not bureau.strip():
                raise click.ClickException("系统中还没有司法局：请用 --bureau 给出司法局名称。")
            top = create_org(None, {"kind": OrgKind.BUREAU, "name": bureau.strip()})
            click.echo(f"已建立 {top.name}。")
        data = {"username": username, "name": name, "role": Role.ADMIN, "org_id": top.id}
        create_user(None, data, password)
    except WorkflowError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"已创建管理员 {username}。")


@click.command("audit-verify")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    help="一行检查点（如日报中 flask audit-report 打印的），与数据库核对；可多次给出。",
)
def audit_verify(checkpoints: tuple[str, ...]) -> None:
    """Check the whole audit trail (case timelines, administration log, security log) in one
    pass: the keyed hashes, the numbering without gaps, the chain head, the newest signed
    checkpoint, and each case's status against its newest event. Exit 1 on any problem."""
    from mediation.audit.chain import verify

    problems = verify(list(checkpoints))
    if problems:
        click.echo(f"第一处问题：{problems[0]}")
        for problem in problems[1:50]:
            click.echo(f"  另见：{problem}")
        if problems.total > 50:
            click.echo(f"  ……共 {problems.total} 处问题。")
        raise click.ClickException("审计记录校验未通过。")
    click.echo("所有案件时间线校验通过。")
    click.echo("管理操作日志、安全日志校验通过，与最新检查点一致。")


@click.command("audit-report")
def audit_report() -> None:
    """A signed checkpoint of the chain's head, for the daily report: kept on paper or sent
    elsewhere, it shows later whether the trail was cut back below it."""
    from mediation.audit.chain import checkpoint_line, write_checkpoint
    from mediation.models import AuditHead

    head = db.session.get(AuditHead, 1)
    seq, hash_ = (head.seq, head.hash) if head else (0, "0" * 64)
    write_checkpoint(seq, hash_)
    click.echo("审计记录检查点（序号 哈希 时间 签名）：")
    click.echo(checkpoint_line(seq, hash_))


@click.command("api-deliver")
@click.option("--once", is_flag=True, help="只推送一轮当前到期的消息后退出。")
@click.option("--interval", default=5.0, show_default=True, help="两轮之间等待的秒数。")
def api_deliver(once: bool, interval: float) -> None:
    """Push the queued status changes to the referring bodies' callback URLs, signed, with
    retries and back-off; several workers may run at once, and a restart loses nothing."""
    import secrets
    import time

    from mediation.api.outbox import deliver_due

    worker = f"worker-{secrets.token_hex(6)}"
    while True:
        done = deliver_due(worker)
        db.session.remove()  # a long-running worker starts each round with a fresh session
        if done.delivered or done.failed:
            click.echo(f"已送达 {done.delivered} 条，{done.failed} 条稍后重试。")
        if once:
            return
        time.sleep(interval)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Write the database and every stored file to PATH (a new file, readable by its owner
    only: it holds the parties' personal data). AUDIT_KEY is not in it: keep the key apart."""
    from mediation.backup import backup

    try:
        manifest = backup(path)
    except FileExistsError:
        raise click.ClickException(f"{path} 已存在：备份不覆盖已有文件，请换一个文件名。") from None
    rows = sum(manifest["tables"].values())
    click.echo(
        f"已备份到 {path}：{len(manifest['tables'])} 张表 {rows} 行，文件 {manifest['files']} 个。"
    )
    click.echo("备份含当事人个人信息，请加密保管；恢复时需要同一个 AUDIT_KEY 才能通过审计校验。")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="数据库中已有数据时，用备份覆盖全部现有数据。")
def restore_command(path: str, force: bool) -> None:
    """Load a backup written by `flask backup` into this database (migrated to the same
    revision with `flask db upgrade`) and this storage. Refuses a database holding data
    unless --force. Run `flask audit-verify` afterwards (it needs the same AUDIT_KEY)."""
    from mediation.backup import RestoreRefused, restore

    try:
        manifest = restore(path, force=force)
    except RestoreRefused as refused:
        raise click.ClickException(str(refused)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"已从 {path} 恢复：{rows} 行，文件 {manifest['files']} 个。")
    click.echo("请执行 flask audit-verify 核对审计记录（需要与备份时相同的 AUDIT_KEY）。")
