"""Benchmarks, run on demand (`make bench`). Every page is fetched through the app (HTTP, as
a logged-in county auditor) and its median time printed as a ratio to a trivial page of the
same app in the same run (the password form), so the figures compare across machines.

The data set (bench/generate.py): a county of 20 司法所 and 400 committees, N cases over five
years with their whole history, parties (rare characters included), records, agreements,
follow-ups and a timeline on a valid audit chain, loaded by COPY on PostgreSQL.

    python bench/run.py                               SQLite, 20,000 cases
    python bench/run.py --postgres --cases 1000000    a throwaway database on the tests' PostgreSQL
    python bench/run.py --postgres --cases 1000000 --keep bench_1m
                                 made once, kept, reused while it has 1,000,000 cases
    python bench/run.py --postgres --explain     also EXPLAIN ANALYZE the heavy queries

A kept database's audit key and checkpoint file are under instance/bench/NAME/; to verify it:
    cd instance/bench/NAME && AUDIT_KEY=$(cat audit.key) AUDIT_CHECKPOINT_FILE=checkpoints.log \
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/NAME flask audit-verify
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import generate as generator  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from mediation import create_app  # noqa: E402
from mediation.extensions import db  # noqa: E402
from mediation.models import Case, CaseStatus, Org, OrgKind, Party, User  # noqa: E402
from mediation.models.base import local_today  # noqa: E402

PASSWORD = generator.PASSWORD


def median_ms(fetch, url: str, repeat: int, prepare=None) -> float:
    fetch(url)  # warm caches
    times = []
    for _ in range(repeat):
        if prepare is not None:
            prepare()  # untimed: what the figure is measured after
        start = time.perf_counter()
        response = fetch(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def explain(queries: dict[str, tuple]) -> None:
    for name, (sql, parameters) in queries.items():
        print(f"\n-- EXPLAIN ANALYZE: {name}\n{sql[:300]}")
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters
        )
        for (line,) in plan:
            print("  ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 20000)))
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="create (or reuse, when it already holds --cases cases) the database NAME and "
        "keep it afterwards",
    )
    parser.add_argument("--generate-only", action="store_true", help="make the data, no pages")
    parser.add_argument(
        "--only", nargs="*", default=[], help="only the pages whose name holds one of these words"
    )
    args = parser.parse_args()
    run(*database(args), args)


def database(args):
    """(url, folder for its key and checkpoints, whether it must be generated)."""
    if args.keep:
        folder = ROOT / "instance" / "bench" / args.keep
        folder.mkdir(parents=True, exist_ok=True)
        if args.postgres:
            import pgserver

            server = pgserver.acquire()
            url = pgserver.make_url(server.base_url).set(database=args.keep)
            url = url.render_as_string(hide_password=False)
            if complete(folder, url, args.cases):
                return url, folder, False
            (folder / "generated").unlink(missing_ok=True)
            (folder / "checkpoints.log").unlink(missing_ok=True)
            return pgserver.create_database(server, args.keep), folder, True
        path = folder / "bench.db"
        url = f"sqlite:///{path}"
        if path.exists() and complete(folder, url, args.cases):
            return url, folder, False
        for stale in (path, folder / "generated", folder / "checkpoints.log"):
            stale.unlink(missing_ok=True)
        return url, folder, True
    folder = Path(tempfile.mkdtemp(prefix="mediation-bench-"))
    if args.postgres:
        # A database of its own on the tests' PostgreSQL (see tests/pgserver.py), dropped after.
        import atexit

        import pgserver

        server = pgserver.acquire()
        name = f"mediation_bench_{os.getpid()}"
        atexit.register(pgserver.drop_database, server, name)
        return pgserver.create_database(server, name), folder, True
    return f"sqlite:///{folder}/bench.db", folder, True


def complete(folder: Path, url: str, cases: int) -> bool:
    """Whether a kept database was fully generated with this many cases (a run cut short
    leaves no mark) and still holds them."""
    mark = folder / "generated"
    if not mark.exists() or mark.read_text().strip() != str(cases):
        return False
    return kept_cases(url) == cases


def kept_cases(url: str) -> int | None:
    """How many cases a kept database holds (None when it is missing or not ours)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Case.__table__))
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def bench_app(url: str, folder: Path):
    key_file = folder / "audit.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32) + "\n")
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-" + "x" * 32,
            "AUDIT_KEY": key_file.read_text().strip(),
            "AUDIT_CHECKPOINT_FILE": str(folder / "checkpoints.log"),
        }
    )


