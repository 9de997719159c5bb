"""Optional libraries that make scoring faster; everything works without them.

``deflate`` (libdeflate): one-shot inflate with a hard output size and fast CRC-32/Adler-32.
``numba``: compiled loops for PNG unfiltering and the per-image counting (:mod:`evaluation.jit`),
imported on first use only, so a process that never scores (the web server) does not load it.
``pyspng`` (libspng): C unfiltering of PNG rows, used when numba is not installed. Without any of
them zlib, numpy and Pillow do the work. ``LID_SCORING_NO_JIT=1`` (or ``true``, ``yes``, ``on``)
in the environment switches numba off (to compare, or if its compiler misbehaves on some
machine); ``0``, ``false``, ``no``, ``off`` or empty leave it on.

>>> set(available()) <= {"deflate", "numba", "pyspng"}
True
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import warnings
import zlib
from collections.abc import Callable
from typing import Any


def _optional_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


libdeflate: Any = _optional_module("deflate")
pyspng: Any = _optional_module("pyspng")

crc32: Callable[..., int] = zlib.crc32 if libdeflate is None else libdeflate.crc32
adler32: Callable[..., int] = zlib.adler32 if libdeflate is None else libdeflate.adler32


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"", "0", "false", "no", "off", "n", "f"})


def jit_switched_off() -> bool:
    """Whether ``LID_SCORING_NO_JIT`` says yes (a boolean; an unknown value warns and counts as yes).

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("LID_SCORING_NO_JIT", None)
    >>> values = {}
    >>> for value in ("1", "TRUE", "0", "false", "off", ""):
    ...     os.environ["LID_SCORING_NO_JIT"] = value
    ...     values[value] = jit_switched_off()
    >>> values
    {'1': True, 'TRUE': True, '0': False, 'false': False, 'off': False, '': False}
    >>> _ = os.environ.pop("LID_SCORING_NO_JIT")
    >>> if saved is not None: os.environ["LID_SCORING_NO_JIT"] = saved
    """
    value = os.environ.get("LID_SCORING_NO_JIT", "").strip().lower()
    if value in _FALSE:
        return False
    if value not in _TRUE:
        warnings.warn(f"LID_SCORING_NO_JIT={value!r} is not a boolean; numba is switched off", stacklevel=2)
    return True


def _numba_version() -> str | None:
    if jit_switched_off():
        return None
    import importlib.metadata

    try:
        return importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return None


_prefer_built = True  # warm-up switches it off while it fills numba's own cache


def jit() -> Any:
    """The compiled kernels (:mod:`evaluation.jit`'s functions), or None without numba.

    The module ``warm-up`` built ahead of time (:mod:`evaluation.aot`) when there is one for this
    source and machine: it loads in a millisecond. Otherwise numba is imported the first time
    (about 0.6 s of CPU with its set-up), and the kernels compiled before are loaded from numba's
    cache.

    Examples
    --------
    >>> kernels = jit()
    >>> kernels is None or callable(kernels.unfilter_rows_into)
    True
    """
    return _kernels(_prefer_built)


@functools.cache
def _kernels(built: bool) -> Any:
    if jit_switched_off():
        return None
    if built:
        from evaluation import aot

        module = aot.load(numba_kernels)
        if module is not None:
            return module
    return numba_kernels()


@functools.cache
def numba_kernels() -> Any:
    """:mod:`evaluation.jit` compiled by numba on demand (None without numba).

    Examples
    --------
    >>> kernels = numba_kernels()
    >>> kernels is None or kernels.__name__
    'evaluation.jit'
    """
    if jit_switched_off() or importlib.util.find_spec("numba") is None:
        return None
    # numba's array functions look for scipy's BLAS when they load (on a kernel's first call); our
    # loops use no linear algebra, and importing scipy, when installed, cost 0.3 s of CPU in every
    # process. It is hidden while they load (numba's np.dot then needs scipy: we never call it).
    hidden = "scipy.linalg.cython_blas" not in sys.modules
    if hidden:
        sys.modules["scipy.linalg.cython_blas"] = None  # type: ignore[assignment]
    try:
        kernels = importlib.import_module("evaluation.jit")
        importlib.import_module("numba.np.arraymath")
        return kernels
    except Exception as error:  # numba cannot load (built for another numpy), or no cache folder is writable
        warnings.warn(f"scoring without numba's compiled loops: {error}", RuntimeWarning, stacklevel=2)
        return None
    finally:
        if hidden:
            del sys.modules["scipy.linalg.cython_blas"]


def load_kernels() -> None:
    """Load the compiled kernels into this process (no-op without numba).

    numba loads a kernel from its cache on the kernel's first call, and sets up its runtime then
    (0.15 s of CPU, in every process). A process that forks workers calls this first, so that
    they inherit the loaded code.

    Examples
    --------
    >>> load_kernels()
    """
    kernels = jit()
    if kernels is not None:
        call_kernels(kernels)


def call_kernels(kernels: Any) -> None:
    """Call the two per-image kernels once with the argument types of the scoring loop."""
    import numpy as np

    # the argument types of evaluation.scoring's calls (a store's mask bits are read-only bytes)
    rows = np.frombuffer(bytearray(b"\x00\x01"), np.uint8).reshape(1, 2)
    out = np.empty((1, 1), np.uint8)
    per_image = np.zeros((1, 256), np.int64)
    labels = np.ones(1, np.uint8)
    kernels.score_label_image(rows, out, labels, 2, -1, np.zeros((256, 256), np.int64), per_image[0], per_image[0])
    kernels.score_map_image(rows, out, np.frombuffer(b"\x80", np.uint8), np.zeros((1, 2, 256), np.int64)[0])


def available() -> dict[str, str]:
    """Installed accelerators and their versions (numba without importing it).

    Examples
    --------
    >>> isinstance(available(), dict)
    True
    """
    found = {"deflate": libdeflate, "pyspng": pyspng}
    versions = {name: str(getattr(module, "__version__", "?")) for name, module in found.items() if module is not None}
    numba_version = _numba_version()
    if numba_version is not None:
        versions["numba"] = numba_version
    return dict(sorted(versions.items()))
