"""``{% organizer_dashboard %}``: the operations summary on the admin index page."""

from __future__ import annotations

from typing import Any

from django import template

from organizer.selectors import dashboard_summary

register = template.Library()


@register.inclusion_tag("organizer/dashboard.html", takes_context=True)
def organizer_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not request.user.is_staff:
        return {"show": False}
    return {"show": True, **dashboard_summary()}
