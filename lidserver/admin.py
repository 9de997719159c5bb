"""The admin's permission model: organizers (staff) may do everything the admin offers.

The spec's roles are "organizer = staff", not per-model Django permissions, so every model admin
of this project answers permission questions with the role; read-only admins narrow it further.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.roles import user_is_organizer
from lidserver.formatting import MISSING, metric_text, percent, track_columns


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


def metrics_html(track_number: int, metrics: dict[str, Any] | None) -> str:
    """The stored metrics as the board shows them: percent with two decimals, thresholds as integers."""
    from django.utils.html import format_html, format_html_join

    if not metrics:
        return MISSING
    columns = track_columns(track_number)
    return format_html(
        '<ul class="metric-list">{}</ul>',
        format_html_join(
            "",
            "<li>{}: <strong>{}</strong></li>",
            ((c.label, metric_text(metrics.get(c.key), c.kind)) for c in columns),
        ),
    )


def curve_svg(curve: dict[str, Any] | None, *, width: int = 256, height: int = 64) -> str:
    """A small inline chart of a track 3 IoU-threshold curve (mean, and pixel-accumulated dashed)
    instead of its 512 numbers; the peak is marked and named in the tooltip."""
    from django.utils.html import format_html

    mean = (curve or {}).get("mean") or []
    if not mean:
        return MISSING

    def points(values: list[float]) -> str:
        step = width / max(1, len(values) - 1)
        return " ".join(f"{i * step:.1f},{height - max(0.0, min(1.0, v)) * height:.1f}" for i, v in enumerate(values))

    peak = max(range(len(mean)), key=lambda t: (mean[t], -t))
    pixel = (curve or {}).get("pixel") or []
    return format_html(
        '<svg class="curve" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        "<title>{label}</title>"
        '<rect width="{w}" height="{h}" fill="#f7f8fb" stroke="#dde2ea"/>'
        '<polyline points="{pixel}" fill="none" stroke="#9aa6bd" stroke-width="1" stroke-dasharray="3 2"/>'
        '<polyline points="{mean}" fill="none" stroke="#2457c5" stroke-width="1.5"/>'
        '<circle cx="{px}" cy="{py}" r="3" fill="#b3261e"/></svg>',
        w=width,
        h=height,
        label=f"IoU-threshold curve: peak {mean[peak] * 100:.2f} at threshold {peak}",
        pixel=points(pixel) if pixel else "",
        mean=points(mean),
        px=f"{peak * width / max(1, len(mean) - 1):.1f}",
        py=f"{height - max(0.0, min(1.0, mean[peak])) * height:.1f}",
    )
