"""The audit trail is tamper-evident: one keyed chain over the case timelines, the
administration log and the security log. Each attack below is one an administrator with
database access could try; `flask audit-verify` must fail and say what happened."""

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from waitress.server import create_server

from mediation.audit.security import record_security_event
from mediation.cases import service
from mediation.extensions import db
from mediation.models import AdminEvent, AuditHead, Case, CaseEvent, EventKind, SecurityEvent
from mediation.models.audit import seal

from factories import make_case


def activity(world) -> tuple[Case, Case]:
    """Two cases worked on, a reveal, and a security-log entry after them."""
    first = make_case(world["mediator1"])
    service.apply_action(first, world["mediator1"], "accept")
    service.apply_action(first, world["mediator1"], "start_mediation")
    second = make_case(world["mediator1"])
    service.apply_action(second, world["mediator1"], "accept")
    service.reveal_personal_data(first, world["mediator1"])
    record_security_event("login", user=world["mediator1"])
    db.session.commit()
    return first, second


def verify(app):
    db.session.expire_all()
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    return result.exit_code, result.output


def attack(sql: str, **params) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def newest_event(case: Case) -> CaseEvent:
    return db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    ).first()


def test_normal_use_verifies_clean(app, world, caplog):
    first, _ = activity(world)
    service.apply_action(first, world["mediator1"], "terminate", "调解不成。", "可以起诉。")
    code, output = verify(app)
    assert code == 0, output
    assert "所有案件时间线校验通过" in output
    seqs = sorted(
        s
        for m in (CaseEvent, AdminEvent, SecurityEvent)
        for s in db.session.scalars(db.select(m.seq))
    )
    assert seqs == list(range(1, len(seqs) + 1))
    assert db.session.get(AuditHead, 1).seq == len(seqs)
    assert "without a timeline event" not in caplog.text
    report = app.test_cli_runner().invoke(args=["audit-report"])
    assert report.exit_code == 0 and f"{len(seqs)} " in report.output


def test_deleting_the_newest_event_of_a_case_is_caught(app, world):
    first, _ = activity(world)
    gone = newest_event(first)
    seq = gone.seq
    attack("DELETE FROM case_events WHERE id = :id", id=gone.id)
    code, output = verify(app)
    assert code != 0
    assert f"第一处问题：序号 {seq} 的记录被删除（序号缺失）" in output


def test_deleting_the_event_of_the_newest_status_change_is_caught(app, world):
    """Also the case row says so: it is in a state no remaining event left it in."""
    first, _ = activity(world)
    gone = db.session.scalars(
        db.select(CaseEvent)
        .where(CaseEvent.case_id == first.id, CaseEvent.kind == EventKind.TRANSITION)
        .order_by(CaseEvent.seq.desc())
    ).first()
    attack("DELETE FROM case_events WHERE case_id = :case AND seq >= :seq",
           case=first.id, seq=gone.seq)  # fmt: skip
    code, output = verify(app)
    assert code != 0 and "记录被删除（序号缺失）" in output
    assert f"案件 {first.number}：案件状态被直接修改（时间线最后记录为“已受理”" in output


def test_deleting_all_events_of_a_case_is_caught(app, world):
    _, second = activity(world)
    attack("DELETE FROM case_events WHERE case_id = :id", id=second.id)
    code, output = verify(app)
    assert code != 0 and "记录被删除（序号缺失）" in output
    assert f"案件 {second.number}：整个案件的记录被删除" in output


def test_editing_an_event_and_rehashing_it_without_the_key_is_caught(app, world):
    first, _ = activity(world)
    event = newest_event(first)
    event.reason = "改过的理由"
    content = json.dumps(event.content(), ensure_ascii=False, sort_keys=True, default=str)
    forged = hashlib.sha256((event.prev_hash + content).encode()).hexdigest()  # the old scheme
    attack("UPDATE case_events SET reason = :r, hash = :h WHERE id = :id",
           r="改过的理由", h=forged, id=event.id)  # fmt: skip
    code, output = verify(app)
    assert code != 0
    assert f"第一处问题：案件 {first.number} 的时间线记录（序号 {event.seq}" in output
    assert "内容被修改" in output


def test_editing_an_event_and_rehashing_it_with_a_wrong_key_is_caught(app, world):
    first, _ = activity(world)
    event = newest_event(first)
    event.reason = "改过的理由"
    forged = seal(b"a guessed key, not the configured one", event.seq, event.prev_hash,
                  event.content())  # fmt: skip
    attack("UPDATE case_events SET reason = :r, hash = :h WHERE id = :id",
           r="改过的理由", h=forged, id=event.id)  # fmt: skip
    code, output = verify(app)
    assert code != 0 and f"（序号 {event.seq}" in output and "内容被修改" in output


def test_changing_a_case_status_directly_is_caught(app, world):
    first, _ = activity(world)
    attack("UPDATE cases SET status = 'archived' WHERE id = :id", id=first.id)
    code, output = verify(app)
    assert code != 0
    assert f"第一处问题：案件 {first.number}：案件状态被直接修改" in output
    assert "案件现为“已归档”" in output


