"""The global audit chain: the key, appending under a lock both databases honour, signed
checkpoints kept outside the database, and verification in one paged pass over the whole
chain, in memory that does not grow with it."""

import hashlib
import heapq
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator
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


def _checkpoint_lines(extra: Iterable[str]) -> Iterator[tuple[str, str]]:
    """The checkpoint file line by line (it gains a line per commit: it is never read whole),
    then the lines given, each with where it came from."""
    path = Path(current_app.config["AUDIT_CHECKPOINT_FILE"])
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as lines:
            for n, line in enumerate(lines, 1):
                yield f"检查点文件第 {n} 行", line
    for line in extra:
        yield "给出的检查点", line


def read_checkpoints(
    extra: Iterable[str] = (), problems: list[str] | None = None
) -> Iterator[Checkpoint]:
    """Every validly signed checkpoint, from the checkpoint file and from lines given (a
    printed daily report), as they come; a complaint about each line that is not valid goes
    to `problems`."""
    for where, line in _checkpoint_lines(extra):
        if not line.strip():
            continue
        checkpoint = parse_checkpoint(line)
        if checkpoint is None:
            if problems is not None:
                problems.append(f"{where}格式或签名不符，检查点可能被伪造或改动。")
        else:
            yield checkpoint


# Verification. Every read is a keyset page of AUDIT_VERIFY_BATCH rows, so memory stays flat
# however long the trail grows (8 million entries and more); so is the list of problems.

MAX_PROBLEMS = 1000


