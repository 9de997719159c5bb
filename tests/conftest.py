"""Fixtures shared by every test package."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(autouse=True)
def _media_and_ground_truth_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Every test writes uploads and ground truth into its own temporary folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GROUND_TRUTH_ROOT = tmp_path / "ground_truth"
    settings.GROUND_TRUTH_CACHE = tmp_path / "ground_truth_cache"
    settings.MEDIA_ROOT.mkdir()
    settings.GROUND_TRUTH_ROOT.mkdir()


# The session's one headless Chromium, for every app's browser tests (not only tests/browser/):
# Playwright's sync API runs one event loop per thread, so a second instance would fail.
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (`make chromium` installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
