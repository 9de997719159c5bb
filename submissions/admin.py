"""Submissions in the admin: look, hide/unhide, re-score with a preview, disqualify a team.

The archive and per-image statistics are never offered as links (MEDIA_ROOT is not served); the
score fields are read-only here and change only through re-scoring, which is audited.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from lidserver.admin import OrganizerAdmin, curve_svg, metrics_html, pct
from lidserver.errors import ApplicationError
from organizer.rescoring import rescore_run_create, rescore_run_enqueue
from organizer.services import submission_set_hidden
from submissions.models import Submission, TeamPhase
from verification.services import verification_disqualify_submission_team

_READONLY = (
    "phase", "team", "uploaded_by", "archive_name", "sha256", "size", "method_name", "method_description",
    "declared_parameters", "status", "error_code", "error_message", "staff_log", "attempts", "shards_done",
    "shards_total", "created_at",
    "queued_at", "started_at", "finished_at", "scoring_seconds", "scorer_version", "ground_truth_checksum",
    "score_pct", "metrics_pct", "per_class", "curve_chart", "ci_low", "ci_high",
)  # fmt: skip


@admin.register(Submission)
class SubmissionAdmin(OrganizerAdmin):
    list_display = (
        "id", "team", "phase", "status", "score_pct", "method_name", "hidden", "scorer_version", "created_at",
    )  # fmt: skip
    list_filter = (
        "status",
        "hidden",
        "phase__split",
        "phase__track__number",
        "phase__track__challenge",
        "scorer_version",
    )
    search_fields = ("=id", "team__name", "method_name", "archive_name", "sha256", "uploaded_by__username")
    list_select_related = ("team", "phase__track__challenge", "uploaded_by")
    date_hierarchy = "created_at"
    fields = ("hidden", *_READONLY)
    readonly_fields = _READONLY
    actions = ("rescore_preview", "hide", "unhide", "disqualify_team")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # submissions come in through the upload page or the API, with their checks

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept for the record; hide one instead

    @admin.display(description="score", ordering="score")
    def score_pct(self, obj: Submission) -> str:
        return pct(obj.score)

    @admin.display(description="metrics")
    def metrics_pct(self, obj: Submission) -> str:
        return metrics_html(obj.phase.track.number, obj.metrics)

    @admin.display(description="IoU-threshold curve")
    def curve_chart(self, obj: Submission) -> str:
        return curve_svg(obj.curve)

    def save_model(self, request: HttpRequest, obj: Submission, form: Any, change: bool) -> None:
        # Only ``hidden`` is editable; it goes through the audited service.
        if change and "hidden" in form.changed_data:
            submission_set_hidden(submission=obj, hidden=obj.hidden, actor=request.user)

    @admin.action(description="Re-score selected submissions (preview)")
    def rescore_preview(self, request: HttpRequest, queryset: QuerySet[Submission]) -> HttpResponseRedirect | None:
        try:
            run = rescore_run_create(
                submissions=queryset.order_by("pk"),
                actor=request.user,
                scope=f"{queryset.count()} selected submissions",
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        rescore_run_enqueue(run=run)
        self.message_user(
            request,
            f"Re-score run {run.pk} is computing; its page shows the rank changes, then publish it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:organizer_rescorerun_change", args=[run.pk]))

    @admin.action(description="Hide from the leaderboards")
    def hide(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show on the leaderboards again")
    def unhide(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        self._set_hidden(request, queryset, False)

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet[Submission], hidden: bool) -> None:
        changed = sum(submission_set_hidden(submission=s, hidden=hidden, actor=request.user) for s in queryset)
        self.message_user(request, f"{changed} submissions {'hidden' if hidden else 'shown'}.", messages.SUCCESS)

    @admin.action(description="Disqualify the team of each selected submission (test phases)")
    def disqualify_team(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        for sub in queryset.select_related("phase__track__challenge", "team"):
            try:
                verification_disqualify_submission_team(
                    submission=sub, user=request.user, note=f"Disqualified from the admin (submission {sub.pk})."
                )
            except ApplicationError as exc:
                self.message_user(request, f"Submission {sub.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{sub.team} is disqualified in {sub.phase}.", messages.SUCCESS)


@admin.register(TeamPhase)
class TeamPhaseAdmin(OrganizerAdmin):
    list_display = ("team", "phase", "representative_id")
    list_filter = ("phase__split", "phase__track__number", "phase__track__challenge")
    search_fields = ("team__name",)
    list_select_related = ("team", "phase__track__challenge")
    autocomplete_fields = ("team", "phase")
    raw_id_fields = ("representative",)
