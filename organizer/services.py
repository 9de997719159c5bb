"""Organizer actions in the admin that must leave a trace: visibility and limit changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Phase
from leaderboard.services import leaderboard_refresh
from submissions.models import Submission

LIMIT_FIELDS = ("max_submissions", "max_submissions_per_day", "max_rejected_per_day")
VISIBILITY_FIELDS = ("leaderboard_public_before_deadline",)


def submission_set_hidden(*, submission: Submission, hidden: bool, actor: Any) -> bool:
    """Hide or show a submission on the leaderboards; False when it already was so."""
    with transaction.atomic():
        sub = Submission.objects.select_for_update().select_related("phase", "team").get(pk=submission.pk)
        if sub.hidden == hidden:
            return False
        sub.hidden = hidden
        sub.save(update_fields=["hidden"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.VISIBILITY_CHANGED,
            summary=f"{'Hid' if hidden else 'Showed'} submission {sub.pk} of {sub.team} in {sub.phase}.",
            target=sub,
            field="hidden",
            old=not hidden,
            new=hidden,
        )
        leaderboard_refresh(phase=sub.phase)
    return True


def phase_audit_changes(*, before: Phase | None, after: Phase, actor: Any) -> list[AuditLogEntry]:
    """Audit entries for limit and visibility changes between two states of a phase (admin save)."""
    if before is None:
        return []
    entries = []
    for fields, action, what in (
        (LIMIT_FIELDS, AuditLogEntry.Action.LIMIT_CHANGED, "limits"),
        (VISIBILITY_FIELDS, AuditLogEntry.Action.VISIBILITY_CHANGED, "leaderboard visibility"),
    ):
        changed = {
            f: {"old": getattr(before, f), "new": getattr(after, f)}
            for f in fields
            if getattr(before, f) != getattr(after, f)
        }
        if changed:
            words = ", ".join(f"{f} {c['old']} -> {c['new']}" for f, c in changed.items())
            entries.append(
                audit_record(
                    actor=actor,
                    action=action,
                    summary=f"Changed the {what} of {after}: {words}.",
                    target=after,
                    **changed,
                )
            )
    return entries
