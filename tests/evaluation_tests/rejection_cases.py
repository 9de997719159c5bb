"""What the rejection tests share: a tiny track 1 ground truth, good predictions, and `refused`."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from evaluation import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    SubmissionFormatError,
    score_archive,
)
from evaluation.errors import ERROR_CODES

from .builders import Entry, pillow_png

SHAPES = {"img_a": (6, 8), "img_b": (5, 7), "img_c": (4, 4)}


def good_members(prefix: str = "") -> dict[str, bytes]:
    return {f"{prefix}{name}.png": pillow_png(np.ones(shape, np.uint8)) for name, shape in SHAPES.items()}


def write(tmp_path: Path, content: bytes | dict[str, bytes]) -> Path:
    path = tmp_path / "pred.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def refused(
    gt_dir: Path, path: Path, code: str, *fragments: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> SubmissionFormatError:
    """Score ``path``; it must be refused with ``code`` and a message holding every fragment."""
    with pytest.raises(SubmissionFormatError) as caught:
        score_archive(1, gt_dir, path, limits=limits)
    error = caught.value
    assert error.code == code, error.message
    assert error.code in ERROR_CODES
    assert str(error) == error.message and error.message.endswith((".", ")"))
    for fragment in fragments:
        assert fragment in error.message, error.message
    return error


def entries_for(content: dict[str, bytes], **overrides: object) -> list[Entry]:
    return [Entry(name, data, method=8) for name, data in content.items()]
