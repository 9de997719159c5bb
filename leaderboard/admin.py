"""Stored leaderboard rows in the admin: derived data, read-only (they are recomputed on each change)."""

from django.contrib import admin

from leaderboard.models import FrozenEntry, LeaderboardEntry
from lidserver.admin import ReadOnlyAdmin, pct


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(ReadOnlyAdmin):
    list_display = ("phase", "board", "rank", "team", "score_pct", "submission_id", "verification_state", "updated_at")
    list_filter = ("board", "phase__split", "phase__track__number", "phase__track__challenge", "verification_state")
    search_fields = ("team__name",)
    list_select_related = ("phase__track__challenge", "team")

    @admin.display(description="score", ordering="score")
    def score_pct(self, obj: LeaderboardEntry) -> str:
        return pct(obj.score)


@admin.register(FrozenEntry)
class FrozenEntryAdmin(ReadOnlyAdmin):
    list_display = ("phase", "rank_at_freeze", "team", "submission_id")
    list_filter = ("phase__track__challenge", "phase__track__number")
    search_fields = ("team__name",)
    list_select_related = ("phase__track__challenge", "team")
