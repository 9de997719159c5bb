"""The way a challenge host usually writes scoring: extract, decode with Pillow, count per image.

Used only to show what the scoring core saves; run on a subset and extrapolated.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def naive_seconds(track: int, gt_dir: Path, pred_zip: Path, names: list[str]) -> float:
    """Seconds to score ``names`` the naive way (extraction of those members included)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(pred_zip) as archive:
        members = {Path(n).stem: n for n in archive.namelist() if n.endswith(".png")}
        for name in names:
            archive.extract(members[name], tmp)
        if track == 3:
            curve_sum = np.zeros(256)
            for name in names:
                gt = np.array(Image.open(gt_dir / f"{name}.png")) != 0
                score_map = np.array(Image.open(Path(tmp) / members[name]))
                for t in range(256):
                    foreground = score_map >= t
                    union = np.logical_or(foreground, gt).sum()
                    curve_sum[t] += np.logical_and(foreground, gt).sum() / union if union else 1.0
        else:
            size = 201 if track == 1 else 151
            confusion = np.zeros((size, size), np.int64)
            for name in names:
                gt = np.array(Image.open(gt_dir / f"{name}.png")).astype(np.int64)
                pred = np.array(Image.open(Path(tmp) / members[name])).astype(np.int64)
                valid = gt != (255 if track == 1 else 0)
                confusion += np.bincount(gt[valid] * size + pred[valid], minlength=size * size).reshape(size, size)
    return time.perf_counter() - started
