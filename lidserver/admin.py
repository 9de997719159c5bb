"""The admin's permission model: organizers (staff) may do everything the admin offers.

The spec's roles are "organizer = staff", not per-model Django permissions, so every model admin
of this project answers permission questions with the role; read-only admins narrow it further.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.roles import user_is_organizer
from lidserver.formatting import percent


class OrganizerAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_is_organizer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_is_organizer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)


class ReadOnlyAdmin(OrganizerAdmin):
    """Derived or append-only data: organizers look, nobody edits here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrganizerInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_organizer(request.user)


pct = percent  # the admin's score columns write scores like every page (lidserver.formatting)