def test_deleting_the_newest_admin_log_entry_is_caught(app, world):
    activity(world)
    newest = db.session.scalars(db.select(AdminEvent).order_by(AdminEvent.seq.desc())).first()
    seq = newest.seq
    attack("DELETE FROM admin_events WHERE id = :id", id=newest.id)
    code, output = verify(app)
    assert code != 0 and f"序号 {seq} 的记录被删除（序号缺失）" in output


def test_deleting_the_newest_security_log_entry_is_caught(app, world):
    activity(world)  # its last entry is a security-log entry, the newest of the chain
    newest = db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.seq.desc())).first()
    seq = newest.seq
    attack("DELETE FROM security_events WHERE id = :id", id=newest.id)
    code, output = verify(app)
    assert code != 0 and f"第一处问题：末尾记录被截断：序号 {seq}" in output


def test_cutting_the_tail_below_the_checkpoint_is_caught(app, world):
    activity(world)
    last = db.session.get(AuditHead, 1).seq
    keep = last - 3
    cut_tail(keep)
    code, output = verify(app)
    assert code != 0
    assert "末尾记录被截断：检查点" in output and f"记录到序号 {last}，数据库只到 {keep}" in output
    lines = Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    assert lines and lines[-1].split()[0] == str(last)


def cut_tail(keep: int) -> None:
    """The intruder removes the entries after `keep` and sets the head back to match."""
    for table in ("case_events", "admin_events", "security_events"):
        attack(f"DELETE FROM {table} WHERE seq > :keep", keep=keep)
    kept = db.session.scalars(db.select(CaseEvent.hash).where(CaseEvent.seq == keep)).first()
    attack("UPDATE audit_head SET seq = :keep, hash = :h", keep=keep, h=kept)


def test_a_tail_cut_and_written_anew_is_caught(app, world):
    first, _ = activity(world)
    last = db.session.get(AuditHead, 1).seq
    cut_tail(last - 3)
    for _ in range(5):  # new entries push the numbering past the old checkpoints
        service.reveal_personal_data(db.session.get(Case, first.id), world["mediator1"])
    code, output = verify(app)
    assert code != 0 and f"（序号 {last - 2}" in output and "这条及之前的记录被改写" in output


def test_a_printed_checkpoint_catches_a_cut_when_the_file_is_gone(app, world):
    activity(world)
    report = app.test_cli_runner().invoke(args=["audit-report"]).output.splitlines()[-1]
    last = int(report.split()[0])
    cut_tail(last - 2)
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()
    assert verify(app)[0] == 0  # without any checkpoint the cut cannot be seen
    result = app.test_cli_runner().invoke(args=["audit-verify", "--checkpoint", report])
    assert result.exit_code != 0 and f"记录到序号 {last}，数据库只到 {last - 2}" in result.output


def test_a_forged_checkpoint_line_is_refused(app, world):
    activity(world)
    path = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    with path.open("a") as f:
        f.write(f"9999 {'0' * 64} 2026-01-01T00:00:00+00:00 {'f' * 64}\n")
    code, output = verify(app)
    assert code != 0 and "检查点文件第" in output and "签名不符" in output
    assert "记录到序号 9999" not in output


def test_the_audit_key_is_required_in_production(tmp_path):
    from mediation import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "SECRET_KEY": "k" * 64, "MEDIATION_ENV": "production"}  # fmt: skip
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(settings)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app({**settings, "AUDIT_KEY": "too-short"})
    assert create_app({**settings, "AUDIT_KEY": "k" * 32}).config["AUDIT_KEY"] == "k" * 32


def test_a_development_key_is_generated_once_outside_the_database(tmp_path, monkeypatch):
    from mediation.audit.chain import _key_file

    path = tmp_path / "instance" / "audit.key"
    key = _key_file(path)
    assert len(key) == 64 and _key_file(path) == key
    assert path.stat().st_mode & 0o777 == 0o600


def test_simultaneous_reveals_do_not_fork_the_chain(app, world, login):
    """Twenty "show personal data" requests at once, through a real server: every append
    takes the head lock first, so the chain stays one line on both databases."""
    case = make_case(world["mediator1"])
    client = login("mediator1")
    token = client.csrf_token()  # first: it puts the raw token into the session cookie
    cookie = f"session={client.get_cookie('session').value}"
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.effective_port}/cases/{case.id}/personal"

        def reveal(_):
            import urllib.parse
            import urllib.request

            body = urllib.parse.urlencode({"csrf_token": token}).encode()
            request = urllib.request.Request(url, data=body, headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(reveal, range(20)))
    finally:
        server.close()
        thread.join(timeout=5)
    assert statuses == [200] * 20
    db.session.expire_all()
    reveals = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id,
                                   CaseEvent.kind == EventKind.VIEWED_PERSONAL)
    ).all()  # fmt: skip
    assert len(reveals) == 20
    assert len({e.prev_hash for e in reveals}) == 20  # no two chained onto the same entry
    code, output = verify(app)
    assert code == 0, output


