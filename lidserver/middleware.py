"""Requests refused before any view runs (control characters in the address, issue 13 finding 2), and
views that fail because the database is unreachable (finding 5).

No address or query parameter of this site contains a control character; PostgreSQL refuses a NUL
in any string, so one that reached a lookup was a 500. Form and JSON bodies are checked by the
form and serializer fields themselves (Django and DRF refuse NUL there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from lidserver.errors import SERVICE_UNAVAILABLE, database_unreachable, error_body

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = (
    "The address holds a control character (such as NUL, %00) that no address of this site uses; "
    "check the link and try again."
)


def _has_control(request: HttpRequest) -> bool:
    query = unquote(request.META.get("QUERY_STRING", ""), errors="replace")
    return bool(_CONTROL.search(request.path_info) or _CONTROL.search(query))


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_control(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(error_body("invalid_address", CONTROL_MESSAGE), status=400)
            html = render_to_string("_error.html", {"heading": "Bad request", "message": CONTROL_MESSAGE})
            return HttpResponse(html, status=400)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503, not Django's 500.

    The API's own views get the same answer from ``lidserver.errors.api_exception_handler``; this
    covers pages (the site's 503 page) and any other view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse(error_body("service_unavailable", SERVICE_UNAVAILABLE), status=503)
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        return response
