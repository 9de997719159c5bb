"""Emptying the test database after a transactional test by DELETE, not TRUNCATE.

pytest-django empties the database after every test that commits (``transaction=True``, the
tests with a real worker, server or browser) with Django's ``flush``, which PostgreSQL runs as one
``TRUNCATE`` of every table: about 0.5 s each time, since TRUNCATE makes new files for each of the
60-odd tables and their indexes. A test leaves a few rows in a few tables, which ``DELETE`` removes
in milliseconds. The end is the same: every table empty, sequences left as they are (as TRUNCATE
without RESTART IDENTITY leaves them). Django's foreign keys are deferred, so the order of the
DELETEs does not matter within the flush's one transaction; a table with triggers of its own (the
audit log refuses DELETE) has them switched off for its DELETE only, by its owner, the test user.
A flush that resets sequences or cascades is left to Django.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.operations import DatabaseOperations

_truncate = DatabaseOperations.sql_flush


def sql_flush_by_delete(
    self: DatabaseOperations,
    style: Any,
    tables: list[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    if reset_sequences or allow_cascade or not tables:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    with self.connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
        with_triggers = {name for (name,) in cursor.fetchall()}
    sql = []
    for table in tables:
        quoted = self.quote_name(table)
        if table in with_triggers:
            sql += [f"ALTER TABLE {quoted} DISABLE TRIGGER USER", f"DELETE FROM {quoted}"]
            sql.append(f"ALTER TABLE {quoted} ENABLE TRIGGER USER")
        else:
            sql.append(f"DELETE FROM {quoted}")
    return sql


def install() -> None:
    DatabaseOperations.sql_flush = sql_flush_by_delete  # type: ignore[method-assign]


def uninstall() -> None:
    DatabaseOperations.sql_flush = _truncate  # type: ignore[method-assign]
