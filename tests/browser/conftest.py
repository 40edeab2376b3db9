"""Browser tests: a real Chromium (Debian's, not a downloaded one) driven by Playwright against the app
served on a random local port.

Every test here is marked `browser`. When no Chromium is installed they are skipped, saying why.
One browser per session, a fresh context (cookies, storage) per test, and a fresh database per test
(the `app` fixture). Screenshots go to /tmp/planner-shots/ (never committed); a failing test also
leaves a FAILED-<test>.png there.
"""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHOTS = Path("/tmp/planner-shots")
PASSWORD = "pw-test-123"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


CHROMIUM = _chromium()


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`; skip them all, saying why, when Chromium is missing."""
    skip = pytest.mark.skip(reason="Chromium not found: apt-get install chromium") if CHROMIUM is None else None
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- the database and the live server -------------------------------------------------------------

@pytest.fixture()
def database_url(tmp_path):
    """A file SQLite database per test (never PostgreSQL here).

    The suite-wide default, in-memory SQLite with StaticPool, hands the *same* DB-API connection to
    every thread: the server's request threads and the test's own session would then share one
    transaction (one thread's commit or rollback ends another's work), and concurrent requests (the
    editor's live preview while a form posts) can collide — checked: eight threads of logged-in
    requests against "sqlite://" intermittently failed with "cannot commit - no transaction is active"
    and "no more rows available", and never against a file. A file with WAL gives each thread its own
    connection and real isolation, like production."""
    return f"sqlite:///{tmp_path / 'browser.db'}"


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture()
def live_server(app):
    """The test's app served on 127.0.0.1:<random port>, in a daemon thread; yields its base URL.
    BASE_URL is set to it so QR links and other absolute links point at this server."""
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    server.start()
    yield server.url
    server.stop()


# --- the browser ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


class Contexts:
    """Makes browser contexts for one test (desktop or phone) and closes them all afterwards."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.opened = []
        self.errors: list[str] = []

    def new(self, *, phone: bool = False):
        options = {"base_url": self.base_url, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        else:
            options.update(viewport=DESKTOP)
        ctx = self.browser.new_context(**options)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.set_default_navigation_timeout(TIMEOUT_MS)
        ctx.on("page", self._watch)
        self.opened.append(ctx)
        return ctx

    def new_page(self, *, phone: bool = False):
        return self.new(phone=phone).new_page()

    def _watch(self, page):
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self._console(page, msg))

    def _console(self, page, msg):
        if msg.type != "error":
            return
        if msg.text.startswith("Failed to load resource") and msg.location.get("url") == page.url:
            return  # the page itself answered 4xx on purpose (a test of an error page)
        self.errors.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")

    def close(self):
        for ctx in self.opened:
            ctx.close()


@pytest.fixture()
def contexts(request, browser, live_server):
    """contexts.new_page() / contexts.new_page(phone=True): pages in fresh contexts on the live server.
    A JavaScript error or console error on any page fails the test."""
    made = Contexts(browser, live_server)
    yield made
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for i, ctx in enumerate(made.opened):
            for j, page in enumerate(ctx.pages):
                page.screenshot(path=str(SHOTS / f"FAILED-{request.node.name}-{i}{j}.png"), full_page=True)
    errors = list(made.errors)
    made.close()
    assert not errors, "JavaScript errors in the browser:\n" + "\n".join(errors)


@pytest.fixture()
def page(contexts):
    """A desktop-sized page (1366×900) in a fresh context."""
    return contexts.new_page()


# --- helpers --------------------------------------------------------------------------------------

def shot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot to /tmp/planner-shots/<name>.png for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login_as(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would, and wait for the page after login."""
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def box_overflow(page, selector: str) -> int:
    """How many CSS pixels the content of the (first) element matching `selector` is wider than the element."""
    return page.locator(selector).first.evaluate("el => el.scrollWidth - el.clientWidth")


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than its viewport (<= 0 when nothing scrolls sideways)."""
    return page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")


A11Y_PROBLEMS_JS = """() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('field without a label: ' + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll('a, button')) {
    if (visible(el) && !(el.innerText || '').trim() && !el.getAttribute('aria-label') && !el.getAttribute('title'))
      problems.push('link/button without a name: ' + el.outerHTML.slice(0, 100));
  }
  for (const img of document.querySelectorAll('img:not([alt])')) problems.push('image without alt: ' + img.src);
  // A message body (.prose) is a document of its own whose Markdown may start at "# ": not the page's.
  const h1 = [...document.querySelectorAll('h1')].filter((h) => !h.closest('.prose')).length;
  if (h1 !== 1) problems.push(h1 + ' h1 headings');
  if (document.documentElement.lang !== 'vi') problems.push('html lang is not vi');
  if (!document.title.trim()) problems.push('no title');
  const over = document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth;
  if (over > 0) problems.push('the page scrolls sideways by ' + over + ' px');
  return problems;
}"""


def page_problems(page) -> list[str]:
    """What a person (or a screen reader) would trip over on the current page: unlabeled fields,
    nameless links/buttons, images without alt, not exactly one h1, missing lang/title, sideways scroll."""
    return page.evaluate(A11Y_PROBLEMS_JS)


def look(page, name: str, *, full_page: bool = True) -> None:
    """Screenshot the page for a person to look at, and fail on the problems page_problems finds."""
    shot(page, name, full_page=full_page)
    problems = page_problems(page)
    assert not problems, f"{name} ({page.url}):\n" + "\n".join(problems)
