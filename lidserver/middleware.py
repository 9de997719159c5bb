"""Project middleware.

- :class:`ApplicationErrorMiddleware`: the one page-level handler of
  :class:`~lidserver.errors.ApplicationError` (the API has its own,
  ``lidserver.errors.api_exception_handler``). A page view lets a service's error rise: it becomes a
  page with the error's sentence and HTTP status (``NotFound``: 404, its sentence the same for a
  missing object and one the user may not know about), or the JSON error body for the JSON
  addresses pages poll (``.json``). Views still catch an error themselves when they do something
  else with it (a form that shows it beside its fields, a message and a redirect).
- :class:`RefuseControlCharactersMiddleware`: requests refused before any view runs (control
  characters in the address). No address or query parameter of this site contains a control
  character; PostgreSQL refuses a NUL in any string, so one that reached a lookup was a 500. Form
  and JSON bodies are checked by the form and serializer fields themselves.
- :class:`DatabaseUnavailableMiddleware`: views that fail because the database is unreachable
  answer 503, not Django's 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from lidserver.errors import SERVICE_UNAVAILABLE, ApplicationError, NotFound, database_unreachable, error_body

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
            html = render_to_string("_error_plain.html", {"heading": "Bad request", "message": CONTROL_MESSAGE})
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
