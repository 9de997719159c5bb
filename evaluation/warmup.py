"""Warming up the scoring core: score tiny synthetic data once on every track.

A separate module from :mod:`evaluation.accelerators`, which the scoring modules import: warming
up imports them in turn, and keeping it here leaves no import cycle inside the package.
"""

from __future__ import annotations

import os
import tempfile

from evaluation import accelerators
from evaluation.gt_pack import pack_ground_truth
from evaluation.scoring import score_archive
from evaluation.synth import make_synthetic


def warm_up() -> list[str]:
    """Compile (or load from numba's cache) the kernels by scoring a tiny synthetic set per track.

    A container image runs this once at build time, so that no submission waits for the compiler.

    Returns
    -------
    list of str
        What was done, one line per track.

    Examples
    --------
    >>> len(warm_up())
    3
    """
    done = []
    with tempfile.TemporaryDirectory() as folder:
        for track in (1, 2, 3):
            made = make_synthetic(track, 2, os.path.join(folder, str(track)), seed=0, alternative=False)
            assert made.pred_zip is not None
            store = pack_ground_truth(track, made.gt_dir, os.path.join(folder, f"store{track}")).path
            for truth in (made.gt_dir, store):  # a store's arrays are read-only: numba compiles those apart
                score_archive(track, truth, made.pred_zip)
            done.append(f"track {track}: scored with {'compiled loops' if accelerators.jit() else 'numpy'}")
    return done
