"""Benchmarks, run on demand (`make bench`). Figures are ratios against a baseline measured in
the same run, so they compare across machines.

case list: with many cases in scope, the first page is the baseline; a page deep in the list,
a party-name search and a filtered page should cost about the same (keyset pagination,
indexed filters, no per-row queries). The year's statistics over all those cases are timed
against the same baseline: one query of per-case facts, counted in Python.

    python bench/run.py               SQLite in a temporary folder
    python bench/run.py --postgres    a throwaway database on the tests' PostgreSQL
BENCH_CASES sets how many cases (default 20000).
"""

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
from sqlalchemy import insert, select  # noqa: E402

from mediation import create_app  # noqa: E402
from mediation.admin.service import create_org  # noqa: E402
from mediation.cases.listing import encode_cursor, list_cases  # noqa: E402
from mediation.extensions import db  # noqa: E402
from mediation.models import (  # noqa: E402
    Case,
    Category,
    CommitteeKind,
    OrgKind,
    Party,
    PartyKind,
    PartyRole,
    Role,
    Source,
    User,
)
from mediation.models.base import local_today  # noqa: E402
from mediation.reports.service import build_report, current_period  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "20000"))
REPEAT = 15


def build() -> User:
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": "基准县司法局"})
    office = create_org(
        None, {"kind": OrgKind.OFFICE, "name": "基准司法所", "parent_id": bureau.id}
    )
    committee = create_org(
        None,
        {
            "kind": OrgKind.COMMITTEE,
            "name": "基准调委会",
            "short_name": "基准",
            "committee_kind": CommitteeKind.VILLAGE,
            "parent_id": office.id,
        },
    )
    user = User(username="bench", name="基准", role=Role.DIRECTOR, org=committee, password_hash="x")
    db.session.add(user)
    db.session.commit()
    categories = list(Category)
    today = local_today()
    rows = [
        {"number": f"（2026）基准调字第{i:05d}号", "year": 2026, "seq": i,
         "committee_id": committee.id, "category": categories[i % len(categories)],
         "source": Source.APPLICATION, "summary": "基准案件", "request": "基准请求",
         "registered_on": today - timedelta(days=i % 365), "registered_by_id": user.id,
         "accepted_on": today - timedelta(days=i % 365),
         "deadline": today - timedelta(days=i % 365 - 30)}
        for i in range(1, CASES + 1)
    ]  # fmt: skip
    db.session.execute(insert(Case), rows)
    ids = db.session.scalars(select(Case.id)).all()
    parties = []
    for n, case_id in enumerate(ids):
        for role in (PartyRole.APPLICANT, PartyRole.RESPONDENT):
            parties.append({"case_id": case_id, "role": role, "kind": PartyKind.PERSON,
                            "name": f"当事人{n}{role.value[0]}", "position": 0})  # fmt: skip
    db.session.execute(insert(Party), parties)
    db.session.commit()
    return user


def median_ms(fn) -> float:
    fn()  # warm caches
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    if "--postgres" in sys.argv:
        # A database of its own on the tests' PostgreSQL (see tests/pgserver.py), dropped after.
        import pgserver

        server = pgserver.acquire()
        name = f"mediation_bench_{os.getpid()}"
        try:
            run(pgserver.create_database(server, name))
        finally:
            pgserver.drop_database(server, name)
            server.stop()
    else:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='mediation-bench-')}/bench.db")


def run(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        user = build()
        deep = db.session.scalars(
            select(Case).order_by(Case.registered_on, Case.id).limit(1).offset(40)
        ).one()
        cursor = encode_cursor(deep)
        cases = {
            "first page (baseline)": lambda: list_cases(user, {}),
            "page near the end": lambda: list_cases(user, {}, after=cursor),
            "search by party name": lambda: list_cases(user, {"q": "当事人1234"}),
            "filtered by category": lambda: list_cases(user, {"category": Category.LAND}),
            "statistics, this year": lambda: build_report(user, user.org, current_period("year")),
        }
        results = {name: median_ms(fn) for name, fn in cases.items()}
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    base = results["first page (baseline)"]
    print(f"case list, {CASES} cases in scope, on {dialect} (median of {REPEAT}):")
    for name, ms in results.items():
        print(f"  {name:<24} {ms:8.1f} ms   ratio {ms / base:5.2f}")


if __name__ == "__main__":
    main()
