"""Re-scoring runs: new scores computed and previewed (rank changes) before an organizer publishes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RescoreRun(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Scoring"
        READY = "ready", "Preview ready"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    scope = models.CharField(max_length=200, help_text="What was re-scored, in words.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Per phase and board: [{"team", "team_id", "old_rank", "old_score", "new_rank", "new_score"}].
    rank_changes = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why computing the preview failed (staff only).")
    # Claimed like a submission: attempts counted, the claim renewed after each item scored.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "re-score run"

    def __str__(self) -> str:
        return f"Re-score run {self.pk}: {self.scope} ({self.state})"


class RescoreItem(models.Model):
    """One submission's score before and after the re-score; ``new_*`` are applied on publish."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE, related_name="+")
    old_score = models.FloatField(null=True, blank=True)
    old_scorer_version = models.CharField(max_length=20, blank=True)
    old_ground_truth_checksum = models.CharField(max_length=64, blank=True)
    new_score = models.FloatField(null=True, blank=True)
    new_metrics = models.JSONField(null=True, blank=True)
    new_per_class = models.JSONField(null=True, blank=True)
    new_curve = models.JSONField(null=True, blank=True)
    new_diagnosis = models.JSONField(null=True, blank=True)
    new_ci_low = models.FloatField(null=True, blank=True)
    new_ci_high = models.FloatField(null=True, blank=True)
    new_per_image_stats = models.CharField(max_length=255, blank=True, help_text="Relative to MEDIA_ROOT.")
    new_scorer_version = models.CharField(max_length=20, blank=True)
    new_ground_truth_checksum = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "submission"]
        constraints = [models.UniqueConstraint(fields=["run", "submission"], name="rescore_item_once_per_run")]

    def __str__(self) -> str:
        return f"Submission {self.submission_id}: {self.old_score} -> {self.new_score}"
