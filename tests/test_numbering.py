"""Case numbers: （2026）东街调字第0001号, per committee and year, unique and never reused."""

import threading
from datetime import date

from mediation.cases.service import format_case_number
from mediation.extensions import db
from mediation.models import Case, User
from mediation.models.base import local_today

from factories import make_case


def test_number_format():
    assert format_case_number(2026, "东街", 1) == "（2026）东街调字第0001号"
    assert format_case_number(2026, "医调", 12345) == "（2026）医调调字第12345号"


def test_numbers_run_per_committee_and_year(world):
    a = make_case(world["mediator1"], registered_on=date(2025, 12, 30))
    b = make_case(world["mediator1"])
    c = make_case(world["mediator1"])
    d = make_case(world["mediator2"])
    year = local_today().year
    assert a.number == "（2025）东街调字第0001号"
    assert b.number == f"（{year}）东街调字第0001号"
    assert c.number == f"（{year}）东街调字第0002号"
    assert d.number == f"（{year}）河西调字第0001号"


def test_numbers_are_never_reused(world):
    first = make_case(world["mediator1"])
    db.session.delete(first)  # even if a case row disappeared, its number stays spent
    db.session.commit()
    again = make_case(world["mediator1"])
    assert again.number.endswith("第0002号")


def test_simultaneous_registrations_get_distinct_numbers(app, world):
    """Eight people register at the same moment: eight different, consecutive numbers."""
    user_id = world["mediator1"].id
    barrier = threading.Barrier(8)
    numbers, errors = [], []

    def register():
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                numbers.append(make_case(user).number)
            except Exception as error:  # reported below, with the thread's own exception
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == [
        format_case_number(local_today().year, "东街", n) for n in range(1, 9)
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 8
