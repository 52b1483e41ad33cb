"""The demo county for the tests that need it, seeded for real once per test process and
database, then copied: demo.seed() costs most of a minute, a copy a fraction of a second.

A copy is the seeded state as it was: every row of every table (ids included), PostgreSQL's
sequences where they stood, the stored files, and the audit checkpoint file, so the audit
chain verifies in the copy exactly as in the original (test_setup proves it)."""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import insert, select, text

from mediation import demo
from mediation.extensions import db
from mediation.models import Base
from mediation.models.base import local_today
from mediation.storage import storage


@dataclass
class Snapshot:
    rows: dict[str, list[dict]]  # table name → its rows, in primary key order
    sequences: list[tuple[str, int | None]]  # PostgreSQL: name → last value (None: unused)
    files: list[bytes]
    checkpoints: bytes


# (database URL, the day it was seeded on) → the snapshot. The demo history ends "today", so a
# copy made on the next day would not be what seeding on that day gives: it is seeded again.
_snapshots: dict[tuple[str, date], Snapshot] = {}


def load(app: Flask) -> Snapshot:
    """Put the demo county into the app's (empty) database, storage and checkpoint file:
    seeded the first time for this database, copied from that seeding afterwards."""
    key = (app.config["SQLALCHEMY_DATABASE_URI"], local_today())
    snapshot = _snapshots.get(key)
    if snapshot is None:
        assert demo.seed(), "the database was not empty"
        snapshot = _snapshots[key] = take(app)
    else:
        restore(app, snapshot)
    return snapshot


def take(app: Flask) -> Snapshot:
    db.session.commit()
    rows = {}
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        found = db.session.execute(select(table).order_by(*order)).mappings()
        rows[table.name] = [{c.key: row[c] for c in table.columns} for row in found]
    sequences = []
    if db.engine.dialect.name == "postgresql":
        found = db.session.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        )
        sequences = [(name, value) for name, value in found]
    store = storage()
    files = [store.get(key) for key in list(store.keys())]
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    db.session.rollback()
    return Snapshot(rows, sequences, files, checkpoints.read_bytes())


def restore(app: Flask, snapshot: Snapshot) -> None:
    # Parents before children (sorted_tables), each table in primary key order: the orgs'
    # tree was created top down, so a parent's id is below its children's.
    for table in Base.metadata.sorted_tables:
        if snapshot.rows[table.name]:
            db.session.execute(insert(table), snapshot.rows[table.name])
    for name, value in snapshot.sequences:
        db.session.execute(
            text("SELECT setval(quote_ident(:name), :value, :called)"),
            {"name": name, "value": value or 1, "called": value is not None},
        )
    db.session.commit()
    store = storage()
    for data in snapshot.files:
        store.put(data)
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    checkpoints.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(checkpoints, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # as the app makes it
    with os.fdopen(fd, "wb") as f:
        f.write(snapshot.checkpoints)
