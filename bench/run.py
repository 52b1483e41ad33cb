"""Benchmarks, run on demand (`make bench`). Every page is fetched through the app (HTTP, as
a logged-in county auditor) and its time printed as a ratio to a trivial page of the same app
in the same run (the password form), so the figures compare across machines.

The data set is a county: a bureau, 20 town offices, 200 committees, N cases over three years
with their parties, timeline events and agreements, generated set-based in SQL
(generate_series on PostgreSQL, a recursive CTE on SQLite), never through the ORM.

    python bench/run.py                          SQLite, 20,000 cases
    python bench/run.py --postgres --cases 1000000    a throwaway database on the tests' PostgreSQL
    python bench/run.py --postgres --explain     also print EXPLAIN ANALYZE of the heavy queries
    python bench/run.py --postgres --cases 1000000 --keep bench1m    keep the database ...
    python bench/run.py --postgres --reuse bench1m    ... and measure it again (migrated to head)
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from mediation import create_app  # noqa: E402
from mediation.admin.service import create_org  # noqa: E402
from mediation.extensions import db  # noqa: E402
from mediation.models import Case, Category, CommitteeKind, OrgKind, Role, Source, User  # noqa: E402
from mediation.models.base import local_today  # noqa: E402

OFFICES, COMMITTEES_PER_OFFICE = 20, 10
PASSWORD = "bench-password"


def build_tree() -> tuple[User, list[int]]:
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": "基准县司法局"})
    offices = [
        create_org(
            None, {"kind": OrgKind.OFFICE, "name": f"基准{o}镇司法所", "parent_id": bureau.id}
        )
        for o in range(OFFICES)
    ]
    # Made after the offices, so the committees' ids are consecutive (the generator needs it).
    committees = [
        create_org(
            None,
            {
                "kind": OrgKind.COMMITTEE,
                "name": f"基准{o}-{c}调委会",
                "short_name": f"基{o}-{c}",
                "committee_kind": CommitteeKind.VILLAGE,
                "parent_id": office.id,
            },
        )
        for o, office in enumerate(offices)
        for c in range(COMMITTEES_PER_OFFICE)
    ]
    auditor = User(username="auditor0", name="县局", role=Role.AUDITOR, org=bureau)
    auditor.set_password(PASSWORD)
    registrar = User(username="registrar", name="登记", role=Role.DIRECTOR, org=committees[0])
    registrar.set_password(PASSWORD)
    db.session.add_all([auditor, registrar])
    # One mediator per committee, on every case it accepts (the per-mediator tables).
    for n, committee in enumerate(committees):
        mediator = User(username=f"mediator{n}", name=f"调解员{n}", role=Role.MEDIATOR,
                        org=committee)  # fmt: skip
        mediator.password_hash = "-"  # never logs in
        db.session.add(mediator)
    db.session.commit()
    return auditor, [c.id for c in committees], registrar.id


def _choice(expr: str, values: list[str]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {whens} END)"


def generate(n: int, committee_ids: list[int], user_id: int) -> None:
    """N cases, two parties each, their timeline (accept, outcome) and agreements, in SQL."""
    postgres = db.engine.dialect.name == "postgresql"
    today = local_today()
    if postgres:
        numbers = f"SELECT g FROM generate_series(1, {n}) AS s(g)"

        def ago(expr: str) -> str:
            return f"(DATE '{today.isoformat()}' - ({expr}))"

        def plus(day: str, days: int) -> str:
            return f"({day} + {days})"

        def moment(day: str) -> str:
            return f"(({day})::timestamp AT TIME ZONE 'UTC' + interval '2 hours')"
    else:
        numbers = (
            f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
            f"WHERE g < {n}) SELECT g FROM s"
        )

        def ago(expr: str) -> str:
            return f"date('{today.isoformat()}', (-({expr})) || ' days')"

        def plus(day: str, days: int) -> str:
            return f"date({day}, '+{days} days')"

        def moment(day: str) -> str:
            return f"({day} || ' 02:00:00.000000')"

    empty = "CAST('{}' AS JSON)" if postgres else "'{}'"  # the events' details

    def padded(expr: str) -> str:  # a number as 14 digits
        return f"lpad(CAST({expr} AS TEXT), 14, '0')" if postgres else f"printf('%014d', {expr})"

    first, count = committee_ids[0], len(committee_ids)
    assert committee_ids == list(range(first, first + count)), "committee ids must be consecutive"
    # Age in days (three years), and a bucket 0..99 choosing the status: recent cases are
    # mostly in work, older ones mostly closed and archived, with a few left overdue.
    age, bucket = "(g % 1095)", "((g * 37) % 100)"
    status = (
        f"CASE WHEN {age} < 45 THEN (CASE WHEN {bucket} < 10 THEN 'submitted' "
        f"WHEN {bucket} < 40 THEN 'accepted' WHEN {bucket} < 70 THEN 'mediating' "
        f"WHEN {bucket} < 85 THEN 'agreed' WHEN {bucket} < 92 THEN 'terminated' "
        f"WHEN {bucket} < 96 THEN 'withdrawn' ELSE 'followed_up' END) "
        f"ELSE (CASE WHEN {bucket} < 70 THEN 'archived' WHEN {bucket} < 80 THEN 'closed' "
        f"WHEN {bucket} < 88 THEN 'terminated' WHEN {bucket} < 92 THEN 'withdrawn' "
        f"WHEN {bucket} < 95 THEN 'followed_up' WHEN {bucket} < 97 THEN 'agreed' "
        f"WHEN {bucket} < 99 THEN 'rejected' ELSE 'mediating' END) END"
    )
    registered = ago(age)
    accepted = ago(f"{age} - 1")
    categories = [c.value for c in Category]
    sources = [s.value for s in Source]
    db.session.execute(
        text(f"""
        INSERT INTO cases (id, number, year, seq, committee_id, status, category, source,
            source_detail, summary, request, risk_level, is_group, involves_key_person,
            may_escalate, is_major, other_authority, registered_on, registered_by_id,
            accepted_on, deadline, closed_on, extension_reason, created_at, updated_at, version)
        SELECT g, '（基准）' || g, 2026, g, {first} + g % {count}, st, {_choice("g", categories)},
            {_choice("g * 7", sources)}, '', '基准案件', '基准请求',
            CASE WHEN g % 97 = 0 THEN 'high' WHEN g % 13 = 0 THEN 'medium' ELSE 'low' END,
            g % 83 = 0, FALSE, g % 89 = 0, FALSE, 'none', {registered}, {user_id},
            CASE WHEN st IN ('submitted', 'rejected') THEN NULL ELSE {accepted} END,
            CASE WHEN st IN ('submitted', 'rejected') THEN NULL ELSE {ago(f"{age} - 31")} END,
            CASE WHEN st IN ('closed', 'archived') THEN {ago(f"{age} - 40")} END,
            '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1
        FROM (SELECT g, {status} AS st FROM ({numbers}) AS numbers) AS generated
    """)
    )
    # Two parties each. ID numbers and addresses repeat now and then, as in a real county:
    # about one ID number in ten and every address recur in another case.
    ids, places = max(n * 2 * 9 // 10, 1), max(n // 3, 1)
    db.session.execute(
        text(f"""
        INSERT INTO parties (id, case_id, position, role, kind, name, ethnicity, id_number,
            occupation, address, phone, legal_representative, refusal_note)
        SELECT 2 * g + r, g, r, CASE WHEN r = 0 THEN 'applicant' ELSE 'respondent' END,
            'person', '当事人' || g || '-' || r, '汉族',
            '3301' || {padded(f"(CAST(g AS BIGINT) * 2 + r) * 7919 % {ids}")},
            '', '基准镇' || ((g * 2 + r) % {places}) || '号', '', '', ''
        FROM ({numbers}) AS numbers, (SELECT 0 AS r UNION ALL SELECT 1) AS sides
    """)
    )
    done = "('agreed', 'followed_up', 'closed', 'archived')"
    outcome = (
        f"CASE WHEN status IN {done} THEN 'reach_agreement' "
        "WHEN status = 'terminated' THEN 'terminate' ELSE 'withdraw' END"
    )
    db.session.execute(
        text(f"""
        INSERT INTO case_events (seq, case_id, at, user_id, kind, action, reason, details,
            case_version, prev_hash, hash)
        SELECT row_number() OVER (ORDER BY at, case_id), * FROM (
        SELECT id AS case_id, {moment("accepted_on")} AS at, {user_id}, 'transition',
            'accept', '', {empty}, 1, '', '' FROM cases WHERE accepted_on IS NOT NULL
        UNION ALL
        SELECT id, {moment(plus("accepted_on", 10))}, {user_id}, 'transition', {outcome}, '',
            {empty}, 1, '', ''
        FROM cases WHERE status IN ('agreed', 'followed_up', 'closed', 'archived',
            'terminated', 'withdrawn')) AS events
    """)
    )
    db.session.execute(
        text(f"""
        INSERT INTO agreements (case_id, kind, status, reached_on, facts, disputed_points,
            responsibility, oral_content, effective_on, created_by_id, created_at, version)
        SELECT id, CASE WHEN id % 3 = 0 THEN 'oral' ELSE 'written' END, 'effective',
            {plus("accepted_on", 10)}, '', '', '', '', {plus("accepted_on", 10)}, {user_id},
            CURRENT_TIMESTAMP, 1
        FROM cases WHERE status IN {done}
    """)
    )
    # A mediator on every accepted case; one term per agreement; a follow-up visit of the
    # followed-up, closed and archived cases, which finds the term performed four times in five.
    db.session.execute(
        text("""
        INSERT INTO case_mediators (case_id, user_id, is_lead, chosen_by_parties, assigned_at)
        SELECT c.id, u.id, TRUE, FALSE, CURRENT_TIMESTAMP FROM cases AS c
        JOIN users AS u ON u.org_id = c.committee_id AND u.role = 'mediator'
        WHERE c.accepted_on IS NOT NULL
    """)
    )
    db.session.execute(
        text(f"""
        INSERT INTO agreement_terms (agreement_id, position, obligor, obligee, content, amount,
            manner, deadline, place)
        SELECT id, 0, '被申请人', '申请人', '赔偿', 1000, '现金', {plus("reached_on", 15)}, ''
        FROM agreements
    """)
    )
    satisfaction = _choice("a.case_id", ["satisfied", "mostly", "dissatisfied"])
    db.session.execute(
        text(f"""
        INSERT INTO follow_ups (case_id, agreement_id, visited_on, visitor_id, visited,
            satisfaction, opinions, reason, risks, measures, created_at)
        SELECT a.case_id, a.id, {plus("a.reached_on", 20)}, {user_id}, '申请人',
            {satisfaction}, '', '', '', '', CURRENT_TIMESTAMP
        FROM agreements AS a JOIN cases AS c ON c.id = a.case_id
        WHERE c.status IN ('followed_up', 'closed', 'archived')
    """)
    )
    db.session.execute(
        text("""
        INSERT INTO term_performances (follow_up_id, term_id, status, note)
        SELECT f.id, t.id, CASE WHEN f.case_id % 5 = 0 THEN 'partial' ELSE 'performed' END, ''
        FROM follow_ups AS f JOIN agreement_terms AS t ON t.agreement_id = f.agreement_id
    """)
    )
    db.session.commit()
    if postgres:
        db.session.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        db.session.execute(text("SELECT setval('parties_id_seq', (SELECT max(id) FROM parties))"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def median_ms(fetch, url: str, repeat: int) -> float:
    fetch(url)  # warm caches
    times = []
    for _ in range(repeat):
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
    parser.add_argument("--keep", metavar="NAME", help="generate into database NAME and keep it")
    parser.add_argument("--reuse", metavar="NAME", help="measure a database kept by --keep")
    args = parser.parse_args()
    if args.postgres:
        # A database of its own on the tests' PostgreSQL (see tests/pgserver.py), dropped after
        # unless kept; generating a million cases takes minutes, measuring again does not.
        from sqlalchemy.engine import make_url

        import pgserver

        server = pgserver.acquire()
        name = args.reuse or args.keep or f"mediation_bench_{os.getpid()}"
        try:
            if args.reuse:
                url = make_url(server.base_url).set(database=name)
                run(url.render_as_string(hide_password=False), args)
            else:
                run(pgserver.create_database(server, name), args)
        finally:
            if not (args.keep or args.reuse):
                pgserver.drop_database(server, name)
            server.stop()
    else:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='mediation-bench-')}/bench.db", args)


def run(url: str, args) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-" + "x" * 32,
        }
    )
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        if getattr(args, "reuse", None):
            auditor = db.session.scalar(select(User).where(User.username == "auditor0"))
            args.cases = db.session.scalar(select(func.count(Case.id)))
            # The draws of an earlier run, so the same quarters can be drawn again.
            db.session.execute(text("DELETE FROM review_sample_cases"))
            db.session.execute(text("DELETE FROM review_samples"))
            db.session.commit()
            if db.engine.dialect.name == "postgresql":  # after a migration, as autovacuum would
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
        else:
            auditor, committees, registrar = build_tree()
            generate(args.cases, committees, registrar)
        made = time.perf_counter() - started
        bureau = auditor.org_id
        year = local_today().year
        today = local_today()
        deep = db.session.scalar(
            select(Case.id).order_by(Case.registered_on, Case.id).limit(1).offset(40)
        )
        deep_case = db.session.get(Case, deep)
        from mediation.cases.listing import encode_cursor

        cursor = encode_cursor(deep_case)
        dialect = db.engine.dialect.name
        db.session.remove()
    client = app.test_client()
    login = client.post("/login", data={"username": "auditor0", "password": PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    start = (today - timedelta(days=6)).isoformat()
    pages = {
        "trivial page (password form)": "/password",
        "case list, first page": "/cases",
        "case list, near the end": f"/cases?after={cursor}",
        "case list, party search": "/cases?q=当事人1234-0",
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
    results = {name: median_ms(client.get, page, args.repeat) for name, page in pages.items()}
    # 抽查: each draw is of another quarter (a unit draws a quarter once), 10 files a committee.
    quarters = iter([(y, q) for y in (year - 2, year - 1, year) for q in (1, 2, 3, 4)])

    def draw(url: str):
        y, q = next(quarters)
        data = {"org": bureau, "year": y, "quarter": q, "per_committee": 10, "seed": "bench"}
        response = client.post(url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client.get(response.headers["Location"])

    results["sampling draw, county, quarter"] = median_ms(draw, "/review/samples", args.repeat)
    base = results["trivial page (password form)"]
    print(
        f"{args.cases} cases ({OFFICES * COMMITTEES_PER_OFFICE} committees) on {dialect}, "
        f"generated in {made:.0f} s; median of {args.repeat}, ratio to the trivial page:"
    )
    for name, ms in results.items():
        print(f"  {name:<32} {ms:9.1f} ms   ratio {ms / base:7.1f}")
    if args.explain and dialect == "postgresql":
        with app.app_context():
            explain(heavy_queries(bureau, year))


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
