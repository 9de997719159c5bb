"""A challenge, its tracks and their phases (splits), with dates, limits and ground-truth state."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Challenge(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    short_title = models.CharField(max_length=50)
    description = models.TextField(blank=True)
    rules = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.short_title


class Track(models.Model):
    class KeyMetric(models.TextChoices):
        MEAN_IOU = "mean_iou", "Mean IoU"
        PEAK_IOU = "peak_iou", "Peak-IoU"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="tracks")
    number = models.PositiveSmallIntegerField()  # 1, 2, 3: the scoring core's track number
    title = models.CharField(max_length=200)
    dataset = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    key_metric = models.CharField(max_length=20, choices=KeyMetric.choices)

    class Meta:
        ordering = ["challenge", "number"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "number"], name="track_number_unique_per_challenge"),
            models.CheckConstraint(condition=models.Q(number__in=[1, 2, 3]), name="track_number_is_1_2_or_3"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge.short_title} track {self.number}"


class Phase(models.Model):
    class Split(models.TextChoices):
        VAL = "val", "Validation"
        TEST = "test", "Test"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="phases")
    split = models.CharField(max_length=10, choices=Split.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="The deadline: the official board counts submissions made before it.")
    image_count = models.PositiveIntegerField(help_text="How many ground-truth images the split has.")
    # Limits. Counted submissions are those not rejected and not failed by the platform.
    max_submissions = models.PositiveIntegerField(
        null=True, blank=True, default=5, help_text="Counted submissions per team in this phase; empty = no limit."
    )
    max_submissions_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Counted submissions per team per UTC day; empty = no daily limit."
    )
    max_rejected_per_day = models.PositiveIntegerField(
        default=20, help_text="Rejected uploads per team per UTC day before uploads are refused (stops abuse)."
    )
    leaderboard_public_before_deadline = models.BooleanField(
        default=True, help_text="Show the board to participants and visitors before the deadline."
    )
    frozen_at = models.DateTimeField(null=True, blank=True, help_text="When the official board was frozen.")
    # Ground truth: a packed store under GROUND_TRUTH_ROOT, never under MEDIA_ROOT.
    ground_truth_path = models.CharField(max_length=255, blank=True, help_text="Relative to GROUND_TRUTH_ROOT.")
    ground_truth_checksum = models.CharField(max_length=64, blank=True)
    ground_truth_loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["track", "split"]
        constraints = [
            models.UniqueConstraint(fields=["track", "split"], name="phase_split_unique_per_track"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="phase_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.track} {self.split}"

    def is_open(self, now: object = None) -> bool:
        """Submissions are accepted from the start on, and after the deadline too (post-challenge)."""
        return (now or timezone.now()) >= self.starts_at  # type: ignore[operator]

    def is_past_deadline(self, now: object = None) -> bool:
        return (now or timezone.now()) >= self.ends_at  # type: ignore[operator]

    @property
    def has_ground_truth(self) -> bool:
        return bool(self.ground_truth_path)


class GroundTruthNames(models.Model):
    """The image ids of a phase's loaded ground truth (no pixels), saved when the store is loaded.

    The web process checks an upload's file names against this list, so it never opens the
    ground-truth store itself; only the scoring workers read GROUND_TRUTH_ROOT.
    """

    phase = models.OneToOneField(Phase, on_delete=models.CASCADE, related_name="ground_truth_names")
    names = models.JSONField(default=list, help_text="Image ids without .png, sorted.")

    class Meta:
        verbose_name = "ground-truth image ids"
        verbose_name_plural = "ground-truth image ids"

    def __str__(self) -> str:
        return f"{len(self.names)} image ids of {self.phase}"
