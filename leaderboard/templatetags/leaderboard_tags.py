"""Template filters: fractions shown in percent with two decimals, as in the report."""

from __future__ import annotations

from typing import Any

from django import template

from leaderboard.selectors import format_metric

register = template.Library()


@register.filter
def pct(value: Any) -> str:
    return format_metric(value, "pct")


@register.filter
def signed_pct(value: Any) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + format_metric(value, "pct")


@register.filter
def nobreak_hyphen(text: str) -> str:
    """Column titles like "Peak-IoU" wrap at spaces only, never at the hyphen."""
    return str(text).replace("-", "\u2011")
