"""Set-up tasks: migrations match the models, the demo data loads once, the CLI checks."""

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from testapp import empty_tables

from mediation.extensions import db
from mediation.models import Base, Case, CaseStatus, Org, OrgKind, User
from mediation.models.base import made_on

import democounty


def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        include = made_on(connection.dialect.name)
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_object": include}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_seed_demo_loads_once_and_prints_the_accounts(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "已加载演示数据。" in result.output
    for username in ("director1", "mediator1", "mediator2", "grid1", "auditor1", "auditor0",
                     "admin"):  # fmt: skip
        assert username in result.output
    assert "demo12345" in result.output
    cases = db.session.scalar(db.select(db.func.count()).select_from(Case))
    assert 55 <= cases <= 65
    statuses = set(db.session.scalars(db.select(Case.status).distinct()))
    assert {CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.MEDIATING} <= statuses
    shorts = set(db.session.scalars(db.select(Org.short_name).where(Org.short_name.is_not(None))))
    assert shorts == {"东街", "城关", "河西", "医调"}

    again = runner.invoke(args=["seed-demo"])
    assert "演示数据已存在，保留现有数据。" in again.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == cases

    verify = runner.invoke(args=["audit-verify"])
    assert verify.exit_code == 0 and "所有案件时间线校验通过" in verify.output


def test_a_copy_of_the_demo_county_is_the_seeding_row_for_row_and_verifies(app, demo_county):
    """The tests on the demo data get a copy of one seeding (tests/democounty.py): made again
    into an emptied database, it holds the same rows, sequences, files and checkpoints, and
    its audit trail verifies."""
    empty_tables()
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    democounty.restore(app, demo_county)
    assert democounty.take(app) == demo_county
    assert 55 <= db.session.scalar(db.select(db.func.count()).select_from(Case)) <= 65
    assert demo_county.files and demo_county.checkpoints
    verify = app.test_cli_runner().invoke(args=["audit-verify"])
    assert verify.exit_code == 0 and "所有案件时间线校验通过" in verify.output


def test_demo_accounts_log_in(app, demo_county):
    for username in ("mediator1", "auditor0", "admin"):
        c = app.test_client()
        response = c.post("/login", data={"username": username, "password": "demo12345"})
        assert response.status_code == 302, username
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) >= 7


def test_seed_demo_is_refused_in_production(app):
    app.config["MEDIATION_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "生产环境不加载演示数据" in result.output


def test_audit_verify_fails_on_a_tampered_timeline(app, demo_county):
    runner = app.test_cli_runner()
    case = db.session.scalars(db.select(Case).order_by(Case.id)).first()
    case.events[0].reason = "后来改的"
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code != 0 and case.number in result.output


def test_a_new_system_gets_its_bureau_and_first_administrator_from_one_command(app):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["create-admin", "root"], input="adm1n2026\nadm1n2026\n")
    assert missing.exit_code != 0 and "--bureau" in missing.output
    done = runner.invoke(args=["create-admin", "root", "--bureau", "测试县司法局"],
                         input="adm1n2026\nadm1n2026\n")  # fmt: skip
    assert done.exit_code == 0, done.output

    user = db.session.scalar(db.select(User).where(User.username == "root"))
    assert user.org.name == "测试县司法局" and user.org.kind == OrgKind.BUREAU


def test_settings_that_follow_from_others():
    from mediation import create_app

    megabytes = 1024 * 1024
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "MAX_UPLOAD_BYTES": 40 * megabytes, "DEFAULT_DEADLINE_DAYS": 45})  # fmt: skip
    assert app.config["MAX_CONTENT_LENGTH"] > 40 * megabytes  # room for the largest upload
    with app.app_context():
        from mediation.admin.forms import OrgForm
        from mediation.admin.service import default_deadline_days

        with app.test_request_context():
            assert OrgForm(formdata=None).deadline_days.data == 45
        assert default_deadline_days() == 45
