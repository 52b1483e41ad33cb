"""`flask backup` and `flask restore`: the database and the stored files in one archive.

The archive (a gzip'd tar, written owner-only: it holds every party's personal data) has a
manifest, each table as JSON lines read through the models' column types, and each stored
file under its SHA-256. Rows go through SQLAlchemy's types both ways, so a backup taken on
SQLite restores into PostgreSQL and back. Files are put back through the configured storage,
so a restore also moves a county from the folder to the database storage.

The audit trail's key (AUDIT_KEY) is not in the database and not in the archive: restored
entries verify only under the same key, so keep it, apart from the backups, for as long as
the backups. Tables are read and written in batches, files one at a time: memory stays
bounded however large the county."""

import base64
import enum
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import JSON, Table, delete, func, insert, select, text

from mediation.extensions import db
from mediation.models import Base
from mediation.models.base import utcnow
from mediation.storage import digest, storage

FORMAT = 1
BATCH = 1000
# Held in the storage's own table and copied as files instead (STORAGE=database).
NOT_COPIED = {"blobs"}


class RestoreRefused(Exception):
    """Restoring would overwrite data, or the archive does not fit this schema."""


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


# --- Values -----------------------------------------------------------------------------


def _encode(value, column):
    if value is None:
        return None
    if isinstance(value, enum.Enum):  # before str: the labelled enums are str enums
        return {"$enum": value.value}
    if isinstance(column.type, JSON):  # kept as it is, whatever keys its objects have
        return {"$json": value}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, (bytes, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (dict, list)):
        return {"$json": value}
    return value


DECODERS = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$decimal": Decimal,
    "$bytes": base64.b64decode,
    "$json": lambda value: value,
}


def _decode(value, column):
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$enum":  # back to the member: whether the column stores names or values
            kind = getattr(column.type, "enum_class", None)
            return kind(raw) if kind is not None else raw
        if tag in DECODERS:
            return DECODERS[tag](raw)
    return value


# --- Backup -----------------------------------------------------------------------------


def _rows(table: Table) -> Iterator[dict]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = db.session.execute(select(table).order_by(*order).execution_options(yield_per=BATCH))
    for row in result.mappings():
        yield {c.name: _encode(row[c.name], c) for c in table.columns}


def _revision() -> str:
    return db.session.scalar(text("select version_num from alembic_version")) or ""


def _add(archive: tarfile.TarFile, name: str, handle, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(utcnow().timestamp())
    archive.addfile(info, handle)


def backup(path: str) -> dict:
    """Write the archive to `path` (created 0600; an existing file is refused). Returns the
    manifest. One repeatable-read snapshot on PostgreSQL, so tables agree with each other."""
    db.session.rollback()  # a snapshot of its own, begun by the statement below
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    manifest: dict = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": db.engine.dialect.name,
        "revision": _revision(),
        "tables": {},
        "files": 0,
    }
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for table in _tables():
                with tempfile.TemporaryFile() as spool:
                    count = 0
                    for row in _rows(table):
                        spool.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                        count += 1
                    size = spool.tell()
                    spool.seek(0)
                    _add(archive, f"tables/{table.name}.jsonl", spool, size)
                manifest["tables"][table.name] = count
            store = storage()
            for key in list(store.keys()):
                data = store.get(key)
                _add(archive, f"files/{key}", io.BytesIO(data), len(data))
                manifest["files"] += 1
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            _add(archive, "manifest.json", io.BytesIO(body), len(body))
    except BaseException:
        os.unlink(path)
        raise
    finally:
        db.session.rollback()
    return manifest


# --- Restore ----------------------------------------------------------------------------


def is_empty() -> bool:
    """No row in any table but the chain head the migrations create."""
    for table in _tables():
        if table.name == "audit_head":
            continue
        if db.session.scalar(select(func.count()).select_from(table)):
            return False
    return True


def _self_parent_first(table: Table, rows: list[dict]) -> list[dict]:
    """Rows of a table that refers to itself (the organisation tree), parents before their
    children, whatever their ids."""
    refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not refs:
        return rows
    key = next(iter(table.primary_key.columns)).name
    pending, placed, ordered = list(rows), set(), []
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] in placed for c in refs)]
        if not ready:  # a cycle the database would refuse anyway: let it say so
            return ordered + pending
        for row in ready:
            placed.add(row[key])
            ordered.append(row)
        pending = [r for r in pending if r[key] not in placed]
    return ordered


def _member(archive: tarfile.TarFile, name: str):
    try:
        found = archive.extractfile(name)
    except KeyError:
        found = None
    if found is None:
        raise RestoreRefused(f"备份文件不完整：缺少 {name}。")
    return found


def _read_manifest(archive: tarfile.TarFile) -> dict:
    manifest = json.load(_member(archive, "manifest.json"))
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"备份文件格式 {manifest.get('format')} 不是本版本能恢复的格式。")
    return manifest


def restore(path: str, *, force: bool = False) -> dict:
    """Load the archive at `path` into this (migrated) database and storage, in one
    transaction. Refused when the database holds data, unless `force` (then everything in
    it is replaced), or when the archive was made at another schema revision."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            manifest = _restore(archive, force)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        db.session.rollback()
        raise RestoreRefused(f"{path} 不是完整的 flask backup 备份文件：{error}") from error
    except BaseException:
        db.session.rollback()
        raise
    return manifest


def _restore(archive: tarfile.TarFile, force: bool) -> dict:
    manifest = _read_manifest(archive)
    revision = _revision()
    if manifest["revision"] != revision:
        raise RestoreRefused(
            f"备份的数据库版本（{manifest['revision']}）与当前数据库（{revision}）不同："
            "请先用同一版本的程序执行 flask db upgrade 后再恢复。"
        )
    if not is_empty():
        if not force:
            raise RestoreRefused(
                "当前数据库中已有数据，恢复将覆盖全部现有数据。确需覆盖时请加 --force。"
            )
        for table in reversed(_tables()):
            db.session.execute(delete(table))
    else:
        db.session.execute(delete(Base.metadata.tables["audit_head"]))
    store = storage()
    for member in archive:
        if not member.name.startswith("files/"):
            continue
        data = archive.extractfile(member).read()
        if digest(data) != member.name.removeprefix("files/"):
            raise RestoreRefused(f"备份中的文件 {member.name} 已损坏（SHA-256 不符）。")
        store.put(data)
    for table in _tables():
        _load_table(archive, table)
    _reset_sequences()
    db.session.commit()
    return manifest


def _load_table(archive: tarfile.TarFile, table: Table) -> None:
    member = _member(archive, f"tables/{table.name}.jsonl")
    columns = {c.name: c for c in table.columns}
    self_referring = any(fk.column.table is table for fk in table.foreign_keys)
    batch: list[dict] = []
    rows = (
        {k: _decode(v, columns[k]) for k, v in json.loads(line).items() if k in columns}
        for line in member
    )
    if self_referring:
        rows = iter(_self_parent_first(table, list(rows)))
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(insert(table), batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)


def _reset_sequences() -> None:
    """PostgreSQL hands out ids from sequences: move each past the restored rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in _tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].type.python_type is not int or not keys[0].autoincrement:
            continue
        name = keys[0].name
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "
                f"coalesce((SELECT max({name}) FROM {table.name}), 0) + 1, false) "
                f"WHERE pg_get_serial_sequence('{table.name}', '{name}') IS NOT NULL"
            )
        )
