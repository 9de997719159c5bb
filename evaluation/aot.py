"""The compiled kernels of :mod:`evaluation.jit`, built ahead of time into an extension module.

numba caches the machine code of the kernels on disk, but a new process still imports numba and
sets up its compiler before it can load that cache: about 0.6 s of CPU, a third of a track 1
command's wall time. ``python -m evaluation warm-up`` therefore also builds the same functions
with numba's ahead-of-time compiler (``numba.pycc``, which needs a C compiler) into an extension
module in numba's cache folder (``NUMBA_CACHE_DIR``, else ``evaluation/__pycache__``). A process
that finds the module built from the same source, for the same Python, numpy and CPU, imports it
in about a millisecond and never imports numba; otherwise :func:`evaluation.accelerators.jit`
loads numba as before. The machine code is numba's either way: same source, same compiler,
same numbers (the tests compare the routes).

The module's functions unpack their arrays without numba's type checks, so :class:`AotKernels`
checks each array's dtype, dimensions, contiguity and (for outputs) writability before the call,
and hands any other call to numba.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: What :func:`evaluation.jit.score_label_image` and :func:`evaluation.jit.score_map_image` return.
SCORED, BAD_FILTER, LABEL_TOO_LARGE, BAD_INPUT = 0, 1, 2, 3

# name -> (numba signature, the arrays' (dtype, ndim, written) in argument order; None: a scalar)
_U8, _I8 = np.dtype(np.uint8), np.dtype(np.int64)
_EXPORTS: dict[str, tuple[str, tuple[tuple[np.dtype[Any], int, bool] | None, ...]]] = {
    "unfilter_rows_into": ("b1(u1[:, ::1], u1[:, ::1])", ((_U8, 2, False), (_U8, 2, True))),
    "count_localization": ("b1(u1[::1], u1[::1], i8[:, ::1])", ((_U8, 1, False), (_U8, 1, False), (_I8, 2, True))),
    "count_label_runs": (
        "b1(u1[::1], u1[::1], i8, i8[:, ::1], i8[::1], i8[::1])",
        ((_U8, 1, False), (_U8, 1, False), None, (_I8, 2, True), (_I8, 1, True), (_I8, 1, True)),
    ),
    "score_label_image": (
        "i8(u1[:, ::1], u1[:, ::1], u1[::1], i8, i8, i8[:, ::1], i8[::1], i8[::1])",
        ((_U8, 2, False), (_U8, 2, True), (_U8, 1, False), None, None, (_I8, 2, True), (_I8, 1, True), (_I8, 1, True)),
    ),
    "score_map_image": (
        "i8(u1[:, ::1], u1[:, ::1], u1[::1], i8[:, ::1])",
        ((_U8, 2, False), (_U8, 2, True), (_U8, 1, False), (_I8, 2, True)),
    ),
}


def cache_folder() -> Path:
    """Where the module is built and looked for: numba's cache folder.

    Examples
    --------
    >>> cache_folder().name in ("__pycache__", Path(os.environ.get("NUMBA_CACHE_DIR", "x")).name)
    True
    """
    configured = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    return Path(configured) if configured else Path(__file__).with_name("__pycache__")


def _cpu() -> str | None:
    """The processor's model and instruction-set flags (Linux), or None where they are unknown."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            lines = handle.read(1 << 16).split("\n\n")[0].splitlines()
    except OSError:
        return None
    wanted = ("model name", "flags", "features", "cpu model", "isa")
    found = [line.split(":", 1)[1].strip() for line in lines if line.split(":", 1)[0].strip().lower() in wanted]
    return "|".join(found) if found else None


def module_name() -> str | None:
    """The module's name for this source, Python, numpy and CPU (None: the CPU is unknown).

    Examples
    --------
    >>> name = module_name()
    >>> name is None or name.startswith("lid_kernels_")
    True
    """
    cpu = _cpu()
    if cpu is None:
        return None
    digest = hashlib.sha256()
    for part in (Path(__file__).with_name("jit.py").read_bytes(), Path(__file__).read_bytes()):
        digest.update(part)
    for text in (sys.version, np.__version__, platform.machine(), cpu):
        digest.update(b"\x00" + text.encode("utf-8"))
    return f"lid_kernels_{digest.hexdigest()[:20]}"


