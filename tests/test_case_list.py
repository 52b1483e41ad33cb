"""The case list: filters, search, keyset pages with no gaps or repeats, no per-row queries."""

import re
from datetime import timedelta

from sqlalchemy import event

from mediation.cases import service
from mediation.extensions import db
from mediation.models import Category, PartyRole, Source
from mediation.models.base import local_today

from factories import make_case, person


def numbers(page: str) -> list[str]:
    return re.findall(r"（\d{4}）东街调字第\d{4}号", page)


def test_empty_list_says_what_to_do(world, login):
    page = login("mediator1").get("/cases").get_data(as_text=True)
    assert "还没有案件" in page and "登记案件" in page


def test_filters_by_status_category_source_and_dates(world, login):
    old = make_case(world["mediator1"], registered_on=local_today() - timedelta(days=50),
                    category=Category.FAMILY)  # fmt: skip
    new = make_case(world["mediator1"], source=Source.INITIATIVE)
    service.apply_action(new, world["mediator1"], "accept")
    c = login("mediator1")
    assert numbers(c.get("/cases?status=accepted").get_data(True)) == [new.number]
    assert numbers(c.get("/cases?category=family").get_data(True)) == [old.number]
    assert numbers(c.get("/cases?source=initiative").get_data(True)) == [new.number]
    since = (local_today() - timedelta(days=10)).isoformat()
    assert numbers(c.get(f"/cases?date_from={since}").get_data(True)) == [new.number]
    assert numbers(c.get(f"/cases?date_to={since}").get_data(True)) == [old.number]
    page = c.get("/cases?status=closed").get_data(True)
    assert "没有符合条件的案件" in page


def test_bad_filter_values_are_ignored_not_fatal(world, login):
    make_case(world["mediator1"])
    response = login("mediator1").get("/cases?date_from=not-a-date&status=nonsense&after=xx")
    assert response.status_code == 200
    assert "请填写有效日期。" in response.get_data(True)


def test_search_by_number_and_party_name(world, login):
    a = make_case(world["mediator1"], parties=[person(PartyRole.APPLICANT, "诸葛亮"),
                                               person(PartyRole.RESPONDENT, "司马懿")])  # fmt: skip
    b = make_case(world["mediator1"])
    c = login("mediator1")
    assert numbers(c.get("/cases?q=司马").get_data(True)) == [a.number]
    assert numbers(c.get("/cases?q=第0002号").get_data(True)) == [b.number]


def test_overdue_and_mine_filters(world, login):
    late = make_case(world["mediator1"])
    service.apply_action(late, world["mediator1"], "accept")
    late.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    other = make_case(world["mediator3"])
    service.apply_action(other, world["mediator3"], "accept")
    c = login("mediator1")
    assert numbers(c.get("/cases?overdue=y").get_data(True)) == [late.number]
    assert numbers(c.get("/cases?mine=y").get_data(True)) == [late.number]
    assert "超期 1 天" in c.get("/cases").get_data(True)


def test_pages_walk_forward_and_back_without_gaps_or_repeats(app, world, login):
    app.config["CASES_PER_PAGE"] = 4
    for days in (0, 0, 1, 2, 2, 2, 3, 5, 8, 9):
        make_case(world["mediator1"], registered_on=local_today() - timedelta(days=days))
    c = login("mediator1")
    seen, url, pages = [], "/cases", []
    while url:
        page = c.get(url).get_data(as_text=True)
        pages.append(page)
        seen += numbers(page)
        nxt = re.search(r'href="(/cases\?after=[^"]+)">下一页', page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(pages) == 3 and len(seen) == 10 and len(set(seen)) == 10
    prev = re.search(r'href="(/cases\?before=[^"]+)">上一页', pages[-1]).group(1)
    back = c.get(prev.replace("&amp;", "&")).get_data(as_text=True)
    assert numbers(back) == numbers(pages[1])


def test_filters_survive_paging(app, world, login):
    app.config["CASES_PER_PAGE"] = 2
    for _ in range(3):
        make_case(world["mediator1"], category=Category.FAMILY)
    make_case(world["mediator1"])
    page = login("mediator1").get("/cases?category=family").get_data(as_text=True)
    assert "category=family" in re.search(r'href="([^"]+)">下一页', page).group(1)


def test_list_queries_do_not_grow_with_rows(app, world, login):
    c = login("mediator1")

    def count_queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert c.get("/cases").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_case(world["mediator1"])
    few = count_queries()
    for _ in range(12):
        case = make_case(world["mediator1"])
        service.apply_action(case, world["mediator1"], "accept")
    assert count_queries() == few


def test_the_app_asks_postgresql_not_to_jit_compile(app):
    """PostgreSQL's JIT compiled a county's case list query (its scope's subplans are priced
    high) for 40–100 ms, to run it in 15: the app's connections turn it off."""
    from sqlalchemy import text

    from mediation.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_the_filters_selects_draw_as_wtforms_draws_them(app):
    """The quick select (mediation/forms.py) writes the same HTML as WTForms' own: blank
    first option, the chosen one selected, labels and values escaped."""
    from werkzeug.datastructures import MultiDict
    from wtforms.widgets import Select

    from mediation.cases.forms import FilterForm
    from mediation.forms import SelectChoice

    form = FilterForm(MultiDict({"status": "accepted", "category": "land"}))
    form.source.choices = [*form.source.choices, SelectChoice('a"<&', '<b>"甲&乙"</b>')]
    for field in (form.status, form.category, form.source):
        quick = str(field(class_="wide"))
        assert quick == str(Select()(field, class_="wide"))
    assert '<option selected value="accepted">' in str(form.status())
    assert "&lt;b&gt;" in str(form.source())


def test_reading_pages_keep_their_prepared_statements(world, login):
    """psycopg prepares a statement run five times on a connection, and a ROLLBACK drops them
    all: a request that only read ends with a COMMIT, so the next pages find them prepared.
    (SQLite prepares nothing on the server.)"""
    from sqlalchemy import text

    from mediation.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    c = login("mediator1")
    for _ in range(6):
        assert c.get("/cases").status_code == 200
        db.session.remove()  # as a server's request ends (the tests keep one app context)
    prepared = db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    assert prepared > 0
