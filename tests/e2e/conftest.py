"""The web console in headless Chromium (Debian's, /usr/bin/chromium: `make chromium`) driven by
Playwright, against the session's local stack (tests/conftest.py `stack`): the browser talks to
the API's own /console/ and /v1, exactly as an officer's would.

Each person gets a browser context of their own (their own sessionStorage, so their own token),
sized like a treasury counter's laptop. Screens are saved to build/e2e-screenshots/NN-name.png.
"""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

from chalicelib import clock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KBNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "build" / "e2e-screenshots"
LAPTOP = {"width": 1366, "height": 768}
# The machine is slow and the workflow asynchronous: generous, but each wait says what it awaited.
TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's Chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def console_url(stack) -> str:
    return f"{stack.api_url}/console/"


class Screens:
    """Numbered screenshots of the session, in the order they are taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []
        self._numbers = itertools.count(1)

    def save(self, page, name: str) -> Path:
        path = self.folder / f"{next(self._numbers):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture(scope="session")
def screens() -> Screens:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return Screens(SCREENSHOTS)


@pytest.fixture
def person(browser, console_url):
    """person("ketoan.cva") -> a page of a fresh context, signed in through the sign-in screen."""
    contexts = []

    def open_as(username: str | None, *, password: str = "Demo-only-2026"):
        context = browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        context.set_default_timeout(TIMEOUT_MS)
        # The console judges "late" and picks default periods by the browser's clock: it runs on
        # the product's (chalicelib/clock.py), as a counter PC's clock agrees with the server's.
        context.clock.install(time=clock.now())
        contexts.append(context)
        page = context.new_page()
        page.goto(console_url)
        page.wait_for_selector('[data-view="sign-in"]')
        if username:
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill(password)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_selector('[data-view]:not([data-view="sign-in"])')
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def signing_helper(stack, pki_dir):
    """`python -m signtool serve` for unit 1012345's two signers, as on the unit's computer."""
    from devstack.signing import demo_signing_helper
    helper = demo_signing_helper(pki_dir, [stack.api_url], log=lambda line: None)
    yield helper
    helper.stop()
