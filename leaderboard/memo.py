"""Per-process memory of hot board data: phases, board versions and rendered bodies.

Django's local-memory cache pickles every value on each get; a board read is a handful of
dictionary look-ups instead. Each gunicorn worker has its own memory, like the local-memory cache;
entries expire after a few seconds (versions after one), so workers agree within that time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

MAX_ENTRIES = 512
_store: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def get(key: str) -> Any:
    item = _store.get(key)
    if item is None or item[0] < time.monotonic():
        return None
    return item[1]


def put(key: str, value: Any, seconds: float) -> Any:
    now = time.monotonic()
    with _lock:
        if len(_store) >= MAX_ENTRIES:
            for stale in [k for k, (expires, _) in _store.items() if expires < now]:
                del _store[stale]
            if len(_store) >= MAX_ENTRIES:
                _store.clear()
        _store[key] = (now + seconds, value)
    return value


def forget(*keys: str) -> None:
    with _lock:
        for key in keys:
            _store.pop(key, None)


def clear() -> None:
    with _lock:
        _store.clear()