class Problems(list):
    """The problems found in order, the first MAX_PROBLEMS kept; `total` counts them all."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, problem: str) -> None:
        self.total += 1
        if len(self) < MAX_PROBLEMS:
            super().append(problem)


class _CaseNumbers:
    """A case's number, asked of the database when a problem names it: holding every case's
    number for the whole pass would grow with the cases."""

    def get(self, case_id: int, default: str) -> str:
        return db.session.scalar(select(Case.number).where(Case.id == case_id)) or default


def describe(entry: Chained, numbers) -> str:
    """Where an entry is, in words; `numbers` maps case ids to case numbers (`.get`)."""
    if isinstance(entry, CaseEvent):
        number = numbers.get(entry.case_id, f"（已不存在的案件 {entry.case_id}）")
        return f"案件 {number} 的时间线记录（序号 {entry.seq}，{entry.kind.label}）"
    if isinstance(entry, AdminEvent):
        return f"管理操作日志（序号 {entry.seq}）"
    if isinstance(entry, DeskEvent):
        return f"受理窗口登记 {entry.entry_id} 的记录（序号 {entry.seq}，{entry.action.label}）"
    return f"安全日志（序号 {entry.seq}）"


def _batch_size() -> int:
    return max(1, int(current_app.config.get("AUDIT_VERIFY_BATCH") or 5000))


def _entries(model: type[Chained], batch: int) -> Iterator[Chained]:
    """One table's entries in order of number, a page of `batch` at a time (keyset on the
    unique number, no offset); the session holds them weakly, so a page read is let go."""
    last = None
    while True:
        query = select(model).options(lazyload("*")).order_by(model.seq).limit(batch)
        if last is not None:
            query = query.where(model.seq > last)
        page = db.session.scalars(query).all()
        yield from page
        if len(page) < batch:
            return
        last = page[-1].seq


def _whole_chain(batch: int) -> Iterator[Chained]:
    """Every entry of the chained tables in order of number: one paged read each, merged."""
    return heapq.merge(*(_entries(model, batch) for model in CHAINED), key=lambda e: e.seq)


def _checkpoint_mismatches(
    extra: Iterable[str], problems: Problems, batch: int, numbers: _CaseNumbers
) -> tuple[list[tuple[int, str]], Checkpoint | None]:
    """Each signed checkpoint compared with the entry it names, `batch` checkpoints per read:
    the mismatches by number (the first MAX_PROBLEMS numbers, so they can be told at their
    place in the chain), and the checkpoint with the highest number."""
    kept: list[tuple[int, int, str]] = []  # a max-heap on the number: (-seq, n, problem)
    seen: set[tuple[int, int]] = set()  # (seq, table) reported, as long as it is kept
    newest: Checkpoint | None = None
    pending: list[Checkpoint] = []

    def compare() -> None:
        seqs = {c.seq for c in pending}
        found: dict[int, list[tuple[int, Chained]]] = {}
        for n, model in enumerate(CHAINED):
            query = select(model).options(lazyload("*")).where(model.seq.in_(seqs))
            for entry in db.session.scalars(query):
                found.setdefault(entry.seq, []).append((n, entry))
        for checkpoint in pending:
            for n, entry in found.get(checkpoint.seq, ()):
                if entry.hash == checkpoint.hash or (entry.seq, n) in seen:
                    continue
                if len(kept) >= MAX_PROBLEMS and -kept[0][0] <= entry.seq:
                    continue
                problem = (
                    f"{describe(entry, numbers)}：与检查点（{checkpoint.at}）不符，"
                    "这条及之前的记录被改写。"
                )
                heapq.heappush(kept, (-entry.seq, n, problem))
                seen.add((entry.seq, n))
                if len(kept) > MAX_PROBLEMS:
                    dropped = heapq.heappop(kept)
                    seen.discard((-dropped[0], dropped[1]))
        pending.clear()

    for checkpoint in read_checkpoints(extra, problems):
        if newest is None or checkpoint.seq > newest.seq:
            newest = checkpoint
        pending.append(checkpoint)
        if len(pending) >= batch:
            compare()
    if pending:
        compare()
    return sorted((-seq, problem) for seq, _, problem in kept), newest


def _case_problems(problems: Problems, batch: int) -> None:
    """Each case row against its newest event, `batch` cases per read (keyset on the id)."""
    last = 0
    while True:
        cases = db.session.execute(
            select(Case.id, Case.number, Case.status, Case.version)
            .where(Case.id > last)
            .order_by(Case.id)
            .limit(batch)
        ).all()
        if not cases:
            return
        ids = [row.id for row in cases]
        newest = (
            select(func.max(CaseEvent.seq).label("seq"))
            .where(CaseEvent.case_id.in_(ids))
            .group_by(CaseEvent.case_id)
            .subquery()
        )
        facts = {
            row.case_id: row
            for row in db.session.execute(
                select(CaseEvent.case_id, CaseEvent.case_status, CaseEvent.case_version).join(
                    newest, CaseEvent.seq == newest.c.seq
                )
            )
        }
        for row in cases:
            event_ = facts.get(row.id)
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
        last = ids[-1]


def verify(extra_checkpoints: Iterable[str] = ()) -> Problems:
    """Everything wrong with the audit trail, in Chinese, the first broken entry first;
    an empty list when it is intact. One paged pass over the chain, one over the cases and
    one over the checkpoints. Every signed checkpoint is compared with the entry it names: a
    cut-off tail, or a tail cut and written anew, shows."""
    key = audit_key()
    batch = _batch_size()
    numbers = _CaseNumbers()
    problems = Problems()
    mismatches, newest_checkpoint = _checkpoint_mismatches(
        list(extra_checkpoints), problems, batch, numbers
    )
    mismatches.reverse()  # popped from the end, lowest number first
    expected, prev, last_hash = 1, GENESIS, GENESIS
    for entry in _whole_chain(batch):
        if entry.seq < expected:
            problems.append(f"{describe(entry, numbers)}：序号重复，有记录被插入。")
        elif entry.seq > expected:
            gap = f"{expected}" if entry.seq == expected + 1 else f"{expected}–{entry.seq - 1}"
            problems.append(
                f"序号 {gap} 的记录被删除（序号缺失），缺失处在{describe(entry, numbers)}之前。"
            )
        elif entry.prev_hash != prev:
            problems.append(
                f"{describe(entry, numbers)}：前序哈希不符，前一条记录被替换或顺序被改动。"
            )
        if entry.compute_hash(key) != entry.hash:
            problems.append(f"{describe(entry, numbers)}：内容被修改（密钥签名不符）。")
        while mismatches and mismatches[-1][0] <= entry.seq:
            problems.append(mismatches.pop()[1])
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
    if newest_checkpoint is not None and newest_checkpoint.seq > last:
        problems.append(
            f"末尾记录被截断：检查点（{newest_checkpoint.at}）记录到序号 "
            f"{newest_checkpoint.seq}，数据库只到 {last}。"
        )
    _case_problems(problems, batch)
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
