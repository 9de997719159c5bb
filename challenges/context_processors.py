"""What every page needs: the header's navigation and the rules' parameter limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.roles import user_is_organizer, user_is_verifier


def navigation(request: HttpRequest) -> dict[str, Any]:
    # An error page for a request refused before the authentication middleware ran (a bad Host
    # header, say) has no user: it gets the anonymous navigation instead of a second error.
    user = getattr(request, "user", None)
    return {
        "is_organizer": user_is_organizer(user),
        "is_verifier": user_is_verifier(user),
        "max_declared_parameters": settings.MAX_DECLARED_PARAMETERS,
    }
