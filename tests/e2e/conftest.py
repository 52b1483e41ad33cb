"""Browser fixtures: one chromium for the session, the app served live for each test."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from e2e.browser import LiveServer, launch


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def page_as(browser, live):
    """page_as("mediator1") → a logged-in page in its own browser context (own cookies)."""
    contexts = []

    def _open(username: str, password: str = "secret123", width: int = 1366):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", base_url=live.url
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: SCREENSHOT_DIR to keep and look at them, else a temp folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
