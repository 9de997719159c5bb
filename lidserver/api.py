"""API plumbing: the base of every API view (the method checked before the credentials) and its pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiView(APIView):
    """An ``APIView`` that answers 405 to a method the address does not have, before asking who is calling.

    DRF's ``dispatch`` authenticates and checks permissions in ``initial`` and only then looks for
    the method's handler, so ``PUT /api/me/`` without a token answered 401, which tells a client to
    log in for something that cannot work. Whether the address has the method does not depend on the
    caller, so it is checked first (``http_method_not_allowed`` raises DRF's ``MethodNotAllowed``,
    rendered by ``lidserver.errors`` with the ``Allow`` header).
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)


class ApiPagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages that refuse what they cannot use, instead of quietly using the default.

    DRF's own falls back to the default for ``limit=abc`` and passes any size to the database
    (``limit`` >= 2**63 failed there with a 500). Here a bad value is a 400 naming the parameter,
    and the bounds are those the schema declares (``schema_parameters``).
    """

    max_limit = 500

    def get_limit(self, request: Request) -> int:
        return self._whole_number(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request: Request) -> int:
        return self._whole_number(request, self.offset_query_param, 0, None, 0)

    @staticmethod
    def _whole_number(request: Request, name: str, low: int, high: int | None, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        value = int(raw) if raw.isascii() and raw.isdigit() else None
        if value is None or value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise ValidationError({name: [f"Give a whole number {bounds}, or leave it out."]})
        return value

    @classmethod
    def schema_parameters(cls) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                cls.limit_query_param,
                {"type": "integer", "minimum": 1, "maximum": cls.max_limit},
                description=f"How many per page (default {cls.default_limit}).",
            ),
            OpenApiParameter(
                cls.offset_query_param, {"type": "integer", "minimum": 0}, description="How many to skip (default 0)."
            ),
        ]
