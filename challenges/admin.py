"""Challenges, tracks and phases in the admin; limit and visibility changes are audited.

Ground truth is loaded with ``manage.py load_ground_truth`` only: the admin shows whether a phase
has it (and its checksum) but never its contents or a way to download it.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from challenges.models import Challenge, Phase, Track
from leaderboard.services import phase_deadline_changed
from lidserver.errors import ApplicationError
from organizer.admin_base import OrganizerAdmin
from organizer.services import phase_audit_changes
from verification.services import verification_request_top_teams


@admin.register(Challenge)
class ChallengeAdmin(OrganizerAdmin):
    list_display = ("short_title", "slug", "title", "created_at")
    search_fields = ("slug", "title", "short_title")
    readonly_fields = ("created_at",)


@admin.register(Track)
class TrackAdmin(OrganizerAdmin):
    list_display = ("__str__", "number", "title", "dataset", "key_metric")
    list_filter = ("challenge", "key_metric")
    search_fields = ("title", "dataset", "challenge__slug")
    list_select_related = ("challenge",)


class GroundTruthFilter(admin.SimpleListFilter):
    title = "ground truth"
    parameter_name = "ground_truth"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Loaded"), ("no", "Missing")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Phase]) -> QuerySet[Phase]:
        if self.value() == "yes":
            return queryset.exclude(ground_truth_path="")
        if self.value() == "no":
            return queryset.filter(ground_truth_path="")
        return queryset


@admin.register(Phase)
class PhaseAdmin(OrganizerAdmin):
    list_display = (
        "__str__", "split", "starts_at", "ends_at", "image_count", "max_submissions", "max_submissions_per_day",
        "leaderboard_public_before_deadline", "ground_truth", "frozen_at",
    )  # fmt: skip
    list_filter = (
        "split",
        "track__challenge",
        "track__number",
        GroundTruthFilter,
        "leaderboard_public_before_deadline",
    )
    search_fields = ("track__title", "track__challenge__slug")
    list_select_related = ("track__challenge",)
    autocomplete_fields = ("track",)
    exclude = ("ground_truth_path",)
    readonly_fields = ("ground_truth", "ground_truth_checksum", "ground_truth_loaded_at", "frozen_at")
    actions = ("request_verification",)

    @admin.display(description="ground truth", boolean=True, ordering="ground_truth_path")
    def ground_truth(self, obj: Phase) -> bool:
        return obj.has_ground_truth

    def save_model(self, request: HttpRequest, obj: Phase, form: Any, change: bool) -> None:
        before = Phase.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        phase_audit_changes(before=before, after=obj, actor=request.user)
        if before is not None and before.ends_at != obj.ends_at:
            # A freeze belongs to its deadline: a moved deadline re-opens the phase (or re-freezes it).
            phase_deadline_changed(phase=obj, old_ends_at=before.ends_at, actor=request.user)
            obj.refresh_from_db()

    @admin.action(description="Ask the top 3 teams for their code (verification)")
    def request_verification(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        for phase in queryset.select_related("track__challenge"):
            try:
                created = verification_request_top_teams(phase=phase, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            names = ", ".join(str(r.team) for r in created) or "nobody new (the top teams were asked already)"
            self.message_user(request, f"{phase}: asked {names}.", messages.SUCCESS)
