"""Pointing this test process's Celery app at a broker (the fault tests' private Redis, the shared one)."""

from __future__ import annotations

import os
from collections.abc import Callable

import kombu.pools


def point_celery_at(url: str) -> Callable[[], None]:
    """Send this process's tasks to ``url``; returns the undo. Only the cached pools are reset.

    Celery reads CELERY_BROKER_URL from the environment before its configuration, so both change.
    """
    from lidserver.celery import app

    old_env, old_conf = os.environ.get("CELERY_BROKER_URL"), app.conf.broker_url

    def switch(to: str, env: str | None) -> None:
        # Celery's pools live in kombu's global registries, keyed by broker URL: closing one and
        # keeping the registry entry would leave a closed pool for the next test on that URL
        # ("Acquire on closed pool"). reset() closes every pool and empties the registries.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        if env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = env
        app.conf.broker_url = to
        app.conf.broker_write_url = to
        app.conf.broker_read_url = to

    switch(url, url)
    return lambda: switch(old_conf, old_env)
