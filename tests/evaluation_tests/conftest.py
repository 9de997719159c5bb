"""The scoring core's tests need no database and no Django settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation import accelerators

from .rejection_cases import SHAPES


@pytest.fixture(autouse=True)
def _media_and_ground_truth_in_tmp() -> None:
    """Overrides the project-wide fixture: these tests never touch Django settings."""


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Overrides the project-wide fixture: these tests never touch Django settings."""


@pytest.fixture(params=["compiled", "numpy"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test on both routes: numba's compiled loops, and numpy with libspng."""
    if request.param == "numpy":
        monkeypatch.setattr(accelerators, "jit", lambda: None)
    else:
        assert accelerators.jit() is not None, "numba is in requirements.txt: the compiled route must be tested"
    return str(request.param)


@pytest.fixture()
def gt_dir(tmp_path: Path) -> Path:
    """A tiny track 1 ground truth: three images of different sizes, background, one class, 255."""
    folder = tmp_path / "gt"
    folder.mkdir()
    for i, (name, shape) in enumerate(SHAPES.items()):
        labels = np.full(shape, i + 1, np.uint8)
        labels[0, :] = 0
        labels[-1, -1] = 255
        Image.fromarray(labels).save(folder / f"{name}.png")
    return folder
