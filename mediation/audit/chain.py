"""The global audit chain: the key, appending under a lock both databases honour, signed
checkpoints kept outside the database, and verification in one pass over the whole chain."""

import hashlib
import heapq
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from mediation.extensions import db
from mediation.models import AdminEvent, AuditHead, Case, CaseEvent, DeskEvent, SecurityEvent
from mediation.models.audit import GENESIS, Chained
from mediation.models.base import utcnow

MIN_KEY_BYTES = 32
CHAINED: tuple[type[Chained], ...] = (CaseEvent, AdminEvent, SecurityEvent, DeskEvent)
_PENDING = "audit_checkpoint"  # session.info: the head this transaction will commit
_CHANGED = "audit_changed_cases"  # session.info: cases updated in this transaction
_RECORDED = "audit_case_versions"  # session.info: {case id: version its newest event records}


def setup_audit_key(app: Flask) -> None:
    """AUDIT_KEY from the environment or instance/config.py; in production it must be set
    (at least 32 bytes), elsewhere one is generated once into instance/audit.key."""
    key = app.config.get("AUDIT_KEY") or ""
    if app.config["MEDIATION_ENV"] == "production":
        if len(key.encode()) < MIN_KEY_BYTES:
            raise RuntimeError(
                "MEDIATION_ENV=production needs AUDIT_KEY (at least 32 bytes), kept outside the "
                "database: the audit trail is sealed with it."
            )
    elif not key:
        key = _key_file(Path(app.instance_path) / "audit.key")
    app.config["AUDIT_KEY"] = key
    if not app.config.get("AUDIT_CHECKPOINT_FILE"):
        app.config["AUDIT_CHECKPOINT_FILE"] = str(Path(app.instance_path) / "audit-checkpoints.log")


def _key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        key = secrets.token_hex(32)
        f.write(key + "\n")
    return key


def audit_key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def append(entry: Chained) -> None:
    """Give the entry the next number of the whole chain and seal it onto the head.

    The head row is updated BEFORE it is read: on PostgreSQL the update takes the row lock,
    on SQLite the database's write lock (pysqlite starts the transaction at the first write,
    so a SELECT first would read an unlocked, possibly stale head). Either way the lock is
    held until the caller commits, so simultaneous writers queue and never fork the chain."""
    session = db.session
    session.flush()  # the caller's changes first: a case event records the state they left
    seq, prev = _take_head(session)
    entry.seq = seq
    entry.prev_hash = prev
    entry.at = utcnow()
    if isinstance(entry, CaseEvent):
        # Read under the lock, not from the (maybe stale) object: the newest event must
        # record the case as it is committed.
        entry.case_status, entry.case_version = session.execute(
            select(Case.status, Case.version).where(Case.id == entry.case_id)
        ).one()
        session.info.setdefault(_RECORDED, {})[entry.case_id] = entry.case_version
    entry.hash = entry.compute_hash(audit_key())
    session.execute(update(AuditHead.__table__).where(AuditHead.id == 1).values(hash=entry.hash))
    session.add(entry)
    session.info[_PENDING] = (seq, entry.hash)


