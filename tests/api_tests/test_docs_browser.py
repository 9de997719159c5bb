"""Headless Chromium opens /api/docs/ with every other host blocked and sees the API's operations."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in the test's thread


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_operations_offline(live_server: Any, browser: Any) -> None:
    own_host = urlsplit(live_server.url).netloc
    blocked: list[str] = []

    def only_own_host(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", only_own_host)
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".opblock", timeout=8_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
    finally:
        context.close()
    assert blocked == []
    assert "/api/auth/token/" in paths
    assert any(p.endswith("/submissions/") for p in paths)
