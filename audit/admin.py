"""The audit log in the admin: read-only (no add, change or delete), filtered and searchable."""

from django.contrib import admin

from audit.models import AuditLogEntry
from lidserver.admin import ReadOnlyAdmin


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "summary", "target_type", "target_id")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("summary", "target_id", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "action", "target_type", "target_id", "summary", "detail")
    readonly_fields = fields
