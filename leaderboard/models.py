"""Stored leaderboard rows: ranks and intervals are computed when a score lands, not per request."""

from __future__ import annotations

from django.db import models


class Board(models.TextChoices):
    # Submissions made before the deadline: live until then, the frozen official result after.
    OFFICIAL = "official", "Official"
    # Every submission, including those made after the deadline.
    POST = "post", "Post-challenge"


class LeaderboardEntry(models.Model):
    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="leaderboard_entries")
    board = models.CharField(max_length=10, choices=Board.choices)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    # True when this entry's interval overlaps the next-ranked entry's: not significantly different.
    overlaps_next = models.BooleanField(default=False)
    submissions_used = models.PositiveIntegerField(default=0)
    # Copied from verification when the board is refreshed (the verification app refreshes after
    # each decision), so reading a board needs no join; empty = no verification asked.
    verification_state = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "leaderboard entries"
        ordering = ["phase", "board", "rank", "submission__created_at"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "board", "team"], name="leaderboard_one_row_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.phase} {self.board} #{self.rank} {self.team}"


class FrozenEntry(models.Model):
    """The submission each team had on the official board when its phase was frozen.

    After the freeze the official board is rebuilt from these rows only, so a representative
    chosen (or a submission made) after the deadline never changes the official result; re-scoring,
    hiding and disqualification still do.
    """

    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="frozen_entries")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE, related_name="+")
    rank_at_freeze = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "frozen entries"
        ordering = ["phase", "rank_at_freeze"]
        constraints = [models.UniqueConstraint(fields=["phase", "team"], name="leaderboard_frozen_one_per_team")]

    def __str__(self) -> str:
        return f"{self.phase} frozen #{self.rank_at_freeze} {self.team}"
