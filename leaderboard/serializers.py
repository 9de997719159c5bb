"""JSON shape of a board as the API returns it (docs/CONTRACT.md, "Leaderboard JSON")."""

from __future__ import annotations

from rest_framework import serializers

from leaderboard.models import Board
from submissions.serializers import MetricsField


class BoardTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    affiliation = serializers.CharField()


class LeaderboardRowSerializer(serializers.Serializer):
    """One entry of a board (a row of ``leaderboard.selectors.leaderboard_rows``)."""

    rank = serializers.IntegerField(help_text="Competition ranking: equal scores share a rank (1, 2, 2, 4).")
    team = BoardTeamSerializer()
    username = serializers.CharField(help_text="Who uploaded the submission.")
    submission = serializers.IntegerField(help_text="The submission's id.")
    score = serializers.FloatField(help_text="The track's key metric, a fraction in [0, 1].")
    metrics = MetricsField()
    ci = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2, help_text="95% interval."
    )
    overlaps_next = serializers.BooleanField(help_text="Its 95% interval overlaps the next entry's.")
    not_significant = serializers.BooleanField(
        help_text="Its 95% interval overlaps a neighbour's: its order with that entry is not significant (≈)."
    )
    submitted_at = serializers.DateTimeField()
    submissions_used = serializers.IntegerField()
    method_name = serializers.CharField()
    method_description = serializers.CharField()
    verification = serializers.ChoiceField(
        choices=["requested", "code_uploaded", "verified", "disqualified"], allow_null=True
    )


class LeaderboardSerializer(serializers.Serializer):
    """A board, best first; also the body of the JSON export."""

    challenge = serializers.CharField()
    track = serializers.IntegerField()
    split = serializers.CharField()
    board = serializers.ChoiceField(choices=Board.choices)
    frozen_at = serializers.DateTimeField(allow_null=True)
    rows = LeaderboardRowSerializer(many=True)
