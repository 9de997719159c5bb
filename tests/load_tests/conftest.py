"""The load tests use the fault tests' private broker and real workers."""

from tests.support.workers import private_broker, start_worker  # noqa: F401 - fixtures
