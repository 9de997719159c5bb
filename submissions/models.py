"""Submissions and the per-team-per-phase row that serialises the submission limit.

The limit is enforced by locking the team's :class:`TeamPhase` row (``SELECT ... FOR UPDATE``)
and counting under the lock, so two concurrent uploads cannot both take the last slot.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, NameValidator


class Status(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SCORED = "scored", "Scored"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


# A submission uses a slot unless it was rejected for its format or failed by the platform.
COUNTED_STATUSES = (Status.UPLOADED, Status.QUEUED, Status.RUNNING, Status.SCORED)
PENDING_STATUSES = (Status.UPLOADED, Status.QUEUED, Status.RUNNING)


def submission_archive_path(instance: Submission, filename: str) -> str:
    # The team's own file name is kept in archive_name only; the path never contains it.
    return f"submissions/phase{instance.phase_id}/team{instance.team_id}/{uuid.uuid4().hex}.zip"


def submission_stats_path(instance: Submission, filename: str) -> str:
    return f"stats/phase{instance.phase_id}/submission{instance.pk}.npz"


class TeamPhase(models.Model):
    """One row per team and phase: the lock for the limit and the team's chosen representative."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="phase_states")
    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="team_states")
    representative = models.ForeignKey(
        "submissions.Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The scored submission the team chose for the leaderboard; empty = its best.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "phase"], name="teamphase_unique")]

    def __str__(self) -> str:
        return f"{self.team} in {self.phase}"


class Submission(models.Model):
    phase = models.ForeignKey("challenges.Phase", on_delete=models.PROTECT, related_name="submissions")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="submissions")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="submissions"
    )
    archive = models.FileField(upload_to=submission_archive_path, max_length=255)
    archive_name = models.CharField(max_length=255, help_text="The file name the team uploaded.")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    method_name = models.CharField(max_length=METHOD_NAME_MAX, validators=[NameValidator("method name")])
    method_description = models.TextField(blank=True, validators=[MaxLengthValidator(METHOD_DESCRIPTION_MAX)])
    declared_parameters = models.BigIntegerField()

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True, help_text="Shown to the team.")
    staff_log = models.TextField(blank=True, help_text="Shown to staff only.")
    attempts = models.PositiveSmallIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While running: the worker renews this every SCORING_LEASE/3; once it is past, the worker is "
        "taken for dead and beat's reaper re-queues the submission (submissions_stuck).",
    )
    shards_total = models.PositiveSmallIntegerField(
        default=0,
        help_text="While running in shards: how many (0: scored in one pass, or not split yet). Reset by every claim.",
    )
    shards_done = models.PositiveSmallIntegerField(default=0, help_text="Shards of the current attempt scored so far.")
    queue_priority = models.PositiveSmallIntegerField(
        default=0,
        help_text="The Celery priority its scoring message was sent with (0 first): how many of its team's "
        "submissions were already waiting or running then (submission_queue_position).",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    scoring_seconds = models.FloatField(null=True, blank=True)

    scorer_version = models.CharField(max_length=20, blank=True)
    ground_truth_checksum = models.CharField(max_length=64, blank=True)
    score = models.FloatField(null=True, blank=True, db_index=True, help_text="The track's key metric, a fraction.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Aggregate metrics, fractions in [0, 1].")
    per_class = models.JSONField(null=True, blank=True, help_text='Tracks 1-2: {"iou": [...], "accuracy": [...]}.')
    curve = models.JSONField(null=True, blank=True, help_text='Track 3: {"mean": [256], "pixel": [256]}.')
    diagnosis = models.JSONField(
        null=True,
        blank=True,
        help_text="Advice on common silent mistakes (evaluation.diagnosis: labels shifted by one, inverted "
        "maps), with the figure the predictions would reach; it never changes the score.",
    )
    per_image_stats = models.FileField(upload_to=submission_stats_path, max_length=255, blank=True)
    ci_low = models.FloatField(null=True, blank=True, help_text="95% bootstrap interval of the key metric.")
    ci_high = models.FloatField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden from the leaderboards by an organizer.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["phase", "team", "status"], name="submission_phase_team_status"),
            models.Index(fields=["team", "phase", "sha256"], name="submission_team_phase_sha"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("method_description"), METHOD_DESCRIPTION_MAX),
                name="submission_method_description_max",
            ),
            models.CheckConstraint(
                condition=models.Q(declared_parameters__gte=0)
                & models.Q(declared_parameters__lt=settings.MAX_DECLARED_PARAMETERS),
                name="declared_parameters_under_150m",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scored") | models.Q(score__isnull=False),
                name="scored_submission_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} ({self.team}, {self.phase})"


def shard_results_folder(submission_id: int) -> str:
    return f"shards/submission{submission_id}"


def shard_result_path(shard: ScoringShard) -> str:
    # One name per try of a shard: a late, taken-over try never overwrites the file the merge reads.
    return f"{shard_results_folder(shard.submission_id)}/a{shard.attempt}-s{shard.index}-t{shard.attempts}.npz"


class ShardStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class ScoringShard(models.Model):
    """A contiguous range of the ground truth's sorted image ids of one attempt at a submission.

    Claimed, leased, renewed and rescued like a submission (``submissions.sharding``); its partial
    result (``evaluation.save_result``) is stored in the default storage under ``result`` until the
    submission is merged. Rows of a finished submission or of an abandoned attempt are deleted.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="shards")
    attempt = models.PositiveSmallIntegerField(help_text="The submission's attempt this shard belongs to.")
    index = models.PositiveSmallIntegerField()
    start = models.PositiveIntegerField(help_text="First image: an index into the ground truth's sorted ids.")
    stop = models.PositiveIntegerField(help_text="One past the last image.")
    status = models.CharField(max_length=10, choices=ShardStatus.choices, default=ShardStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Claims of this shard (tries).")
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True, help_text="Storage name of the partial result once done.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "attempt", "index"], name="scoringshard_unique"),
            models.CheckConstraint(condition=models.Q(start__lte=models.F("stop")), name="scoringshard_range"),
        ]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="scoringshard_status_lease")]

    def __str__(self) -> str:
        return f"Shard {self.index} of submission {self.submission_id} (attempt {self.attempt})"
