"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_and_ground_truth_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Every test writes uploads and ground truth into its own temporary folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GROUND_TRUTH_ROOT = tmp_path / "ground_truth"
    settings.MEDIA_ROOT.mkdir()
    settings.GROUND_TRUTH_ROOT.mkdir()
