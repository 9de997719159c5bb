"""Who may do what: organizers are staff; verifiers are the staff group named below."""

from __future__ import annotations

from typing import Any

VERIFIERS_GROUP = "verifiers"


def user_is_organizer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def user_is_verifier(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.groups.filter(name=VERIFIERS_GROUP).exists()
