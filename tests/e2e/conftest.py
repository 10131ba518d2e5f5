"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium package is missing: run bin/setup"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A fresh phone-sized page whose relative URLs go to the live server."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号码").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_BLOCKING = {"serious", "critical"}
NOT_PAGES = (".pdf", ".zip", "/download/", "/booklet.pdf")


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page (evaluated by the browser's devtools, so the page's CSP allows it)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary)}))"""
    )


def audit_context(context, urls, base: str) -> list[str]:
    """Visit again, as the same signed-in person, every page the journey reached, and run axe."""
    from playwright.sync_api import Error as PlaywrightError

    problems = []
    page = context.new_page()
    try:
        for url in dict.fromkeys(urls):
            if not url.startswith(base) or url.split("?")[0].endswith(NOT_PAGES):
                continue
            try:
                response = page.goto(url)
            except PlaywrightError:  # an answer to a form's POST (GET is 405 there): seen when it was visited
                continue
            if response is None or not response.ok:
                continue
            # On a phone the browser zooms a too-wide page out (innerWidth grows with it): compare with the screen.
            screen, wide = page.viewport_size["width"], page.evaluate("document.documentElement.scrollWidth")
            if screen < 600 and wide > screen + 1:  # wide tables scroll inside their box, never the page
                problems.append(f"{url[len(base) :]}: the page is {wide} px wide on a {screen} px screen")
            for violation in axe_violations(page):
                if violation["impact"] in AXE_BLOCKING:
                    problems.append(f"{url[len(base):]}: {violation['impact']} {violation['id']} "
                                    f"({violation['help']}) {violation['nodes']}")  # fmt: skip
    finally:
        page.close()
    return problems


@pytest.fixture(autouse=True)
def accessibility_and_policy_audit(monkeypatch, request):
    """Every page a journey visits: no serious or critical axe violation, no CSP refusal, no page wider than a phone.

    Each browser context records the pages its tabs navigate to; when the context closes, the
    pages are opened again in it (same cookies, same person) and audited with axe-core.
    Refusals of the content security policy are collected as they happen, from the console.
    """
    from playwright.sync_api import Browser, BrowserContext

    if "live_server" not in request.fixturenames:
        yield
        return
    base = request.getfixturevalue("live_server").url
    problems: list[str] = []
    new_context, close = Browser.new_context, BrowserContext.close

    def recording_new_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        context.lms_visited = []

        def watch(page):
            def record(frame):
                if frame.parent_frame is None:
                    context.lms_visited.append(frame.url)

            page.on("framenavigated", record)
            page.on(
                "console",
                lambda message: (
                    "Content Security Policy" in message.text
                    and problems.append(f"CSP refusal on {page.url}: {message.text}")
                ),
            )

        context.on("page", watch)
        return context

    def auditing_close(self, *args, **kwargs):
        visited, self.lms_visited = getattr(self, "lms_visited", []), []
        if visited:
            problems.extend(audit_context(self, visited, base))
        return close(self, *args, **kwargs)

    monkeypatch.setattr(Browser, "new_context", recording_new_context)
    monkeypatch.setattr(BrowserContext, "close", auditing_close)
    yield
    assert not problems, "Accessibility or CSP problems on pages the journey visited:\n" + "\n".join(problems)