def run(url: str, folder: Path, fresh: bool, args) -> None:
    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        made = None
        if fresh:
            started = time.perf_counter()
            tree = generator.build_tree()
            written = generator.generate(args.cases, tree)
            made = time.perf_counter() - started
            (folder / "generated").write_text(f"{args.cases}\n")
            print(
                f"generated in {made:.0f} s: " + ", ".join(f"{k} {v}" for k, v in written.items())
            )
        if args.generate_only:
            return
        pages = {
            name: url
            for name, url in bench_pages().items()
            if name.startswith("trivial") or not args.only or any(w in name for w in args.only)
        }
        dialect = db.engine.dialect.name
        bureau = db.session.scalar(select(Org.id).where(Org.kind == OrgKind.BUREAU))
        # The draws of an earlier run of a kept database, so the same quarters draw again.
        db.session.execute(text("DELETE FROM review_sample_cases"))
        db.session.execute(text("DELETE FROM review_samples"))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    login = client.post("/login", data={"username": "auditor0", "password": PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    results = {name: median_ms(client.get, page, args.repeat) for name, page in pages.items()}
    # The statistics pages above add up the parts the ledger keeps per committee (counted by
    # the warm-up fetch). Also measured: with one committee's cases just changed (its part is
    # counted again: the usual case in a working county), and with nothing kept at all.
    for name in [n for n in pages if n.startswith(LEDGER_PAGES) and "year" in n]:
        for how, prepare in (("one committee changed", ledger_change(app, 1)),
                             ("nothing kept", ledger_change(app, None))):  # fmt: skip
            results[f"{name}, {how}"] = median_ms(client.get, pages[name], args.repeat, prepare)
    if not args.only or any("sampling" in w for w in args.only):
        results["sampling draw, county, quarter"] = median_ms(
            sampling_draw(client, bureau), "/review/samples", args.repeat
        )
    base = results["trivial page (password form)"]
    how = f"generated in {made:.0f} s" if made is not None else "kept database"
    print(
        f"{args.cases} cases on {dialect} ({how}); median of {args.repeat}, "
        "ratio to the trivial page:"
    )
    for name, ms in results.items():
        print(f"  {name:<36} {ms:9.1f} ms   ratio {ms / base:7.1f}")
    if args.explain and dialect == "postgresql":
        with app.app_context():
            bureau = db.session.scalar(select(Org.id).where(Org.kind == OrgKind.BUREAU))
            explain(heavy_queries(bureau, local_today().year))


LEDGER_PAGES = ("statistics", "考核")


def ledger_change(app, committees: int | None):
    """Before a fetch: bump the marks of that many committees (as a change to their cases
    does), or with None forget every kept part."""
    import random

    def prepare():
        with app.app_context():
            if committees is None:
                db.session.execute(text("DELETE FROM statistics_parts"))
            else:
                ids = db.session.scalars(select(Org.id).where(Org.kind == OrgKind.COMMITTEE)).all()
                for committee_id in random.sample(ids, committees):
                    db.session.execute(
                        text("UPDATE statistics_marks SET mark = mark + 1 "
                             "WHERE committee_id = :c"), {"c": committee_id}
                    )  # fmt: skip
                    db.session.execute(
                        text("INSERT INTO statistics_marks (committee_id, mark) "
                             "SELECT :c, 1 WHERE NOT EXISTS (SELECT 1 FROM statistics_marks "
                             "WHERE committee_id = :c)"), {"c": committee_id}
                    )  # fmt: skip
            db.session.commit()
            db.session.remove()

    return prepare


def sampling_draw(client, bureau: int):
    """抽查: each draw is of another quarter (a unit draws a quarter once), 10 files a committee."""
    year = local_today().year
    quarters = iter([(y, q) for y in (year - 2, year - 1, year) for q in (1, 2, 3, 4)])

    def draw(url: str):
        y, q = next(quarters)
        data = {"org": bureau, "year": y, "quarter": q, "per_committee": 10, "seed": "bench"}
        response = client.post(url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client.get(response.headers["Location"])

    return draw


def bench_pages() -> dict[str, str]:
    """The pages, with real search terms taken from the data (in an app context)."""
    bureau = db.session.scalar(select(Org.id).where(Org.kind == OrgKind.BUREAU))
    today = local_today()
    year = today.year
    deep = db.session.scalar(
        select(Case.id).order_by(Case.registered_on, Case.id).limit(1).offset(40)
    )
    from mediation.cases.listing import encode_cursor

    cursor = encode_cursor(db.session.get(Case, deep))
    middle = db.session.scalar(select(func.max(Case.id))) // 2
    case = db.session.get(Case, middle)
    party = db.session.scalar(
        select(Party).where(Party.case_id >= middle, Party.kind == "person",
                            func.length(Party.name) == 3).limit(1)
    )  # fmt: skip
    start = (today - timedelta(days=6)).isoformat()
    return {
        "trivial page (password form)": "/password",
        "case list, first page": "/cases",
        "case list, near the end": f"/cases?after={cursor}",
        "case list, status": f"/cases?status={CaseStatus.MEDIATING.value}",
        "case list, category": "/cases?category=land",
        "case list, source": "/cases?source=police",
        "case list, status + category": "/cases?status=accepted&category=family",
        "case list, registered this month": f"/cases?date_from={today.replace(day=1)}",
        "case list, overdue": "/cases?overdue=y",
        "search, party name (3 chars)": f"/cases?q={party.name}",
        "search, party name (2 chars)": f"/cases?q={party.name[:2]}",
        "search, case number": f"/cases?q={case.number}",
        "search, part of a case number": f"/cases?q={case.number[-8:]}",
        "search, ID number's last 4": f"/cases?q={party.id_number[-4:]}",
        "search, phone's last 4": f"/cases?q={party.phone[-4:]}",
        "case page": f"/cases/{case.id}",
        "statistics, county, month": f"/statistics?org={bureau}&kind=month&year={year}&month=6",
        "statistics, county, year": f"/statistics?org={bureau}&kind=year&year={year}",
        "statistics .xlsx, county, year": f"/statistics.xlsx?org={bureau}&kind=year&year={year}",
        "统计表, county, year": f"/statistics/official?org={bureau}&kind=year&year={year}",
        "考核, county, year": f"/review/assessment?org={bureau}&kind=year&year={year}",
        "考核 .xlsx, county, year": f"/review/assessment.xlsx?org={bureau}&kind=year&year={year}",
        "a chart's case list": (
            f"/cases?org={bureau}&accepted_from={year}-01-01&accepted_to={year}-12-31&category=land"
        ),
        "early warning, county": f"/warning/?org={bureau}",
        "weekly analysis, county": f"/warning/weekly?org={bureau}",
        "weekly figure's case list": f"/cases?org={bureau}&date_from={start}&category=land",
    }


def heavy_queries(bureau: int, year: int) -> dict[str, tuple]:
    """The queries behind the slowest pages, compiled with their parameters, for EXPLAIN."""
    from mediation.models import Org
    from mediation.reports import service as reports
    from mediation.warning import service as warning

    unit = db.session.get(Org, bureau)
    user = db.session.scalar(select(User).where(User.username == "auditor0"))
    found = {}

    def capture(conn, cursor, statement, parameters, context, executemany):
        found[f"query {len(found) + 1}"] = (statement, parameters)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", capture)
    from mediation.models.base import local_today
    from mediation.oversight import assessment
    from mediation.oversight import service as oversight

    try:
        warning.listed_ids(unit, local_today())
        reports.build_report(user, unit, reports.Period("year", year))
        assessment.build(user, unit, reports.Period("year", year))
        oversight.drawn(unit, year, 1, 10, "bench")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return found


if __name__ == "__main__":
    main()
