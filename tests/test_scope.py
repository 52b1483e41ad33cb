"""Scope (DOMAIN §1): a user sees data only inside their place in the tree. Every case URL
out of scope answers 404, whatever the method; lists and search never show other cases."""

import pytest
from werkzeug.routing import IntegerConverter

from mediation.models import PartyRole

from factories import make_case, person

OUTSIDERS = ["mediator2", "director2", "auditor2", "grid9", "mediator5", "admin"]
INSIDERS = ["mediator1", "mediator3", "director1", "grid1", "auditor1", "auditor0"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def case_urls(app, case_id: int) -> list[str]:
    """Every route of the app that names a case, so a new route is covered the day it lands."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "case_id" not in rule.arguments:
            continue
        if rule.endpoint.startswith("api."):
            # The JSON API takes no session: a signed-in user gets 401 there, and a client's
            # scope (the cases it referred) is tested in test_api.py.
            continue
        # Other parts of the URL get a value of their kind: it is the case that must 404.
        others = {
            a: 1 if isinstance(rule._converters[a], IntegerConverter) else "accept"
            for a in rule.arguments - {"case_id"}
        }
        args = {"case_id": case_id, **others}
        with app.test_request_context():
            urls.append(app.url_for(rule.endpoint, **args).replace("http://localhost", ""))
    return sorted(set(urls))


@pytest.fixture
def grid_case(world):
    parties = [person(PartyRole.APPLICANT, "欧阳娜娜"), person(PartyRole.RESPONDENT, "上官云")]
    return make_case(world["grid1"], parties=parties)


def test_the_case_routes_are_all_found(app, world, grid_case):
    urls = case_urls(app, grid_case.id)
    assert len(urls) >= 6
    assert f"/cases/{grid_case.id}" in urls and f"/cases/{grid_case.id}/edit" in urls


@pytest.mark.parametrize("username", OUTSIDERS)
def test_outsiders_get_404_on_every_case_url_and_method(app, world, login, grid_case, username):
    c = login(username)
    for url in case_urls(app, grid_case.id):
        for method in METHODS:
            response = c.open(url, method=method, data={})
            assert response.status_code == 404, (username, method, url)
            assert "找不到页面" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", INSIDERS)
def test_insiders_see_the_case(world, login, grid_case, username):
    response = login(username).get(f"/cases/{grid_case.id}")
    assert response.status_code == 200
    assert grid_case.number in response.get_data(as_text=True)


def test_unknown_case_is_404_too(world, login):
    assert login("mediator1").get("/cases/99999").status_code == 404


@pytest.mark.parametrize("too_big", [2**31, 2**63, 10**30])
def test_an_id_past_the_column_is_404_on_every_route(app, world, login, too_big):
    """Any id in a URL beyond what an INTEGER column holds is simply not there: 404 on both
    databases, never a database error turned 500."""
    c = login("auditor0")
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
        if not ints or rule.endpoint.startswith("api."):
            continue
        args = {a: too_big if a in ints else "accept" for a in rule.arguments}
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **args).replace("http://localhost", "")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert c.open(path, method=method, data={}).status_code == 404, (method, path)
            checked += 1
    assert checked >= 20
    assert c.get(f"/cases/{2**31 - 1}").status_code == 404  # the largest id: looked up, none


def test_anonymous_is_sent_to_login(world, client, grid_case):
    response = client.get(f"/cases/{grid_case.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("mediator1", {"东街"}),
        ("director2", {"河西"}),
        ("auditor1", {"东街", "城关"}),
        ("auditor2", {"河西"}),
        ("auditor0", {"东街", "城关", "河西"}),
        ("grid1", {"东街"}),
        ("grid9", set()),
    ],
)
def test_case_list_shows_only_the_users_scope(world, login, username, expected):
    make_case(world["grid1"])
    make_case(world["mediator5"])
    make_case(world["mediator2"])
    page = login(username).get("/cases").get_data(as_text=True)
    shown = {short for short in ("东街", "城关", "河西") if f"{short}调字第" in page}
    assert shown == expected


def test_search_does_not_find_other_committees_cases(world, login, grid_case):
    page = login("mediator2").get("/cases?q=欧阳娜娜").get_data(as_text=True)
    assert "没有符合条件的案件" in page and grid_case.number not in page
    page = login("mediator1").get("/cases?q=欧阳娜娜").get_data(as_text=True)
    assert grid_case.number in page


def test_admin_manages_accounts_not_cases(world, login):
    assert login("admin").get("/cases").status_code == 403


def test_stored_files_only_for_handlers_and_auditors(app, world, login):
    """Uploads carry full ID numbers: seeing the case is not enough to fetch them."""
    import io

    from werkzeug.datastructures import FileStorage

    from mediation.cases import service
    from mediation.models import AttachmentKind
    from mediation.records.attachments import store_attachment

    case = make_case(world["grid1"])
    service.apply_action(case, world["mediator1"], "accept")
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    scan = FileStorage(io.BytesIO(pdf.getvalue()), filename="身份证.pdf")
    attachment = store_attachment(case, world["mediator1"], scan, AttachmentKind.SCAN)
    url = f"/cases/{case.id}/attachments/{attachment.id}"
    for username, status in (("mediator1", 200), ("director1", 200), ("auditor1", 200),
                             ("grid1", 403), ("mediator3", 403), ("mediator2", 404)):  # fmt: skip
        assert login(username).get(url).status_code == status, username


def test_a_joint_committee_director_does_not_act_as_the_owning_director(world):
    import pytest

    from mediation import workflow
    from mediation.agreements import service as agreements
    from mediation.cases import service
    from mediation.handling.service import add_joint_committee

    case = make_case(world["mediator1"])
    service.apply_action(case, world["mediator1"], "accept")
    add_joint_committee(case, world["director1"], world.committees["河西"].id, "两村交界")
    with pytest.raises(workflow.WorkflowError):
        agreements.extend_deadline(case, world["director2"], 10, "想延长")
    assert "close" not in [a.name for a in workflow.available_actions(case, world["director2"])]
