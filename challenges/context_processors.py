"""Navigation data every page's header needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.roles import user_is_organizer, user_is_verifier


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {
        "is_organizer": user_is_organizer(request.user),
        "is_verifier": user_is_verifier(request.user),
    }
