"""Leaderboard API: the stored board as JSON rows, and exports (docs/CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.serializers import PHASE_PATH_PARAMETERS
from leaderboard.exports import FORMATS, leaderboard_export
from leaderboard.models import Board
from leaderboard.selectors import board_check_visible, board_choice, leaderboard_document, phase_for_board
from leaderboard.serializers import LeaderboardSerializer
from lidserver.api import ApiView
from lidserver.schema import error_responses

BOARD_PARAM = OpenApiParameter("board", str, enum=Board.values, description="Default (when left out): official.")
FORMAT_PARAM = OpenApiParameter("format", str, enum=list(FORMATS), description="Default (when left out): csv.")


def _visible_phase(request: Request, slug: str, number: int, split: str) -> tuple[Any, str]:
    phase = phase_for_board(slug=slug, number=number, split=split)
    board = board_choice(request.query_params.get("board"))
    board_check_visible(user=request.user, phase=phase)
    return phase, board


class LeaderboardApi(ApiView):
    """A board, best first: rank, team, uploader, metrics (fractions), 95% interval, verification."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[*PHASE_PATH_PARAMETERS, BOARD_PARAM],
        responses={200: LeaderboardSerializer, **error_responses(403)},
    )
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, board = _visible_phase(request, slug, number, split)
        return Response(LeaderboardSerializer(leaderboard_document(phase=phase, board=board)).data)


class _FormatIsOurs(BaseContentNegotiation):
    """``?format=`` names the export format here, not a DRF renderer: always answer errors in JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


_FILE = OpenApiResponse(OpenApiTypes.STR, description="The board as a file (an attachment), best first.")


class LeaderboardExportApi(ApiView):
    """The board as a file: ``?format=csv|json|md|tex`` (Markdown and LaTeX in the report's shape)."""

    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        parameters=[*PHASE_PATH_PARAMETERS, BOARD_PARAM, FORMAT_PARAM],
        responses={
            (200, "text/csv"): _FILE,
            (200, "application/json"): LeaderboardSerializer,
            (200, "text/markdown"): _FILE,
            (200, "application/x-tex"): _FILE,
            **error_responses(403),
        },
    )
    def get(self, request: Request, slug: str, number: int, split: str) -> HttpResponse:
        phase, board = _visible_phase(request, slug, number, split)
        export = leaderboard_export(phase=phase, board=board, fmt=request.query_params.get("format", "csv"))
        response = HttpResponse(export.content.encode(), content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
