"""Re-score runs in the admin: the rank-change preview, then "Publish"."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from lidserver.admin import OrganizerInline, ReadOnlyAdmin, pct
from lidserver.errors import ApplicationError
from organizer.models import RescoreItem, RescoreRun
from organizer.rescoring import rescore_run_delete, rescore_run_publish


class RescoreItemInline(OrganizerInline):
    model = RescoreItem
    fields = ("submission_id", "old", "new", "old_scorer_version", "new_scorer_version", "error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="old score")
    def old(self, obj: RescoreItem) -> str:
        return pct(obj.old_score)

    @admin.display(description="new score")
    def new(self, obj: RescoreItem) -> str:
        return pct(obj.new_score)


@admin.register(RescoreRun)
class RescoreRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "scope", "state", "created_by", "created_at", "computed_at", "published_by", "published_at")
    list_filter = ("state",)
    search_fields = ("scope",)
    list_select_related = ("created_by", "published_by")
    fields = (
        "scope",
        "state",
        "created_by",
        "created_at",
        "computed_at",
        "published_by",
        "published_at",
        "preview",
        "error",
    )
    readonly_fields = fields
    inlines = (RescoreItemInline,)
    actions = ("publish",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A preview nobody wants is deleted; a published run stays as the record of what changed.
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj) and (
            obj is None or obj.state != RescoreRun.State.PUBLISHED
        )

    def delete_model(self, request: HttpRequest, obj: RescoreRun) -> None:
        rescore_run_delete(run=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RescoreRun]) -> None:
        for run in queryset.exclude(state=RescoreRun.State.PUBLISHED):
            rescore_run_delete(run=run)

    @admin.display(description="rank changes (preview)")
    def preview(self, obj: RescoreRun) -> SafeString:
        return SafeString(render_to_string("organizer/rank_changes.html", {"run": obj}))

    @admin.action(description="Publish the selected re-score previews")
    def publish(self, request: HttpRequest, queryset: QuerySet[RescoreRun]) -> None:
        for run in queryset.order_by("pk"):
            try:
                rescore_run_publish(run=run, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"Published re-score run {run.pk}; the leaderboards are updated.", messages.SUCCESS
                )
