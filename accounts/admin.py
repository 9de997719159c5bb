"""People and teams in the admin."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.models import Membership, Team, User
from lidserver.admin import OrganizerAdmin, OrganizerInline


@admin.register(User)
class UserAdmin(OrganizerAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "affiliation", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "affiliation", "first_name", "last_name")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Challenge", {"fields": ("affiliation",)}))
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Organizers manage accounts and the verifiers group; only a superuser makes superusers.
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ("is_superuser", "user_permissions")
        return readonly


class MembershipInline(OrganizerInline):
    model = Membership
    autocomplete_fields = ("user",)
    readonly_fields = ("challenge", "joined_at")
    fields = ("user", "challenge", "joined_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "challenge")


@admin.register(Team)
class TeamAdmin(OrganizerAdmin):
    list_display = ("name", "challenge", "affiliation", "captain", "member_count", "created_at")
    list_filter = ("challenge",)
    search_fields = ("name", "affiliation", "captain__username", "invite_code")
    list_select_related = ("challenge", "captain")
    autocomplete_fields = ("captain",)
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Team) -> int:
        return obj.member_count  # type: ignore[attr-defined]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # A membership's challenge is the team's (the one-team-per-challenge constraint needs it).
        for membership in formset.save(commit=False):
            membership.challenge_id = form.instance.challenge_id
            membership.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(Membership)
class MembershipAdmin(OrganizerAdmin):
    list_display = ("user", "team", "challenge", "joined_at")
    list_filter = ("challenge",)
    search_fields = ("user__username", "user__email", "team__name")
    list_select_related = ("user", "team", "challenge")
    autocomplete_fields = ("user", "team")
    readonly_fields = ("challenge", "joined_at")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        obj.challenge_id = obj.team.challenge_id
        super().save_model(request, obj, form, change)
