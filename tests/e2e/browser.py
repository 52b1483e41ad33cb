"""Browser-test helpers: Debian's chromium driven by Playwright, and the app served live.

Debian's chromium is used instead of `playwright install`'s download, so the browser tests
need nothing beyond apt (scripts/system-deps.sh) and work without network access.
"""

from __future__ import annotations

import threading
from pathlib import Path

from playwright.sync_api import Browser, Playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: the tests run as root in CI, where chromium's sandbox refuses to start.
# The rest keep chromium from reaching out to Google or doing first-run work.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    """Launch Debian's chromium headless; close it with browser.close()."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class LiveServer:
    """Serve a WSGI app on a free 127.0.0.1 port in a background thread."""

    def __init__(self, app) -> None:
        # Port 0: the OS picks a free port, so parallel sessions never collide.
        # threaded: the browser opens several connections at once (page, css, js).
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # daemon: a test that forgets stop() must not keep the interpreter alive. A short poll
        # interval: stop() waits for the loop to look (by default every 0.5 s, each test).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def acknowledge_rights(page, publicity: str = "private") -> None:
    """受理前告知 on the case page (rule 15): the rights notice signed for, the parties'
    choice of public or private mediation. Acceptance waits for it."""
    page.check("#rights-acknowledged")
    page.select_option("#rights-publicity", publicity)
    page.click("form[action$='/rights-notice'] button[type=submit]")
    page.wait_for_load_state()


# Phone-sized pages: the doors, the desk, the calendar and referrals are used on phones.
PHONE_WIDTH, LAPTOP_WIDTH = 360, 1366


def fits(page) -> None:
    """Nothing sticks out sideways (a wide table scrolls inside its own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def snap(page, shots: Path, name: str) -> None:
    """The page fits the phone, and is kept as a picture to look at."""
    fits(page)
    page.screenshot(path=str(shots / f"{name}-360.png"), full_page=True)


def both_widths(page, shots: Path, name: str) -> None:
    """The page on a phone (it must fit) and on a laptop, both kept as pictures."""
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    snap(page, shots, name)
    page.set_viewport_size({"width": LAPTOP_WIDTH, "height": 900})
    page.screenshot(path=str(shots / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})


def phone(browser: Browser, live: LiveServer, username: str | None = None):
    """A phone-sized browser context, logged in as `username` when given."""
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 740}, locale="zh-CN", base_url=live.url
    )
    page = context.new_page()
    if username:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", "secret123")
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
    return context, page
