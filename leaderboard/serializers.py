"""JSON shapes of the leaderboard API and its JSON export (docs/CONTRACT.md, "Leaderboard JSON")."""

from __future__ import annotations

from rest_framework import serializers

from leaderboard.models import Board


class LeaderboardTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    affiliation = serializers.CharField()


class LeaderboardRowSerializer(serializers.Serializer):
    """One row of ``leaderboard.selectors.leaderboard_rows``; metrics are fractions in [0, 1]."""

    rank = serializers.IntegerField()
    team = LeaderboardTeamSerializer()
    username = serializers.CharField()
    submission = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    ci = serializers.ListField(child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2)
    overlaps_next = serializers.BooleanField()
    not_significant = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    submissions_used = serializers.IntegerField()
    method_name = serializers.CharField()
    method_description = serializers.CharField()
    verification = serializers.CharField(allow_null=True)


class LeaderboardSerializer(serializers.Serializer):
    """A board, best first; also the body of the JSON export."""

    challenge = serializers.CharField()
    track = serializers.IntegerField()
    split = serializers.CharField()
    board = serializers.ChoiceField(choices=Board.choices)
    frozen_at = serializers.DateTimeField(allow_null=True)
    rows = LeaderboardRowSerializer(many=True)
