"""Fixtures of the fault tests: a private broker and real workers on it (tests/support/workers.py)."""

from tests.support.workers import private_broker, start_beat, start_worker  # noqa: F401 - fixtures
