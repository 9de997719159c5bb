"""What every page needs: the header's navigation and the rules' parameter limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.roles import user_is_organizer, user_is_verifier


def navigation(request: HttpRequest) -> dict[str, Any]:
    # An error page for a request refused before the authentication middleware ran (a bad Host
    # header, say) has no user: it gets the anonymous navigation instead of a second error.
    user = getattr(request, "user", None)
    return {
        "is_organizer": user_is_organizer(user),
        "is_verifier": user_is_verifier(user),
        "max_declared_parameters": settings.MAX_DECLARED_PARAMETERS,
        "login_next": login_next(request),
        # The header's challenge links on pages that belong to no challenge (profile, tokens,
        # verification, errors): the newest challenge, read only if the page shows it.
        "nav_challenge": SimpleLazyObject(_newest_challenge),
    }


def _newest_challenge() -> Any:
    from challenges.selectors import challenge_list

    return challenge_list().first()


# Pages that must not be the target of a log-in: going back to them would loop or make no sense.
_ACCOUNT_PAGES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/signup/",
    "/accounts/password_reset/",
    "/accounts/reset/",
)


def login_next(request: HttpRequest) -> str:
    """Where the header's "Log in" and "Sign up" links come back to: this page (an invite link, say).

    On the log-in and sign-up pages themselves, the ``next`` they were opened with; "" when there
    is nowhere sensible to return to (the home page is where a log-in lands anyway, and sign-up
    then shows the profile's next steps).
    """
    try:
        host = request.get_host()
    except DisallowedHost:  # an error page for a refused Host header: no links back
        return ""
    asked = request.GET.get("next", "")
    if asked and url_has_allowed_host_and_scheme(asked, allowed_hosts={host}):
        return asked
    path = getattr(request, "path", "")
    if path in ("", "/") or path.startswith(_ACCOUNT_PAGES) or request.method != "GET":
        return ""
    return request.get_full_path()
