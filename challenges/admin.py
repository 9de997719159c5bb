"""Challenges, tracks and phases in the admin; limit and visibility changes are audited.

Ground truth is loaded with ``manage.py load_ground_truth`` only: the admin shows whether a phase
has it (and its checksum) but never its contents or a way to download it.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from challenges.models import Challenge, ContentPage, Phase, Track
from challenges.pages import markdown_to_html
from challenges.services import content_page_create, content_page_update
from leaderboard.services import phase_deadline_changed
from lidserver.admin import OrganizerAdmin
from lidserver.errors import ApplicationError
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


class ContentPageForm(forms.ModelForm):
    class Meta:
        model = ContentPage
        fields = ("challenge", "kind", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "markdown"})}


@admin.register(ContentPage)
class ContentPageAdmin(OrganizerAdmin):
    """Organizers write the challenge's pages here in Markdown; every edit is in the audit log."""

    form = ContentPageForm
    list_display = ("__str__", "challenge", "kind", "updated_at_utc", "updated_by", "view_on_site_link")
    list_filter = ("challenge", "kind")
    list_select_related = ("challenge", "updated_by")
    readonly_fields = ("preview", "updated_at", "updated_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A page keeps its challenge and kind; only its text changes.
        return (*self.readonly_fields, "challenge", "kind") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {key: request.GET[key] for key in ("challenge", "kind") if key in request.GET}

    @admin.display(description="last edited (UTC)", ordering="updated_at")
    def updated_at_utc(self, obj: ContentPage) -> str:
        return f"{obj.updated_at:%Y-%m-%d %H:%M}"

    @admin.display(description="page")
    def view_on_site_link(self, obj: ContentPage) -> str:
        return format_html('<a href="{}">open</a>', _page_url(obj))

    @admin.display(description="preview (as visitors see it)")
    def preview(self, obj: ContentPage) -> SafeString:
        # markdown_to_html sanitizes with the nh3 allow-list.
        return SafeString(markdown_to_html(obj.body)) if obj.pk else SafeString("")

    def save_model(self, request: HttpRequest, obj: ContentPage, form: Any, change: bool) -> None:
        body = form.cleaned_data["body"]
        if change:
            content_page_update(page=obj, body=body, actor=request.user)
        else:
            created = content_page_create(challenge=obj.challenge, kind=obj.kind, body=body, actor=request.user)
            obj.pk = created.pk


def _page_url(page: ContentPage) -> str:
    if page.kind == ContentPage.Kind.RULES:
        return reverse("challenges:rules", args=[page.challenge.slug])
    return reverse("challenges:page", args=[page.challenge.slug, page.kind])
