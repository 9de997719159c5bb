"""One error type for everything a user can get wrong, and the one place that renders it.

Services raise :class:`ApplicationError` with a stable ``code`` and a sentence that says what was
wrong and what to do. The API answers ``{"code", "message", "detail"}`` with the error's HTTP
status and rolls the transaction back; pages show the message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback


class ApplicationError(Exception):
    """A failure the user can act on: ``code`` is stable, ``message`` is a whole sentence."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        detail: Any = None,
        http_status: int = status.HTTP_400_BAD_REQUEST,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.http_status = http_status


class NotFound(ApplicationError):
    """The object does not exist, or the user may not know it exists (same answer for both)."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__("not_found", message, http_status=status.HTTP_404_NOT_FOUND)


class UploadTooLarge(RequestDataTooBig):
    """A file of the request passed the upload limit while it was received (lidserver/upload_limits.py)."""


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail}


_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Log in or send an API token to do this."),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        "Your credentials or API token were not accepted; log in again or create a new token.",
    ),
    exceptions.PermissionDenied: ("permission_denied", "You are not allowed to do this."),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "This address does not accept that method."),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "Send the request as JSON or as multipart form data.",
    ),
    exceptions.ParseError: ("parse_error", "The request body could not be read; send valid JSON or form data."),
}


SERVICE_UNAVAILABLE = "The server cannot reach its database just now; nothing was stored. Try again in a few minutes."


def database_unreachable(exc: BaseException) -> bool:
    """An error that means the database is down or the connection was lost (not a bad query)."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped so every API error has the body ``{"code", "message", "detail"}``."""
    if database_unreachable(exc):
        set_rollback()
        return Response(
            error_body("service_unavailable", SERVICE_UNAVAILABLE),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "60"},
        )
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.detail), status=exc.http_status)
    if isinstance(exc, UploadTooLarge):
        set_rollback()
        return Response(error_body("upload_too_large", str(exc)), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(
            error_body(
                "request_too_large",
                "A form field of this request is larger than the server accepts "
                f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20} MiB); "
                "shorten it, and send the archive itself as the file field.",
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        set_rollback()
        return Response(
            error_body(
                "too_many_fields", "This request has too many form fields or files; send one archive and its fields."
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid",
            _validation_sentence(exc.detail),
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail},
        )
        return response
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 0)
        response.data = error_body(
            "throttled", f"Too many requests; try again in {wait} seconds.", {"retry_after_seconds": wait}
        )
        return response
    for exc_type, (code, message) in _DRF_CODES.items():
        if isinstance(exc, exc_type):
            response.data = error_body(code, message)
            return response
    response.data = error_body("error", str(getattr(exc, "detail", exc)))
    return response


def _validation_sentence(detail: Any) -> str:
    """Flatten DRF validation details into one readable sentence naming the fields."""
    if isinstance(detail, dict):
        parts = []
        for field, errors in detail.items():
            text = " ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
            parts.append(text if field == "non_field_errors" else f"{field}: {text}")
        return " ".join(parts) or "The request is not valid."
    if isinstance(detail, list):
        return " ".join(str(e) for e in detail) or "The request is not valid."
    return str(detail)


@csrf_exempt
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any /api/ address without a route, whatever the method: the same JSON body as every other API error.

    CSRF-exempt like DRF's own views (they check CSRF only for session logins), so a POST or DELETE
    to a wrong address answers this 404, not Django's HTML "CSRF verification failed" page.
    """
    return JsonResponse(
        error_body("not_found", f"There is no API endpoint at /api/{path}; the list is at /api/docs/."),
        status=404,
    )
