"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against
pytest-django's ``live_server``.

Shared fixtures for every app's browser tests:

- ``browser`` (defined in tests/conftest.py, for every app's browser tests): one Chromium per test
  session (nothing is downloaded; skipped when not installed).
- ``browser_page``: a fresh context and page per test; ``browser_page.console_errors`` lists the
  page's JavaScript errors and ``browser_page.failed_responses`` its HTTP answers >= 400 (but
  /favicon.ico), so a test can assert there were none.
- ``site``: a :class:`LiveSite` bound to ``live_server`` and the page, with ``url(path)``,
  ``goto(path)`` and ``login(username, password)``.
- ``celery_eager``: tasks run in-process (in the live server's request thread), as in the demo.
- ``ARTIFACTS``: where screenshots go (``tests/browser/artifacts/``, ignored by git).

Mark browser tests ``@pytest.mark.browser`` and ``@pytest.mark.django_db(transaction=True)``: the
live server runs in another thread and sees only committed data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls made
# by the test itself (SynchronousOnlyOperation) although they are synchronous. The test owns the thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAGE_TIMEOUT_MS = 20_000


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.failed_responses = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))  # type: ignore[attr-defined]
    page.on("console", lambda message: _console_error(page, message))
    page.on("response", lambda response: _failed_response(page, response))
    yield page
    context.close()


def _console_error(page: Any, message: Any) -> None:
    # A failed HTTP request is logged by Chromium too; those are in ``failed_responses`` instead,
    # since some are expected (an API error the page shows).
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.console_errors.append(message.text)


def _failed_response(page: Any, response: Any) -> None:
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        page.failed_responses.append((response.status, response.url))


@dataclass
class LiveSite:
    """The live server as seen from one browser page."""

    base_url: str
    page: Any

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def goto(self, path: str) -> Any:
        return self.page.goto(self.url(path))

    def login(self, username: str, password: str) -> None:
        """Log in through the real login form and wait until the site has accepted it."""
        from django.urls import reverse

        login_path = reverse("accounts:login")
        self.goto(login_path)
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("form [type=submit]")
        assert login_path not in self.page.url, f"login as {username} failed"


@pytest.fixture
def site(live_server: Any, browser_page: Any) -> LiveSite:
    return LiveSite(base_url=live_server.url, page=browser_page)


@pytest.fixture
def celery_eager(settings: Any) -> Iterator[None]:
    """Tasks run where they are sent (the live server's thread), like ``make demo``."""
    from lidserver.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the Celery app read its configuration once already
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
