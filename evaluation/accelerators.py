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
import importlib.metadata
import os
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
    try:
        return importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def jit() -> Any:
    """The module of compiled kernels, :mod:`evaluation.jit`, or None without numba.

    Imports numba the first time it is called (a few tenths of a second); kernels compiled
    before are loaded from numba's cache.

    Examples
    --------
    >>> kernels = jit()
    >>> kernels is None or callable(kernels.unfilter_rows_into)
    True
    """
    if _numba_version() is None:
        return None
    try:
        return importlib.import_module("evaluation.jit")
    except Exception as error:  # numba cannot load (built for another numpy), or no cache folder is writable
        warnings.warn(f"scoring without numba's compiled loops: {error}", RuntimeWarning, stacklevel=2)
        return None


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
