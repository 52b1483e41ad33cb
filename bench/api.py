"""The JSON API under load: referral intake and status reads by 50 clients at once, the app
served by waitress as `make serve` runs it (8 threads). Prints the throughput and the p99
latency as a ratio to one client's median alone, so the figures compare across machines.

    python bench/api.py                  SQLite
    python bench/api.py --postgres       a throwaway database on the tests' PostgreSQL
    python bench/api.py --clients 50 --calls 20
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from concurrency import LiveServer  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from mediation import create_app  # noqa: E402
from mediation.admin.service import create_org  # noqa: E402
from mediation.api import clients  # noqa: E402
from mediation.models import ApiClientKind, CommitteeKind, OrgKind, Role, User  # noqa: E402


def setup() -> tuple[str, int]:
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": "基准县司法局"})
    office = create_org(None, {"kind": OrgKind.OFFICE, "name": "基准镇司法所",
                               "parent_id": bureau.id})  # fmt: skip
    committee = create_org(None, {
        "kind": OrgKind.COMMITTEE, "name": "基准社区人民调解委员会", "short_name": "基准",
        "committee_kind": CommitteeKind.VILLAGE, "parent_id": office.id,
    })  # fmt: skip
    admin = User(username="admin", name="管理员", role=Role.ADMIN, org=bureau)
    admin.set_password("bench-password-1")
    from mediation.extensions import db

    db.session.add(admin)
    db.session.commit()
    court = clients.create_client(admin, {
        "name": "基准人民法院", "kind": ApiClientKind.COURT, "unit_ids": [office.id],
        "callback_url": "", "rate_limit": 1_000_000, "active": True,
    })  # fmt: skip
    return clients.issue_token(admin, court, 30).plain, committee.id


def body(committee_id: int, n: int) -> bytes:
    return json.dumps({
        "reference_number": f"（2026）基准民诉前调{n}号", "referred_on": "2026-11-30",
        "committee_id": committee_id, "category": "neighbour", "summary": "院墙渗水纠纷。",
        "request": "请求修缮院墙。",
        "parties": [
            {"role": "applicant", "kind": "person", "name": f"申请人{n}"},
            {"role": "respondent", "kind": "person", "name": f"被申请人{n}"},
        ],
    }, ensure_ascii=False).encode()  # fmt: skip


def timed(url: str, token: str, data: bytes | None = None) -> tuple[float, int, dict]:
    request = urllib.request.Request(url, data=data)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return time.perf_counter() - started, status, json.loads(raw or b"{}")


def load(calls_of_each: list[list], workers: int) -> tuple[float, list[float], dict]:
    """Run each worker's list of calls in its own thread, all started together."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def run(calls):
        barrier.wait()
        for call in calls:
            seconds, status, _ = call()
            with lock:
                times.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=run, args=(c,)) for c in calls_of_each]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, times, statuses


def p99(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=10, help="calls per client and kind")
    args = parser.parse_args()
    if args.postgres:
        import pgserver

        server = pgserver.acquire()
        name = f"mediation_bench_api_{os.getpid()}"
        try:
            run(pgserver.create_database(server, name), args)
        finally:
            pgserver.drop_database(server, name)
            server.stop()
    else:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='mediation-bench-api-')}/bench.db", args)


def run(url: str, args) -> None:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SECRET_KEY": "bench-" + "x" * 32, "AUDIT_KEY": "bench-audit-" + "y" * 32,
        "AUDIT_CHECKPOINT_FILE": os.path.join(tempfile.mkdtemp(), "checkpoints.log"),
    })  # fmt: skip
    with app.app_context():
        upgrade()
        token, committee_id = setup()
    server = LiveServer(app)
    base = server.url + "/api/v1"
    try:
        # One client alone: its median intake and status read.
        alone_in = [timed(base + "/referrals", token, body(committee_id, -n))[0]
                    for n in range(1, 11)]  # fmt: skip
        case_id = timed(base + "/referrals", token, body(committee_id, -1))[2]["id"]
        alone_read = [timed(f"{base}/referrals/{case_id}", token)[0] for _ in range(10)]
        n = args.clients
        intake = [[lambda i=i, k=k: timed(base + "/referrals", token,
                                          body(committee_id, i * 1000 + k))
                   for k in range(args.calls)] for i in range(n)]  # fmt: skip
        took_in, times_in, statuses_in = load(intake, n)
        reads = [[lambda: timed(f"{base}/referrals/{case_id}", token)
                  for _ in range(args.calls)] for _ in range(n)]  # fmt: skip
        took_read, times_read, statuses_read = load(reads, n)
    finally:
        server.close()
    dialect = url.split(":")[0]
    print(f"JSON API on {dialect}, waitress 8 threads, {n} clients x {args.calls} calls each:")
    for label, took, times, statuses, alone in (
        ("referral intake (POST)", took_in, times_in, statuses_in, alone_in),
        ("status read (GET)", took_read, times_read, statuses_read, alone_read),
    ):
        median = statistics.median(alone)
        print(
            f"  {label:<24} {len(times) / took:7.1f} calls/s   one client alone: median "
            f"{median * 1000:6.1f} ms   under load: p99 {p99(times) * 1000:7.1f} ms = "
            f"{p99(times) / median:5.1f} x the median alone   statuses {statuses}"
        )


if __name__ == "__main__":
    main()