def module_path() -> Path | None:
    """The module's file (which may not exist yet), or None where it cannot be used."""
    name = module_name()
    return None if name is None else cache_folder() / (name + importlib.machinery.EXTENSION_SUFFIXES[0])


class AotKernels:
    """The built module's functions under :mod:`evaluation.jit`'s names.

    Each call whose arrays have the types the module was built for (C-contiguous, the dtype and
    dimensions of its signature, writable where the kernel writes) goes to the module; any other
    call, and any other name, goes to :mod:`evaluation.jit` as ``numba()`` returns it (numba is
    imported then).

    Examples
    --------
    >>> kernels = load(lambda: None)
    >>> kernels is None or kernels.SCORED == SCORED
    True
    """

    SCORED, BAD_FILTER, LABEL_TOO_LARGE, BAD_INPUT = SCORED, BAD_FILTER, LABEL_TOO_LARGE, BAD_INPUT

    def __init__(self, module: Any, numba: Callable[[], Any]) -> None:
        self.module = module
        self._numba = numba
        for name, (_, arrays) in _EXPORTS.items():
            setattr(self, name, _dispatching(name, getattr(module, name), arrays, self._jit))

    def _jit(self) -> Any:
        kernels = self._numba()
        if kernels is None:
            raise RuntimeError("numba is needed for a call the built kernels do not cover")
        return kernels

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_numba":
            raise AttributeError(name)
        return getattr(self._jit(), name)


def _dispatching(
    name: str,
    built: Any,
    kinds: tuple[tuple[np.dtype[Any], int, bool] | None, ...],
    jit: Callable[[], Any],
) -> Any:
    def call(*args: Any) -> Any:
        if len(args) == len(kinds):
            for value, kind in zip(args, kinds, strict=True):
                if kind is None:
                    if not isinstance(value, int | np.integer):
                        break
                elif not (
                    isinstance(value, np.ndarray)
                    and value.dtype == kind[0]
                    and value.ndim == kind[1]
                    and value.flags.c_contiguous
                    and (value.flags.writeable or not kind[2])
                ):
                    break
            else:
                return built(*args)
        return getattr(jit(), name)(*args)

    call.__name__ = name
    return call


def load(numba: Callable[[], Any]) -> AotKernels | None:
    """The built module of this source and machine, or None if there is none (or it does not load).

    ``numba`` returns :mod:`evaluation.jit` (or None), for the calls the module does not cover.
    """
    path = module_path()
    if path is None or not path.is_file():
        return None
    name = path.name.split(".", 1)[0]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (ImportError, OSError):
        return None
    return AotKernels(module, numba)


def build(kernels: Any) -> Path:
    """Build the module of ``kernels`` (:mod:`evaluation.jit`) with ``numba.pycc`` (a C compiler is
    needed); a module already built for this source and machine is kept.

    Returns
    -------
    pathlib.Path
        The module's file.

    Raises
    ------
    RuntimeError
        With the reason, when it cannot be built (no C compiler, an unknown CPU, ...).
    """
    path = module_path()
    if path is None:
        raise RuntimeError("this machine's CPU model cannot be read (no /proc/cpuinfo)")
    if path.is_file():
        return path
    import importlib
    import warnings

    try:
        pycc: Any = importlib.import_module("numba.pycc")  # needs distutils or setuptools
    except ImportError as error:
        raise RuntimeError(f"numba.pycc cannot be imported ({error})") from None
    name = path.name.split(".", 1)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".building-") as building:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numba.pycc's pending-deprecation notice
                compiler = pycc.CC(name)  # refuses at once when no C compiler is found
                compiler.output_dir = building
                compiler.target_cpu = "host"  # as numba's own cache: this machine's instruction set
                for function, (signature, _) in _EXPORTS.items():
                    compiler.export(function, signature)(getattr(kernels, function).py_func)
                compiler.compile()
        except Exception as error:  # distutils' CompileError, a missing compiler, ...
            raise RuntimeError(f"numba.pycc could not build the kernels ({type(error).__name__}: {error})") from None
        built = [entry for entry in Path(building).iterdir() if entry.name.startswith(name + ".")]
        if len(built) != 1:
            raise RuntimeError(f"numba.pycc did not write {path.name}")
        os.replace(built[0], path)
    return path
