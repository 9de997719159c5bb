"""The API's one paginator: limit/offset, bounded and validated before they reach the database.

DRF's own silently falls back on a malformed value and passes an unbounded one on to the query,
where PostgreSQL refuses anything past bigint ("bigint out of range"). Here both are checked.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from lidserver.errors import ApplicationError

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


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


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _bounded(request, self.limit_query_param, self.default_limit or 50, 1, MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return _bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)


PAGING_PARAMETERS: list[Any] = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"Page size, 1 to {MAX_LIMIT} (default 50).",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description=f"Rows to skip, 0 to {MAX_OFFSET:,}.",
    ),
]
