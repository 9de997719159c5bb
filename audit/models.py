"""An append-only log of what organizers and verifiers did (shown read-only in the admin)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLogQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused too (PostgreSQL also refuses them with a trigger)."""

    def update(self, **kwargs: object) -> int:
        raise ValueError("Audit log entries are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit log entries are append-only.")


class AuditLogEntry(models.Model):
    class Action(models.TextChoices):
        LIMIT_CHANGED = "limit_changed", "Limit changed"
        RESCORE = "rescore", "Re-score"
        VISIBILITY_CHANGED = "visibility_changed", "Visibility changed"
        FREEZE = "freeze", "Leaderboard frozen"
        GROUND_TRUTH_LOADED = "ground_truth_loaded", "Ground truth loaded"
        DISQUALIFIED = "disqualified", "Disqualified"
        VERIFICATION = "verification", "Verification step"
        CONTENT_CHANGED = "content_changed", "Content page edited"
        OTHER = "other", "Other"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=50, blank=True)
    summary = models.TextField()
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Audit log entries are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit log entries are append-only.")
