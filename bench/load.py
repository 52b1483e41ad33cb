"""Load bench: the served app (in a process of its own, as `make serve` serves it: gunicorn,
one worker per core plus one, or with --server waitress one process of 8 threads) driven at a
steady arrival rate (open loop: a request leaves on schedule whether or not the
earlier ones have come back, as real users do), with a directors' mix of the case list, the
case page, a search and a transition (撤回 of an accepted case). It prints, for each rate
tried, the throughput, the median and the 99th percentile (from the moment the request was
due, so queueing counts), and the highest rate this machine sustains with p99 within 5× the
single-user median and no errors.

    python bench/load.py --postgres --cases 1000000 --keep bench_1m   the kept database
    python bench/load.py --cases 20000                                SQLite, made for the run

The transitions withdraw accepted cases of the directors' committees: a kept database
changes by as many cases as the run made transitions (printed at the end).
"""

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import run as bench  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from mediation.extensions import db  # noqa: E402
from mediation.models import Case, CaseStatus, Party, RiskLevel, Role, User  # noqa: E402

USERS = 40  # directors signed in, each with a session of their own
MIX = (("list", 40), ("case", 30), ("search", 20), ("transition", 10))
P99_FACTOR = 5


def serve(server: str, url: str, folder: str) -> None:
    """The server process: the bench app with the production limits (mediation/serving.py);
    prints its port, then serves."""
    from mediation import serving

    if server == "waitress":
        import waitress

        app = bench.bench_app(url, Path(folder))
        serving.settle_memory()
        httpd = waitress.create_server(
            app, host="127.0.0.1", port=0, threads=serving.WAITRESS_THREADS,
            connection_limit=serving.CONNECTION_LIMIT, channel_timeout=serving.CHANNEL_TIMEOUT,
        )  # fmt: skip
        print(httpd.effective_port, flush=True)
        httpd.run()
        return
    import socket

    from gunicorn.app.base import BaseApplication

    with socket.socket() as probe:  # a free port (gunicorn binds it again before forking)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Gunicorn(BaseApplication):
        """gunicorn.conf.py's settings, around the bench app."""

        def load_config(self):
            settings = {
                "bind": f"127.0.0.1:{port}",
                "workers": serving.workers(),
                "worker_class": "gthread",
                "threads": serving.THREADS,
                "worker_connections": serving.WORKER_CONNECTIONS,
                "timeout": serving.TIMEOUT,
                "keepalive": serving.KEEPALIVE,
                "graceful_timeout": 5,
                "post_worker_init": lambda worker: serving.settle_memory(),
                "accesslog": None,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return bench.bench_app(url, Path(folder))

    print(port, flush=True)
    Gunicorn().run()


class Session:
    """One signed-in director: a cookie, and keep-alive connections, each used by one request
    at a time (as a browser's few connections are): a request takes an idle one or opens
    one, and gives it back."""

    def __init__(self, port: int, username: str):
        self.port = port
        self.idle: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()
        status, headers, _ = self.request(
            "POST", "/login", {"username": username, "password": bench.PASSWORD}, cookie=None
        )
        assert status == 302, (username, status)
        self.cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie"))

    def request(self, method, path, form=None, cookie=""):
        with self.lock:
            connection = self.idle.pop() if self.idle else None
        reused = connection is not None
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": self.cookie if cookie == "" else cookie or ""}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused:
                raise
            # The server had closed this idle keep-alive connection (its keepalive timeout)
            # before the request reached it: a browser sends it again on a new one.
            return self.request(method, path, form, cookie)
        except (http.client.HTTPException, OSError):
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            with self.lock:
                self.idle.append(connection)
        return response.status, response.headers, data


def wait_for(port: int) -> None:
    """Until the server answers (gunicorn's workers start after it printed the port)."""
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def plan(args) -> tuple[list[str], dict]:
    """Directors with accepted cases to withdraw, and what each one looks at."""
    app = bench.bench_app(args.url, args.folder)
    with app.app_context():
        # The committees with the most accepted low-risk cases: each transition takes one.
        busy = db.session.execute(
            select(Case.committee_id, func.count())
            .where(Case.status == CaseStatus.ACCEPTED, Case.risk_level == RiskLevel.LOW)
            .group_by(Case.committee_id)
            .order_by(func.count().desc())
            .limit(USERS)
        ).all()
        work = {}
        for committee_id, _count in busy:
            director = db.session.scalar(
                select(User.username).where(User.org_id == committee_id, User.role == Role.DIRECTOR)
            )
            cases = list(
                db.session.scalars(
                    select(Case.id).where(Case.committee_id == committee_id).limit(200)
                )
            )
            accepted = list(
                db.session.scalars(
                    select(Case.id).where(
                        Case.committee_id == committee_id,
                        Case.status == CaseStatus.ACCEPTED,
                        Case.risk_level == RiskLevel.LOW,
                    )
                )
            )
            names = list(
                db.session.scalars(
                    select(Party.name).where(Party.case_id.in_(cases[:20]), Party.kind == "person")
                )
            )
            work[director] = {"cases": cases, "accepted": accepted, "names": names}
        db.session.remove()
    return list(work), work


def one_request(session: Session, work: dict, kind: str, rng: random.Random, lock) -> tuple:
    if kind == "transition":
        with lock:
            case_id = work["accepted"].pop() if work["accepted"] else None
        if case_id is None:
            kind = "case"
        else:
            path = f"/cases/{case_id}/actions/withdraw"
            status, _h, body = session.request("POST", path, {"reason": "申请人撤回调解申请"})
            return kind, status in (302, 303) or (status, body.decode()[-3000:])
    if kind == "list":
        status, _h, _b = session.request("GET", "/cases")
    elif kind == "case":
        status, _h, _b = session.request("GET", f"/cases/{rng.choice(work['cases'])}")
    else:
        q = urllib.parse.quote(rng.choice(work["names"]))
        status, _h, _b = session.request("GET", f"/cases?q={q}")
    return kind, status == 200 or status


def pick(rng: random.Random) -> str:
    x = rng.random() * sum(w for _k, w in MIX)
    for kind, weight in MIX:
        x -= weight
        if x < 0:
            return kind
    return MIX[-1][0]


def _ticks(pid: int) -> int:
    """User + system CPU clock ticks of a process so far (0 when it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


class CpuMeter:
    """CPU time the app server (its process and workers) and the database's backends serving
    it spend, read from /proc (Linux): a figure per request that the other work on a shared
    machine does not inflate the way it inflates wall-clock time."""

    def __init__(self, server_pid: int, url: str):
        from sqlalchemy import create_engine, text

        self.server_pid = server_pid
        self.engine = create_engine(url)
        self.query = text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        self.available = Path("/proc/self/stat").exists() and url.startswith("postgresql")

    def read(self) -> tuple[float, float]:
        """(server seconds, database seconds) so far."""
        if not self.available:
            return 0.0, 0.0
        tick = os.sysconf("SC_CLK_TCK")
        server = [self.server_pid, *_children(self.server_pid)]
        with self.engine.connect() as conn:
            backends = [row.pid for row in conn.execute(self.query)]
        return (
            sum(_ticks(p) for p in server) / tick,
            sum(_ticks(p) for p in backends) / tick,
        )


def single_user(sessions, work, count: int) -> float:
    rng = random.Random(1)
    lock = threading.Lock()
    times = []
    for i in range(count):
        name = list(sessions)[i % len(sessions)]
        start = time.perf_counter()
        kind, ok = one_request(sessions[name], work[name], pick(rng), rng, lock)
        assert ok, (name, kind, ok)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def at_rate(sessions, work, rate: float, seconds: float) -> dict:
    """Requests due every 1/rate s for `seconds`; latency from when each was due."""
    rng = random.Random(int(rate))
    lock = threading.Lock()
    names = list(sessions)
    latencies, errors = [], 0
    results_lock = threading.Lock()

    def task(due: float, name: str, kind: str, seed: int):
        nonlocal errors
        try:
            _kind, ok = one_request(sessions[name], work[name], kind, random.Random(seed), lock)
        except Exception:  # a refused or broken connection counts as an error
            ok = False
        done = time.perf_counter()
        with results_lock:
            latencies.append(done - due)
            errors += not ok

    total = int(rate * seconds)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=256) as pool:
        for i in range(total):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(task, due, names[i % len(names)], pick(rng), rng.randrange(10**9))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rate": rate,
        "throughput": total / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--keep", metavar="NAME")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", default="10,20,30,40,60,80,100,120,150")
    parser.add_argument(
        "--server", choices=("gunicorn", "waitress"), default="gunicorn",
        help="gunicorn (make serve on Linux, the default) or waitress (make serve-waitress)",
    )  # fmt: skip
    parser.add_argument("--serve", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.server, *args.serve)
        return
    args.generate_only = True
    args.repeat = 0
    url, folder, fresh = bench.database(args)
    if fresh:  # make the data first (the pages are not benched here)
        bench.run(url, folder, fresh, args)
    args.url, args.folder = url, folder
    usernames, work = plan(args)
    server = subprocess.Popen(
        [sys.executable, __file__, "--server", args.server, "--serve", url, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(server.stdout.readline())
        wait_for(port)
        sessions = {name: Session(port, name) for name in usernames}
        single_user(sessions, work, 20)  # warm up
        meter = CpuMeter(server.pid, url)
        cpu_before = meter.read()
        count = 100
        base = single_user(sessions, work, count)
        cpu = [
            (after - before) * 1000 / count
            for after, before in zip(meter.read(), cpu_before, strict=True)
        ]
        meter.engine.dispose()
        limit = P99_FACTOR * base
        print(
            f"{args.server}: single user, median of the mix: {base * 1000:.1f} ms; "
            f"p99 limit {limit * 1000:.0f} ms"
        )
        if meter.available:
            print(
                f"CPU per request of the mix: app server {cpu[0]:.1f} ms, database {cpu[1]:.1f} ms"
            )
        print(f"{'rate/s':>8} {'done/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        best = 0.0
        for rate in (float(r) for r in args.rates.split(",")):
            result = at_rate(sessions, work, rate, args.seconds)
            print(
                f"{rate:8.0f} {result['throughput']:8.1f} {result['p50'] * 1000:8.1f} "
                f"{result['p99'] * 1000:8.1f} {result['errors']:7d}"
            )
            if result["p99"] <= limit and not result["errors"]:
                best = rate
            else:
                break
        print(
            f"highest rate sustained with p99 <= {P99_FACTOR}x the single-user median: {best:.0f}/s"
        )
        made = sum(len(w["accepted"]) for w in work.values())
        print(f"(accepted cases left to withdraw in the chosen committees: {made})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
