"""What ``/healthz`` checks: the database and the broker, each with a cheap probe, cached a second.

A health check that answered "ok" with PostgreSQL down sent traffic to a server that could only fail
(issue 13, finding 5). The probes are a ``SELECT 1`` on the default connection and a Redis ``PING``
with one-second timeouts; the answer is kept for ``CACHE_SECONDS`` per process so a load balancer
polling fast costs no more than one probe a second.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

CACHE_SECONDS = 1.0
_lock = threading.Lock()
_cached: tuple[float, tuple[str, ...]] = (0.0, ())


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure to reach or ask the database means "down"
        connection.close()  # a broken connection is not reused by the next request
        return False


def _broker_ok() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # the demo runs tasks in-process: no broker to reach
        return True
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return True  # only Redis brokers are deployed (docker-compose.yml); others are not probed
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # refused, timed out, authentication: the broker is not usable
        return False


def failed_services(*, now: float | None = None) -> tuple[str, ...]:
    """The names of the services that failed their probe ("database", "broker"); empty when healthy."""
    global _cached
    now = time.monotonic() if now is None else now
    with _lock:
        checked_at, failed = _cached
        if now - checked_at < CACHE_SECONDS and checked_at:
            return failed
        failed = tuple(name for name, ok in (("database", _database_ok()), ("broker", _broker_ok())) if not ok)
        _cached = (now, failed)
        return failed
