"""The OpenAPI schema's shared parts: the error body, and the error answers of every operation.

Every API error has the body of :func:`lidserver.errors.error_body`, described once here by
:class:`ErrorSerializer`. :class:`ApiAutoSchema` (``DEFAULT_SCHEMA_CLASS``) adds to each operation
the errors DRF itself can answer for it, read from the view as drf-standardized-errors' AutoSchema
does: 401 when it has authenticators, 403 for a session's missing CSRF token on unsafe methods, 404
with path parameters, 400 / 413 / 415 with a request body (400 also with query parameters), 429 when
it is throttled. What a service can refuse (409 ``limit_reached``, 403 ``not_captain``...) the view
declares with :func:`error_responses`, the one helper for error answers. A request's text field
says what DRF's CharField accepts (no NUL; a visible character unless it may be blank).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

from lidserver.user_text import NameValidator, name_pattern

ERROR_DESCRIPTIONS = {
    400: "The request is not valid: code `invalid` names each field's problem in `detail`; other codes "
    "(wrong credentials, a refused archive...) are explained by `message`.",
    401: "No credentials, or a token that is unknown or revoked: send `Authorization: Token <key>`.",
    403: "Not allowed: a logged-in session's request without its CSRF token, or a rule of this operation.",
    404: "No such object, or one the caller may not see (both answer alike).",
    409: "The request conflicts with the current state (a limit reached, a name taken, already decided...).",
    411: "The upload was sent without a Content-Length (chunked); send its length.",
    413: "The request or its file is larger than the server accepts.",
    415: "The body's content type is not one this operation reads.",
    429: "Too many requests; `detail.retry_after_seconds` says when to try again.",
    503: "The service is unavailable (its database cannot be reached); try again later (Retry-After).",
    507: "The server's storage is full; nothing was recorded, try again later.",
}

PATH_PATTERN = r"^[^\u0000-\u001f\u007f]*$"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# What DRF's CharField reads, as ECMA patterns: never a NUL (ProhibitNullCharactersValidator) and,
# unless blank is allowed, a character that ``str.strip`` keeps (the field trims before its blank
# check). The class spells out what Python's \s has beyond ECMA's (\x1c-\x1f, \x85).
NO_NUL_PATTERN = r"^[^\u0000]*$"
NOT_BLANK_PATTERN = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (``lidserver.errors.error_body``)."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `not_found`, `limit_reached`.")
    message = serializers.CharField(help_text="A sentence saying what was wrong and what to do.")
    detail = serializers.JSONField(
        allow_null=True, help_text="For `invalid`, each field's messages; for some codes extra data; else null."
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The ``responses`` entries of an ``extend_schema`` for the errors a view's services can answer."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in statuses}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers that DRF gives whatever the view does."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self._implied_error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(error_responses(status)[status], str(status))
        return dict(sorted(responses.items()))

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema["pattern"] = NOT_BLANK_PATTERN if blank_refused else NO_NUL_PATTERN
        if direction == "request" and any(isinstance(v, NameValidator) for v in getattr(field, "validators", [])):
            schema["pattern"] = name_pattern()  # the name rule (lidserver.user_text), so checkers know it
        return schema

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema") or {}
            if parameter.get("in") == "path" and schema.get("type") == "string" and "pattern" not in schema:
                # lidserver.middleware refuses a control character in an address before any view runs
                schema["pattern"] = PATH_PATTERN
        return parameters

    def _implied_error_statuses(self) -> set[int]:
        # 400 everywhere: an address or query string with a control character is refused before any
        # view runs (lidserver.middleware.RefuseControlCharactersMiddleware).
        statuses = {400}
        has_body = self.method in UNSAFE_METHODS and self.get_request_serializer() is not None
        if has_body:
            statuses |= {400, 413, 415}
        if any(parameter["in"] == "query" for parameter in self._get_parameters()):
            statuses.add(400)
        if any(parameter["in"] == "path" for parameter in self._get_parameters()):
            statuses.add(404)
        authenticators = self.view.get_authenticators()
        if authenticators:
            statuses.add(401)  # an unknown token is refused even where no login is needed
        if self.method in UNSAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators):
            statuses.add(403)  # DRF checks the CSRF token of a session login
        if self.view.get_throttles():
            statuses.add(429)
        return statuses
