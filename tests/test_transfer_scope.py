"""Scope under a pending transfer (rule 3, DOMAIN §1): the receiving committee's director sees
the offered case to decide on it; its mediators get 404 on every URL of the case, and find
it in no list, until the director accepts it."""

from datetime import timedelta

import pytest
from test_scope import case_urls

from mediation.cases import service as cases
from mediation.extensions import db
from mediation.handling import service as handling
from mediation.models import Case, TransferKind
from mediation.models.base import local_today

from factories import make_case


@pytest.fixture
def offered(world):
    """An overdue 东街 case with a pending transfer to 河西."""
    case = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    cases.assign_mediator(case, world["director1"], world["mediator1"].id, lead=True)
    case.deadline = local_today() - timedelta(days=3)
    db.session.commit()
    handling.request_transfer(
        case, world["director1"], TransferKind.TRANSFER, world.committees["河西"].id, "在河西。"
    )
    return case


def _accept(world, case: Case) -> None:
    transfer = case.transfers[0]
    handling.decide_transfer(transfer, world["director2"], True, "", transfer.version)


@pytest.mark.parametrize(
    ("username", "before", "after"),
    [
        ("director2", 200, 200),  # the receiving director decides
        ("mediator2", 404, 200),  # the receiving committee's mediator waits for the decision
        ("auditor2", 404, 200),  # the receiving office's auditor sees it once it is theirs
        ("director1", 200, 404),  # the sending committee works it until it leaves
        ("mediator1", 200, 404),
        ("mediator5", 404, 404),  # a third committee never
    ],
)
def test_pending_transfer_is_seen_by_the_receiving_director_only(
    world, login, offered, username, before, after
):
    c = login(username)
    assert c.get(f"/cases/{offered.id}").status_code == before, username
    _accept(world, offered)
    assert c.get(f"/cases/{offered.id}").status_code == after, username


def test_receiving_mediator_gets_404_on_every_case_url(app, world, login, offered):
    c = login("mediator2")
    for url in case_urls(app, offered.id):
        response = c.get(url)
        assert response.status_code in (404, 405), url


def test_receiving_mediator_finds_the_offered_case_in_no_list(world, login, offered):
    c = login("mediator2")
    for url in ("/cases", f"/cases?q={offered.parties[0].name}", "/todo", "/attention"):
        response = c.get(url)
        assert offered.number not in response.get_data(as_text=True), url
    # The director finds it where a decision is asked for, not among the committee's work.
    director = login("director2")
    assert offered.number in director.get("/attention").get_data(as_text=True)
    assert offered.number not in director.get("/todo").get_data(as_text=True)
    _accept(world, offered)
    assert offered.number in director.get("/todo").get_data(as_text=True)
    assert offered.number in c.get("/cases").get_data(as_text=True)


def test_pending_transfer_scope_through_the_service(world, offered):
    from mediation import access

    visible = {
        name: db.session.scalar(access.cases_visible_to(world[name]).where(Case.id == offered.id))
        is not None
        for name in ("director2", "mediator2")
    }
    assert visible == {"director2": True, "mediator2": False}
