"""The strict Content-Security-Policy in a real browser: the main pages load with no CSP
violation and no script error, the shipped script runs (the intake form adds a party without
a round trip) and the shipped stylesheet applies. SCREENSHOT_DIR=… keeps screenshots."""

import os

import pytest

from mediation.documents import service as documents
from mediation.models import DocumentKind

from factories import make_case
from test_documents import working_case

pytestmark = pytest.mark.e2e


def watch(page) -> list[str]:
    """Collect what the browser complains about: CSP reports and uncaught errors."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def styled(page) -> bool:
    """The stylesheet applied: the top bar has its own colour, not the browser default."""
    colour = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    return colour not in ("rgba(0, 0, 0, 0)", "transparent")


def shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_main_pages_run_under_the_csp_without_violations(world, page_as, browser, live):
    case = working_case(world)
    printed = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    make_case(world["grid1"])
    page = page_as("director1")
    problems = watch(page)
    for url in ("/cases", f"/cases/{case.id}", "/todo", "/attention", "/statistics"):
        response = page.goto(url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert styled(page), url
        assert page.evaluate("document.documentElement.classList.contains('js')"), url
        if url == f"/cases/{case.id}":
            shoot(page, "case")
    page.goto("/cases/new")
    page.click("[data-add-party=respondent]")  # app.js at work
    assert page.locator("[data-parties] [data-party]").count() == 3
    shoot(page, "intake")
    assert problems == []

    resident = browser.new_context(base_url=live.url, locale="zh-CN").new_page()
    problems = watch(resident)
    for url in ("/login", f"/verify/{printed.code}", "/portal"):
        assert resident.goto(url).status == 200, url
        assert styled(resident), url
    resident.fill("#number", case.number)
    resident.fill("#proof", "13812345678")
    resident.click("button[type=submit]")
    resident.wait_for_url("**/portal/case")
    assert styled(resident)
    shoot(resident, "portal")
    assert problems == []
    resident.context.close()
