"""Template filters every template has without ``{% load %}`` (settings.TEMPLATES "builtins")."""

from __future__ import annotations

from typing import Any

from django import template

from lidserver import formatting

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """``{{ score|percent }}``: a fraction in percent with two decimals (``lidserver.formatting.percent``)."""
    return formatting.percent(value)
