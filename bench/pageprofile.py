"""Where one request of each page goes: the SQL it runs (counted with SQLAlchemy's
before_cursor_execute) and the Python time (cProfile over repeated requests), as a director
(the load bench's user) and as the county auditor (bench/run.py's user), on a kept bench
database.

    python bench/pageprofile.py --postgres --cases 20000 --keep bench_pages
    python bench/pageprofile.py ... --queries          also print every query of each page
    python bench/pageprofile.py ... --top 40           more lines of the profile
"""

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import run as bench  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from mediation.extensions import db  # noqa: E402
from mediation.models import Case, CaseStatus, Party, Role, User  # noqa: E402


def pages_for(username: str) -> dict[str, str]:
    """A case list, a case page (of a case with an agreement and records when there is one),
    a search by a party's name, and the trivial page, for this user (in an app context)."""
    user = db.session.scalar(select(User).where(User.username == username))
    where = Case.committee_id == user.org_id if user.role == Role.DIRECTOR else True
    case_id = db.session.scalar(
        select(Case.id).where(where, Case.status == CaseStatus.CLOSED).order_by(Case.id).limit(1)
    )
    name = db.session.scalar(
        select(Party.name)
        .where(Party.case_id == case_id, Party.kind == "person", func.length(Party.name) == 3)
        .limit(1)
    )
    return {
        "trivial page": "/password",
        "case list": "/cases",
        "case page": f"/cases/{case_id}",
        "search": f"/cases?q={name}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--keep", metavar="NAME", required=True)
    parser.add_argument("--users", nargs="*", default=["director1", "auditor0"])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--queries", action="store_true")
    args = parser.parse_args()
    url, folder, fresh = bench.database(args)
    if fresh:
        sys.exit(f"{args.keep} is not a kept bench database of {args.cases} cases")
    app = bench.bench_app(url, folder)
    statements: list[str] = []
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_rest: statements.append(statement),
        )
        pages = {username: pages_for(username) for username in args.users}
        db.session.remove()
    for username, urls in pages.items():
        client = app.test_client()
        login = client.post("/login", data={"username": username, "password": bench.PASSWORD})
        assert login.status_code == 302
        for name, page in urls.items():
            for _ in range(3):  # warm up
                assert client.get(page).status_code == 200, page
            statements.clear()
            client.get(page)
            counted = list(statements)
            profile = cProfile.Profile()
            start = time.perf_counter()
            profile.enable()
            for _ in range(args.repeat):
                client.get(page)
            profile.disable()
            ms = (time.perf_counter() - start) * 1000 / args.repeat
            print(f"\n=== {username}: {name} {page}: {len(counted)} queries, {ms:.1f} ms/request")
            if args.queries:
                for statement in counted:
                    print("   ", " ".join(statement.split())[:220])
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
