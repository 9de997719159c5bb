"""API plumbing: the base of every API view (the method checked before the credentials) and its pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from lidserver.errors import ApplicationError


class ApiView(APIView):
    """An ``APIView`` that answers 405 to a method the address does not have, before asking who is calling.

    DRF's ``dispatch`` authenticates and checks permissions in ``initial`` and only then looks for
    the method's handler, so ``PUT /api/me/`` without a token answered 401, which tells a client to
    log in for something that cannot work. Whether the address has the method does not depend on the
    caller, so it is checked first (``http_method_not_allowed`` raises DRF's ``MethodNotAllowed``,
    rendered by ``lidserver.errors`` with the ``Allow`` header).
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)


MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


class ApiPagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages that refuse what they cannot use, instead of quietly using the default.

    DRF's own falls back to the default for ``limit=abc`` and passes any size to the database
    (``limit`` or ``offset`` >= 2**63 failed there with "bigint out of range", a 500). Here a bad
    value is a 400 ``invalid_paging`` naming the parameter, and the bounds are those the schema
    declares (``schema_parameters``).
    """

    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _bounded(request, self.limit_query_param, self.default_limit or 50, 1, MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return _bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    @classmethod
    def schema_parameters(cls) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                cls.limit_query_param,
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"Page size, 1 to {MAX_LIMIT} (default 50).",
            ),
            OpenApiParameter(
                cls.offset_query_param,
                {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                description=f"Rows to skip, 0 to {MAX_OFFSET:,}.",
            ),
        ]


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high:
        return int(raw)
    raise ApplicationError(
        "invalid_paging",
        f"{name} must be a whole number from {low} to {high}; you sent “{raw}”.",
        detail={name: raw},
    )
