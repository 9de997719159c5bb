"""Leaderboard API: the stored board as JSON rows, and exports (docs/CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from leaderboard.exports import FORMATS, leaderboard_export
from leaderboard.selectors import board_check_visible, board_choice, leaderboard_rows, phase_for_board
from lidserver.api import ApiView

BOARD_PARAM = OpenApiParameter("board", str, enum=["official", "post"], description="Default: official.")


def _visible_phase(request: Request, slug: str, number: int, split: str) -> tuple[Any, str]:
    phase = phase_for_board(slug=slug, number=number, split=split)
    board = board_choice(request.query_params.get("board"))
    board_check_visible(user=request.user, phase=phase)
    return phase, board


class LeaderboardApi(ApiView):
    """A board, best first: rank, team, uploader, metrics (fractions), 95% interval, verification."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[BOARD_PARAM], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, board = _visible_phase(request, slug, number, split)
        frozen = phase.frozen_at.isoformat().replace("+00:00", "Z") if phase.frozen_at else None
        return Response(
            {
                "challenge": slug,
                "track": number,
                "split": split,
                "board": board,
                "frozen_at": frozen,
                "rows": leaderboard_rows(phase=phase, board=board),
            }
        )


class _FormatIsOurs(BaseContentNegotiation):
    """``?format=`` names the export format here, not a DRF renderer: always answer errors in JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class LeaderboardExportApi(ApiView):
    """The board as a file: ``?format=csv|json|md|tex`` (Markdown and LaTeX in the report's shape)."""

    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        parameters=[BOARD_PARAM, OpenApiParameter("format", str, enum=list(FORMATS), description="Default: csv.")],
        responses={200: OpenApiTypes.STR},
    )
    def get(self, request: Request, slug: str, number: int, split: str) -> HttpResponse:
        phase, board = _visible_phase(request, slug, number, split)
        export = leaderboard_export(phase=phase, board=board, fmt=request.query_params.get("format", "csv"))
        response = HttpResponse(export.content.encode(), content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
