"""Template filters of the board pages (``percent`` itself is a builtin: lidserver.template_filters)."""

from __future__ import annotations

from typing import Any

from django import template

from lidserver.formatting import MISSING, percent

register = template.Library()


@register.filter
def signed_pct(value: Any) -> str:
    if value is None:
        return MISSING
    return ("+" if value > 0 else "") + percent(value)


@register.filter
def nobreak_hyphen(text: str) -> str:
    """Column titles like "Peak-IoU" wrap at spaces only, never at the hyphen."""
    return str(text).replace("-", "\u2011")
