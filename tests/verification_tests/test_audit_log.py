"""The audit log is append-only: the model, bulk queries and PostgreSQL itself refuse changes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditLogEntry
from audit.services import audit_record
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():  # type: ignore[no-untyped-def]
    return audit_record(
        actor=UserFactory(username="olga"), action=AuditLogEntry.Action.OTHER, summary="Did a thing.", x=1
    )


def test_entry_cannot_be_updated_or_deleted(entry):  # type: ignore[no-untyped-def]
    entry.summary = "Did another thing."
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry.objects.filter(pk=entry.pk).update(summary="changed")
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry.objects.all().delete()
    assert AuditLogEntry.objects.get(pk=entry.pk).summary == "Did a thing."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_database_refuses_raw_update_and_delete(entry):  # type: ignore[no-untyped-def]
    for sql in ("UPDATE audit_auditlogentry SET summary = 'x'", "DELETE FROM audit_auditlogentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditLogEntry.objects.get(pk=entry.pk).summary == "Did a thing."


def test_deleting_the_actor_keeps_the_entry(entry):  # type: ignore[no-untyped-def]
    entry.actor.delete()
    kept = AuditLogEntry.objects.get(pk=entry.pk)
    assert (kept.actor, kept.summary, kept.detail) == (None, "Did a thing.", {"x": 1})
