"""The case list at a county's or a province's volume: a count that stops and says so, and the
search by part of a name (rare characters included), by the start of a two-character name,
and by the last four characters of an ID number or a phone, on both databases."""

import re

import pytest
from sqlalchemy import text

from mediation.cases.listing import matching_case_ids
from mediation.extensions import db
from mediation.models import PartyRole

from factories import ID_FEMALE, ID_MALE, make_case, person


def numbers(page: str) -> list[str]:
    return sorted(re.findall(r"（\d{4}）\w{2}调字第\d{4}号", page))


def parties(*names: str) -> list[dict]:
    roles = [PartyRole.APPLICANT] + [PartyRole.RESPONDENT] * (len(names) - 1)
    return [person(role, name) for role, name in zip(roles, names, strict=True)]


def test_the_count_stops_at_the_limit_and_says_so(app, world, login):
    app.config["CASE_COUNT_LIMIT"] = 3
    for _ in range(4):
        make_case(world["mediator1"])
    page = login("mediator1").get("/cases").get_data(as_text=True)
    assert "超过 3 件" in page and "共 " not in page
    assert len(numbers(page)) == 4  # the page itself is whole
    app.config["CASE_COUNT_LIMIT"] = 4
    assert "共 4 件" in login("mediator1").get("/cases").get_data(as_text=True)


def test_search_finds_rare_characters_inside_a_name(world, login):
    rare = make_case(world["mediator1"], parties=parties("欧阳𠮷䶮㐂", "李四"))
    make_case(world["mediator1"], parties=parties("欧阳明月", "李四"))
    c = login("mediator1")
    assert numbers(c.get("/cases?q=阳𠮷䶮").get_data(True)) == [rare.number]
    assert numbers(c.get("/cases?q=䶮㐂").get_data(True)) == []  # two characters: a prefix
    assert numbers(c.get("/cases?q=欧阳𠮷").get_data(True)) == [rare.number]


def test_two_character_names_match_by_equality_and_prefix(world, login):
    exact = make_case(world["mediator1"], parties=parties("张三", "李四"))
    longer = make_case(world["mediator1"], parties=parties("张三丰", "王五"))
    make_case(world["mediator1"], parties=parties("李张三", "王五"))
    found = numbers(login("mediator1").get("/cases?q=张三").get_data(True))
    assert found == sorted([exact.number, longer.number])


def test_search_by_part_of_the_case_number_still_works(world, login):
    make_case(world["mediator1"])
    second = make_case(world["mediator1"])
    c = login("mediator1")
    assert numbers(c.get("/cases?q=第0002号").get_data(True)) == [second.number]


def test_a_whole_case_number_finds_its_case_with_brackets_of_either_width(world, login):
    first = make_case(world["mediator1"])
    second = make_case(world["mediator1"])
    c = login("mediator1")

    def found(q: str) -> set[str]:  # the numbers listed (the search box holds q itself)
        return set(numbers(c.get("/cases", query_string={"q": q}).get_data(True))) - {q}

    page = c.get("/cases", query_string={"q": first.number}).get_data(True)
    assert page.count(first.number) >= 2 and second.number not in page
    half = first.number.replace("（", "(").replace("）", ")")
    assert found(half) == {first.number}
    missing = first.number.replace("0001号", "0009号")
    assert found(missing) == set()


def test_search_by_the_last_four_of_an_id_number_or_phone(world, login):
    by_id = make_case(world["mediator1"], parties=[
        person(PartyRole.APPLICANT, "赵甲", id_number=ID_FEMALE, phone="13800000001"),
        person(PartyRole.RESPONDENT, "钱乙", id_number=ID_MALE, phone="13800000002"),
    ])  # fmt: skip
    by_phone = make_case(world["mediator1"], parties=[
        person(PartyRole.APPLICANT, "孙丙", phone="13912340002"),
        person(PartyRole.RESPONDENT, "李丁", phone="0571-88886666"),
    ])  # fmt: skip
    c = login("mediator1")
    assert numbers(c.get(f"/cases?q={ID_FEMALE[-4:].lower()}").get_data(True)) == [by_id.number]
    assert numbers(c.get("/cases?q=6666").get_data(True)) == [by_phone.number]
    assert numbers(c.get("/cases?q=0002").get_data(True)) == sorted([by_id.number, by_phone.number])
    # A whole ID number is not a search term: it would stand in the URL and the logs.
    assert numbers(c.get(f"/cases?q={ID_MALE}").get_data(True)) == []


def test_search_stays_inside_the_users_scope(world, login):
    mine = make_case(world["mediator1"], parties=parties("欧阳娜娜", "李四"))
    theirs = make_case(world["mediator2"], parties=parties("欧阳娜娜", "李四"))
    assert numbers(login("mediator1").get("/cases?q=欧阳娜").get_data(True)) == [mine.number]
    assert numbers(login("director2").get("/cases?q=欧阳娜").get_data(True)) == [theirs.number]
    assert numbers(login("auditor1").get("/cases?q=欧阳娜").get_data(True)) == [mine.number]
    assert numbers(login("auditor0").get("/cases?q=欧阳娜").get_data(True)) == sorted(
        [mine.number, theirs.number]
    )


def test_wildcards_typed_are_searched_as_characters(world, login):
    make_case(world["mediator1"], parties=parties("张三", "李四"))
    assert numbers(login("mediator1").get("/cases?q=%25%25%25").get_data(True)) == []
    assert numbers(login("mediator1").get("/cases?q=___").get_data(True)) == []


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_trigrams_index_cjk_characters_under_this_databases_locale(app, world):
    """pg_trgm takes only the locale's letters and digits into trigrams: under a ctype where
    CJK characters are not alphanumeric, a name would have none and the index would serve
    nothing. This checks the database the tests run on, and that the plan uses the index."""
    for name in ("欧阳娜娜", "𠮷䶮㐂"):
        trigrams = db.session.scalar(text("SELECT show_trgm(:name)"), {"name": name})
        assert len(trigrams) >= 2, (name, trigrams)
    make_case(world["mediator1"], parties=parties("欧阳𠮷䶮", "李四"))
    query = matching_case_ids("阳𠮷䶮")
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_parties_name_trgm" in plan and "ix_cases_number_trgm" in plan, plan
    tail_plan = matching_case_ids("002X").compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {tail_plan}")))
    assert "ix_parties_id_tail" in plan and "ix_parties_phone_tail" in plan, plan
    db.session.rollback()
