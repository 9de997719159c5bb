"""Warming up the scoring core: score tiny synthetic data once on every track.

A separate module from :mod:`evaluation.accelerators`, which the scoring modules import: warming
up imports them in turn, and keeping it here leaves no import cycle inside the package.
"""

from __future__ import annotations

import os
import tempfile

from evaluation import accelerators, aot
from evaluation.gt_pack import pack_ground_truth
from evaluation.scoring import score_archive
from evaluation.synth import make_synthetic


def warm_up() -> list[str]:
    """Compile the kernels into numba's cache by scoring a tiny synthetic set per track, then build
    them ahead of time (:mod:`evaluation.aot`), which spares every later process numba's start-up.

    A container image runs this once at build time, so that no submission waits for the compiler.

    Returns
    -------
    list of str
        What was done: one line per track, and one for the ahead-of-time module.

    Examples
    --------
    >>> len(warm_up())
    4
    """
    done = []
    saved = accelerators._prefer_built
    accelerators._prefer_built = False  # numba's own cache first: the fallback must be compiled too
    try:
        with tempfile.TemporaryDirectory() as folder:
            for track in (1, 2, 3):
                made = make_synthetic(track, 2, os.path.join(folder, str(track)), seed=0, alternative=False)
                assert made.pred_zip is not None
                store = pack_ground_truth(track, made.gt_dir, os.path.join(folder, f"store{track}")).path
                for truth in (made.gt_dir, store):  # a store's arrays are read-only: numba compiles those apart
                    score_archive(track, truth, made.pred_zip)
                done.append(f"track {track}: scored with {'compiled loops' if accelerators.jit() else 'numpy'}")
    finally:
        accelerators._prefer_built = saved
    kernels = accelerators.numba_kernels()
    if kernels is None:
        done.append("ahead-of-time kernels: not built (numba is not installed or switched off)")
        return done
    try:
        done.append(f"ahead-of-time kernels: {aot.build(kernels)}")
    except RuntimeError as error:
        done.append(f"ahead-of-time kernels: not built, each scoring process loads numba instead ({error})")
    return done
