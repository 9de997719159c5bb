"""The one page-level handler of :class:`~lidserver.errors.ApplicationError` (the API has its own,
``lidserver.errors.api_exception_handler``).

A page view lets a service's error rise: it becomes a page with the error's sentence and HTTP
status (``NotFound``: 404, its sentence the same for a missing object and one the user may not
know about), or the JSON error body for the JSON addresses pages poll (``.json``). Views still catch an error themselves when they do something else with it (a
form that shows it beside its fields, a message and a redirect).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from lidserver.errors import ApplicationError, NotFound, error_body


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, ApplicationError):
            return None
        if _wants_json(request):
            return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=exc.http_status)
        if isinstance(exc, NotFound):
            # Standalone, nothing per request (no session, no CSRF token): byte for byte the same for
            # a missing object and another team's.
            return render(request, "_error.html", {"heading": "Not found", "message": exc.message}, status=404)
        return render(request, "error.html", {"message": exc.message}, status=exc.http_status)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.endswith(".json") or request.path.startswith("/api/")
