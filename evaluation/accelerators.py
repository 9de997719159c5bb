"""Optional C libraries that make decoding faster; everything works without them.

``deflate`` (libdeflate): one-shot inflate with a hard output size and fast CRC-32/Adler-32.
``pyspng`` (libspng): C unfiltering of PNG rows. Without them zlib, numpy and Pillow do the work.

>>> set(available()) <= {"deflate", "pyspng"}
True
"""

from __future__ import annotations

import importlib
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


def available() -> dict[str, str]:
    """Installed accelerators and their versions.

    Examples
    --------
    >>> isinstance(available(), dict)
    True
    """
    found = {"deflate": libdeflate, "pyspng": pyspng}
    return {name: str(getattr(module, "__version__", "?")) for name, module in found.items() if module is not None}
