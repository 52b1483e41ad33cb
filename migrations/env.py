"""Alembic environment: runs the migrations against the app's own database through
Flask-Migrate (`flask db upgrade`), with the models' metadata for autogenerate."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from mediation.models import Base
from mediation.models.base import made_on

if context.config.config_file_name:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

OPTIONS = {
    "target_metadata": Base.metadata,
    # SQLite can only change a table by copying it: batch mode does that for us.
    "render_as_batch": True,
    "compare_type": True,
}


def run_offline() -> None:
    """Print the SQL instead of running it (`flask db upgrade --sql`)."""
    url = current_app.extensions["migrate"].db.engine.url
    context.configure(url=url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copying it and dropping the original; with
            # foreign keys on, SQLite refuses to drop a table other rows refer to. They are
            # switched off for the migration (a pragma that only works outside a
            # transaction) and every reference is checked before they are switched back on.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            # Autogenerate leaves out the other database's own indexes (models/base.py).
            include = made_on(connection.dialect.name)
            context.configure(connection=connection, include_object=include, **OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"Migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