def _take_head(session) -> tuple[int, str]:
    table = AuditHead.__table__
    bump = update(table).where(table.c.id == 1).values(seq=table.c.seq + 1)
    row = session.execute(bump.returning(table.c.seq, table.c.hash)).one_or_none()
    if row is None:  # a schema made without the migration: the head row is created once
        try:
            with session.begin_nested():
                session.execute(insert(table).values(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        row = session.execute(bump.returning(table.c.seq, table.c.hash)).one()
    return row.seq, row.hash


# Checkpoints: after each commit that appended, a signed line outside the database.


def checkpoint_line(seq: int, hash_: str) -> str:
    at = utcnow().isoformat(timespec="seconds")
    return f"{seq} {hash_} {at} {_checkpoint_mac(seq, hash_, at)}"


def _checkpoint_mac(seq: int, hash_: str, at: str) -> str:
    message = f"checkpoint {seq} {hash_} {at}".encode()
    return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()


def write_checkpoint(seq: int, hash_: str) -> None:
    line = (checkpoint_line(seq, hash_) + "\n").encode()
    path = Path(current_app.config["AUDIT_CHECKPOINT_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write of one short line: appends from processes do not mix
    finally:
        os.close(fd)


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context():
        try:
            write_checkpoint(*pending)
        except OSError:  # the data is committed: a missing checkpoint must not turn it into a 500
            current_app.logger.exception("Could not write the audit checkpoint %s", pending[0])


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    for name in (_PENDING, _CHANGED, _RECORDED):
        session.info.pop(name, None)


@event.listens_for(Session, "after_flush")
def _note_changed_cases(session: Session, _context) -> None:
    for obj in session.dirty:
        if isinstance(obj, Case) and session.is_modified(obj, include_collections=False):
            session.info.setdefault(_CHANGED, set()).add(obj.id)


@event.listens_for(Session, "before_commit")
def _warn_unrecorded_changes(session: Session) -> None:
    """A case saved without a timeline event after the change would fail verification
    (its row no longer matches its newest event): say so in the log, naming the case."""
    if session.dirty or session.new:
        session.flush()  # what commit would flush next, so its changes count too
    changed = session.info.pop(_CHANGED, set())
    recorded = session.info.pop(_RECORDED, {})
    if not changed or not has_app_context():
        return
    for case_id in changed:
        case = session.get(Case, case_id)
        if case is not None and recorded.get(case_id) != case.version:
            current_app.logger.warning(
                "Case %s was saved without a timeline event after the change; "
                "flask audit-verify will report it as changed directly.",
                case_id,
            )


@dataclass
class Checkpoint:
    seq: int
    hash: str
    at: str


def parse_checkpoint(line: str) -> Checkpoint | None:
    """A checkpoint line "number hash time signature"; None unless the signature is valid."""
    parts = line.split()
    if len(parts) != 4 or not parts[0].isdigit():
        return None
    seq, hash_, at, mac = int(parts[0]), parts[1], parts[2], parts[3]
    if not hmac.compare_digest(mac, _checkpoint_mac(seq, hash_, at)):
        return None
    return Checkpoint(seq, hash_, at)


def read_checkpoints(extra: list[str] = ()) -> tuple[dict[int, list[Checkpoint]], list[str]]:
    """Every validly signed checkpoint, from the checkpoint file and from lines given (a
    printed daily report), by number; and complaints about lines that are not valid."""
    found: dict[int, list[Checkpoint]] = {}
    bad = []
    path = Path(current_app.config["AUDIT_CHECKPOINT_FILE"])
    lines = path.read_text().splitlines() if path.exists() else []
    sources = [(f"检查点文件第 {n} 行", line) for n, line in enumerate(lines, 1)]
    sources += [("给出的检查点", line) for line in extra]
    for where, line in sources:
        if not line.strip():
            continue
        checkpoint = parse_checkpoint(line)
        if checkpoint is None:
            bad.append(f"{where}格式或签名不符，检查点可能被伪造或改动。")
        else:
            found.setdefault(checkpoint.seq, []).append(checkpoint)
    return found, bad


# Verification.


def describe(entry: Chained, numbers: dict[int, str]) -> str:
    if isinstance(entry, CaseEvent):
        number = numbers.get(entry.case_id, f"（已不存在的案件 {entry.case_id}）")
        return f"案件 {number} 的时间线记录（序号 {entry.seq}，{entry.kind.label}）"
    if isinstance(entry, AdminEvent):
        return f"管理操作日志（序号 {entry.seq}）"
    if isinstance(entry, DeskEvent):
        return f"受理窗口登记 {entry.entry_id} 的记录（序号 {entry.seq}，{entry.action.label}）"
    return f"安全日志（序号 {entry.seq}）"


def _whole_chain() -> Iterator[Chained]:
    """Every entry of the chained tables in order of number: one ordered read each, merged."""
    streams = [
        db.session.scalars(select(model).options(lazyload("*")).order_by(model.seq))
        for model in CHAINED
    ]
    return heapq.merge(*streams, key=lambda e: e.seq)


def verify(extra_checkpoints: list[str] = ()) -> list[str]:
    """Everything wrong with the audit trail, in Chinese, the first broken entry first;
    an empty list when it is intact. One pass over the chain and one read of the cases.
    Every signed checkpoint is compared with the entry it names: a cut-off tail, or a tail
    cut and written anew, shows."""
    key = audit_key()
    rows = db.session.execute(select(Case.id, Case.number, Case.status, Case.version))
    cases = {row.id: row for row in rows}
    numbers = {i: row.number for i, row in cases.items()}
    checkpoints, problems = read_checkpoints(list(extra_checkpoints))
    newest: dict[int, CaseEvent] = {}
    expected, prev, last_hash = 1, GENESIS, GENESIS
    for entry in _whole_chain():
        where = describe(entry, numbers)
        if entry.seq < expected:
            problems.append(f"{where}：序号重复，有记录被插入。")
        elif entry.seq > expected:
            gap = f"{expected}" if entry.seq == expected + 1 else f"{expected}–{entry.seq - 1}"
            problems.append(f"序号 {gap} 的记录被删除（序号缺失），缺失处在{where}之前。")
        elif entry.prev_hash != prev:
            problems.append(f"{where}：前序哈希不符，前一条记录被替换或顺序被改动。")
        if entry.compute_hash(key) != entry.hash:
            problems.append(f"{where}：内容被修改（密钥签名不符）。")
        for checkpoint in checkpoints.get(entry.seq, ()):
            if entry.hash != checkpoint.hash:
                problems.append(
                    f"{where}：与检查点（{checkpoint.at}）不符，这条及之前的记录被改写。"
                )
                break
        if isinstance(entry, CaseEvent):
            newest[entry.case_id] = entry
        expected, prev, last_hash = entry.seq + 1, entry.hash, entry.hash
    last = expected - 1
    head = db.session.get(AuditHead, 1)
    if head is None and last:
        problems.append("链头记录被删除。")
    elif head is not None and head.seq > last:
        problems.append(
            f"末尾记录被截断：序号 {last + 1}–{head.seq} 的记录不见了（链头记录为 {head.seq}）。"
        )
    elif head is not None and (head.seq, head.hash) != (last, last_hash):
        problems.append("链头与最后一条记录不符，链头或末尾记录被改动。")
    if checkpoints and max(checkpoints) > last:
        checkpoint = checkpoints[max(checkpoints)][0]
        problems.append(
            f"末尾记录被截断：检查点（{checkpoint.at}）记录到序号 {checkpoint.seq}，"
            f"数据库只到 {last}。"
        )
    for case_id, row in cases.items():
        event_ = newest.get(case_id)
        if event_ is None:
            problems.append(f"案件 {row.number}：整个案件的记录被删除（时间线为空）。")
        elif event_.case_status is not None and event_.case_status != row.status:
            problems.append(
                f"案件 {row.number}：案件状态被直接修改（时间线最后记录为"
                f"“{event_.case_status.label}”，案件现为“{row.status.label}”）。"
            )
        elif event_.case_version is not None and event_.case_version != row.version:
            problems.append(
                f"案件 {row.number}：案件数据被直接修改，或其最新的时间线记录被删除（时间线"
                f"最后记录为第 {event_.case_version} 版，案件现为第 {row.version} 版）。"
            )
    return problems


def verify_window(entries: list[Chained]) -> list[str]:
    """The entries a page shows, checked cheaply: each one's keyed hash, and no number
    missing from the whole chain between the oldest and the newest of them (one count per table).
    `flask audit-verify` checks everything."""
    if not entries:
        return []
    key = audit_key()
    problems = [
        f"{describe(e, {})}：内容被修改（密钥签名不符）。"
        for e in entries
        if e.compute_hash(key) != e.hash
    ]
    low, high = min(e.seq for e in entries), max(e.seq for e in entries)
    present = sum(
        db.session.scalar(
            select(func.count()).select_from(model).where(model.seq.between(low, high))
        )
        for model in CHAINED
    )
    if present != high - low + 1:
        problems.append(f"序号 {low}–{high} 之间有记录被删除（序号缺失）。")
    return problems
