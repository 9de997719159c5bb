"""Fixtures of the leaderboard tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _empty_memo():  # type: ignore[no-untyped-def]
    """Board pages remember phases, versions and bodies per process (leaderboard.memo): start empty."""
    from leaderboard import memo

    memo.clear()
    yield
    memo.clear()
