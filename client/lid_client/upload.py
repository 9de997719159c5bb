"""A multipart/form-data body that streams the archive from disk and reports progress as it is read.

``requests`` sends any object with ``read`` and ``__len__`` as a streamed body with a
``Content-Length`` (the server's WSGI stack needs one), so the archive is never held in memory.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

ProgressCallback = Callable[[int, int], None]


class MultipartFile:
    """Form fields, then one file part, read lazily in order; ``len()`` is the exact body size."""

    def __init__(
        self, fields: dict[str, str], file_field: str, path: Path, progress: ProgressCallback | None = None
    ) -> None:
        self.boundary = f"lid-{uuid.uuid4().hex}"
        self.path = path
        self.progress = progress
        head = b"".join(self._field(name, value) for name, value in fields.items())
        head += (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{file_field}"; filename="{_quote(path.name)}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._file_size = os.path.getsize(path)
        self._length = len(head) + self._file_size + len(self._tail)
        self._sent = 0
        self._parts = self._chunks()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(64 * 1024):
            yield chunk

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._length
        while len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self._sent += len(out)
        if self.progress is not None and out:
            self.progress(self._sent, self._length)
        return out

    def _field(self, name: str, value: str) -> bytes:
        return (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()

    def _chunks(self) -> Iterator[bytes]:
        yield self._head
        with open(self.path, "rb") as handle:
            while chunk := handle.read(256 * 1024):
                yield chunk
        yield self._tail


def _quote(name: str) -> str:
    return name.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")


class ProgressBar:
    """``Uploading name  [#####-----]  42%  12.3/29.0 MB`` on stderr, redrawn in place on a terminal.

    Off a terminal (CI logs) it prints one line at the end instead of hundreds of carriage returns.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and (not self.interactive or now - self._last_draw < 0.1):
            return
        self._last_draw = now
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"Uploading {self.label}  [{bar}] {fraction:4.0%}  {_mb(done)}/{_mb(total)} MB"
        if self.interactive:
            end = "\n" if done >= total else ""
            self.stream.write("\r" + line + end)
        elif done >= total:
            seconds = max(now - self._started, 1e-6)
            self.stream.write(f"Uploaded {self.label}: {_mb(total)} MB in {seconds:.1f} s.\n")
        self.stream.flush()


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"


def open_upload(fields: dict[str, str], path: Path, *, quiet: bool = False) -> MultipartFile:
    progress = None if quiet else ProgressBar(path.name)
    return MultipartFile(fields, "archive", path, progress)
