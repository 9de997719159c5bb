"""Fixtures shared by every test package."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def _tier_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("longest"):
        return -1
    if item.get_closest_marker("slow") or item.get_closest_marker("integration"):
        db = item.get_closest_marker("django_db")
        commits = "transactional_db" in getattr(item, "fixturenames", ()) or (
            db is not None and db.kwargs.get("transaction")
        )
        # Tests whose rows other processes must see (a worker, a server) or without a database
        # start real processes and wait on them: they are the long ones.
        return 1 if db is not None and not commits else 0
    return 2 if item.get_closest_marker("browser") else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first: those marked ``longest`` (they wait for a lease to expire), the slow and
    integration tiers (those that start real processes before those in a transaction), then the
    browser tier, then the rest.

    `make test` runs every tier in one pytest-xdist run (``--dist loadgroup``), which hands tests out
    in this order: the long ones (which mostly wait on their subprocesses) start at once, and the
    many short ones fill the workers at the end. The sort is stable: within a rank the order stays
    pytest-django's, then the collected one.
    """
    items.sort(key=_tier_rank)


@pytest.fixture(autouse=True)
def _media_and_ground_truth_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Every test writes uploads and ground truth into its own temporary folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GROUND_TRUTH_ROOT = tmp_path / "ground_truth"
    settings.GROUND_TRUTH_CACHE = tmp_path / "ground_truth_cache"
    settings.MEDIA_ROOT.mkdir()
    settings.GROUND_TRUTH_ROOT.mkdir()


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete() -> Iterator[None]:
    """After a transactional test, the tables are emptied by DELETE, not TRUNCATE (tests/support/flush.py)."""
    from tests.support import flush

    flush.install()
    yield
    flush.uninstall()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Every factory user and sign-up is hashed with MD5, not PBKDF2's million rounds (a quarter of
    the plain tier's CPU time): no test is about the hasher. A process a test starts (a worker,
    gunicorn) keeps Django's hashers; tests log in there with a session or a token."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
