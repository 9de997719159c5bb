"""Verification of the top teams' inference code and parameter count (below settings.MAX_DECLARED_PARAMETERS) after the deadline."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from lidserver.user_text import VERIFICATION_INSTRUCTIONS_MAX, VERIFIER_NOTE_MAX


def verification_code_path(instance: VerificationRequest, filename: str) -> str:
    # The team's file name is kept in code_archive_name only; the stored name keeps just the type.
    suffix = ".tar.gz" if filename.endswith((".tar.gz", ".tgz")) else ".zip"
    return f"verification/phase{instance.phase_id}/team{instance.team_id}/{uuid.uuid4().hex}{suffix}"


class VerificationRequest(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", "Code requested"
        CODE_UPLOADED = "code_uploaded", "Code uploaded"
        VERIFIED = "verified", "Verified"
        DISQUALIFIED = "disqualified", "Disqualified"

    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="verification_requests")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="verification_requests")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.PROTECT, related_name="+")
    rank_when_requested = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.REQUESTED, db_index=True)

    code_archive = models.FileField(upload_to=verification_code_path, max_length=255, blank=True)
    code_archive_name = models.CharField(max_length=255, blank=True)
    code_sha256 = models.CharField(max_length=64, blank=True)
    code_size = models.BigIntegerField(null=True, blank=True)
    declared_parameters = models.BigIntegerField(null=True, blank=True)
    instructions = models.TextField(blank=True, validators=[MaxLengthValidator(VERIFICATION_INSTRUCTIONS_MAX)])

    reproduced_score = models.FloatField(null=True, blank=True)
    measured_parameters = models.BigIntegerField(null=True, blank=True)
    verifier_note = models.TextField(blank=True, validators=[MaxLengthValidator(VERIFIER_NOTE_MAX)])
    # The official board's key score when the verifier decided, and whether the verifier confirmed a
    # reproduced score beyond VERIFICATION_SCORE_TOLERANCE_POINTS of it.
    board_score = models.FloatField(null=True, blank=True)
    score_difference_confirmed = models.BooleanField(default=False)

    requested_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["phase", "rank_when_requested"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "team"], name="verification_once_per_team_phase"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("instructions"), VERIFICATION_INSTRUCTIONS_MAX),
                name="verification_instructions_max",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("verifier_note"), VERIFIER_NOTE_MAX), name="verification_note_max"
            ),
        ]

    def __str__(self) -> str:
        return f"Verification of {self.team} ({self.phase}): {self.state}"
