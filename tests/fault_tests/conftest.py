"""Fixtures of the fault tests: a private broker and real workers on it (tests/support/workers.py),
and a private PostgreSQL cluster with an empty database ``lid`` (``cluster``)."""

from collections.abc import Iterator

import psycopg2
import pytest

from tests.support import harness
from tests.support.workers import private_broker, start_beat, start_worker  # noqa: F401 - fixtures


@pytest.fixture
def cluster() -> Iterator[harness.PrivatePostgres]:
    """A private PostgreSQL cluster (its own port and folder) holding an empty database ``lid``;
    skips the test where a cluster cannot be created."""
    server = harness.PrivatePostgres()
    try:
        server.init()
    except RuntimeError as error:
        server.cleanup()
        pytest.skip(f"a private PostgreSQL cluster could not be created here: {error}")
    server.start()
    conn = psycopg2.connect(server.url("postgres"))
    conn.autocommit = True
    conn.cursor().execute("create database lid")
    conn.close()
    yield server
    server.cleanup()