def test_the_upgrade_reseals_existing_entries_under_the_key(app, world):
    """Migration 0006 numbers and seals the rows written before it; they verify clean."""
    from flask_migrate import downgrade, upgrade

    first, _ = activity(world)
    service.apply_action(first, world["mediator1"], "terminate", "调解不成。", "可以起诉。")
    events = db.session.scalar(db.select(db.func.count()).select_from(CaseEvent))
    admin = db.session.scalar(db.select(db.func.count()).select_from(AdminEvent))
    case_id = first.id
    db.session.remove()
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()  # no checkpoints before 0006
    try:
        downgrade(revision="0005")
        db.session.execute(text("UPDATE case_events SET hash = 'old', prev_hash = 'old'"))
        db.session.commit()
    finally:
        upgrade()
    code, output = verify(app)
    assert code == 0, output
    assert db.session.get(AuditHead, 1).seq == events + admin
    first = db.session.get(Case, case_id)
    assert newest_event(first).case_status == first.status
    attack("UPDATE cases SET status = 'archived' WHERE id = :id", id=case_id)
    assert "案件状态被直接修改" in verify(app)[1]


def test_a_case_saved_without_an_event_is_named_in_the_log(app, world, caplog):
    """Code that changes a case but writes no event would make verification fail later;
    the commit already says which case."""
    first, _ = activity(world)
    first.summary = "改了，但没有记入时间线。"
    db.session.commit()
    assert f"Case {first.id} was saved without a timeline event" in caplog.text
    assert "案件数据被直接修改" in verify(app)[1]


class Reads:
    """The statements sent to the database while active, to see how the chain is read."""

    def __init__(self):
        self.statements: list[str] = []

    def __enter__(self):
        db.event.listen(db.engine, "before_cursor_execute", self.note)
        return self

    def __exit__(self, *exc):
        db.event.remove(db.engine, "before_cursor_execute", self.note)

    def note(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()).lower())

    def of(self, table: str) -> list[str]:
        return [s for s in self.statements if f"from {table}" in s]


def test_verification_reads_the_chain_in_pages_and_still_names_the_first_break(app, world):
    """A batch of 3 and a chain several times longer: every table is read in keyset pages of
    3, never whole and never joined to the users, and the break in a late page is named."""
    first, _ = activity(world)
    for _ in range(6):
        service.reveal_personal_data(db.session.get(Case, first.id), world["mediator1"])
    events = db.session.scalar(db.select(db.func.count()).select_from(CaseEvent))
    assert events > 3 * 3
    app.config["AUDIT_VERIFY_BATCH"] = 3
    with Reads() as reads:
        code, output = verify(app)
    assert code == 0, output
    pages = [s for s in reads.of("case_events") if "order by case_events.seq" in s]
    assert len(pages) >= -(-events // 3)  # ceil: one read per page of three
    assert all("limit" in s and "join users" not in s for s in pages)
    assert all("case_events.seq >" in s for s in pages[1:])  # keyset, not offset
    case_reads = [s for s in reads.of("cases") if "from cases" in s and "limit" in s]
    assert case_reads  # the cases, too, a page at a time
    # The checkpoints (one line per commit) are compared three at a time.
    lines = Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    compared = [s for s in reads.of("admin_events") if "admin_events.seq in" in s]
    assert len(compared) >= -(-len(lines) // 3) and len(lines) > 3

    late = newest_event(first)  # in the last page of case events
    earlier = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == first.id).order_by(CaseEvent.seq)
    ).all()[-4]
    attack("UPDATE case_events SET reason = 'x' WHERE id IN (:a, :b)", a=late.id, b=earlier.id)
    code, output = verify(app)
    assert code != 0
    assert f"第一处问题：案件 {first.number} 的时间线记录（序号 {earlier.seq}" in output
    assert f"（序号 {late.seq}" in output


def test_paged_verification_still_sees_a_cut_tail(app, world):
    activity(world)
    app.config["AUDIT_VERIFY_BATCH"] = 2
    last = db.session.get(AuditHead, 1).seq
    cut_tail(last - 3)
    code, output = verify(app)
    assert code != 0
    assert (
        "末尾记录被截断：检查点" in output and f"记录到序号 {last}，数据库只到 {last - 3}" in output
    )


def test_a_flood_of_problems_is_counted_not_kept(app, world, monkeypatch):
    """A wrong key makes every entry a problem: the list kept is bounded, the count is not."""
    from mediation.audit import chain

    activity(world)
    monkeypatch.setattr(chain, "MAX_PROBLEMS", 3)
    total = db.session.get(AuditHead, 1).seq
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()  # signed with the key, too
    app.config["AUDIT_KEY"] = "another key, as if the trail were sealed by someone else"
    problems = chain.verify()
    assert len(problems) == 3 and problems.total >= total
    assert "内容被修改" in problems[0]
