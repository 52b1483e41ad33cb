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
def audit_verify() -> None:
    """Check every case's timeline and the administration log; exit 1 when any was altered."""
    from mediation.audit.service import verify_admin_chain, verify_all_cases
    from mediation.models import Case

    numbers = dict(db.session.execute(select(Case.id, Case.number)).all())
    broken = verify_all_cases()
    for case_id, problems in broken.items():
        for problem in problems:
            click.echo(f"{numbers[case_id]}: {problem}")
    admin_problems = verify_admin_chain()
    for problem in admin_problems:
        click.echo(f"管理操作日志: {problem}")
    if broken or admin_problems:
        raise click.ClickException(
            f"{len(broken)} 件案件的时间线校验未通过。" if broken else "管理操作日志校验未通过。"
        )
    click.echo("所有案件时间线校验通过。")
    click.echo("管理操作日志校验通过。")
