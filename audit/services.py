"""Writing to the audit log: every organizer and verifier action worth keeping goes through here."""

from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditLogEntry


def audit_record(
    *, actor: Any, action: str, summary: str, target: models.Model | None = None, **detail: Any
) -> AuditLogEntry:
    """Append one entry; ``target`` is any model instance the action was about."""
    return AuditLogEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary,
        detail=detail,
    )
