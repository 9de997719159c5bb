"""Account, token and team API: parse, call a service or selector, render (docs/CONTRACT.md)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import Team
from accounts.selectors import team_get_visible, user_teams
from accounts.serializers import (
    MeSerializer,
    TeamCreateSerializer,
    TeamJoinSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from challenges.selectors import challenge_get
from lidserver.api import ApiView
from lidserver.errors import ApplicationError
from lidserver.schema import error_responses


class TokenApi(ApiView):
    """POST {username, password} -> {"token"}; DELETE revokes the caller's token."""

    def get_authenticators(self):  # type: ignore[no-untyped-def]
        # Asking for a token checks the password only: a stale token or session sent along by a
        # client must not turn the request into a 401 (or a CSRF 403) before the password is read.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        examples=[OpenApiExample("Credentials", {"username": "alice", "password": "your password"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise ApplicationError(
                "invalid_credentials",
                "The username or password is not correct.",
                http_status=status.HTTP_400_BAD_REQUEST,
            )
        token = services.token_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        user = request.user
        data = {"id": user.pk, "username": user.username, "email": user.email, "teams": user_teams(user=user)}
        return Response(MeSerializer(data).data)


def _team_response(request: Request, team: Team, status_code: int = status.HTTP_200_OK) -> Response:
    team.refresh_from_db()
    return Response(TeamSerializer(team, context={"request": request}).data, status=status_code)


class TeamCreateApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=TeamCreateSerializer,
        responses={201: TeamSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "A team", {"name": "Alpha Vision", "affiliation": "University of Example"}, request_only=True
            )
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug)
        serializer = TeamCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_create(user=request.user, challenge=challenge, **serializer.validated_data)
        return _team_response(request, team, status.HTTP_201_CREATED)


class TeamDetailApi(ApiView):
    """Members (and organizers) see the whole team; anyone else gets 404, as for a missing id."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: TeamSerializer})
    def get(self, request: Request, team_id: int) -> Response:
        return _team_response(request, team_get_visible(team_id=team_id, user=request.user))


class TeamJoinApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=TeamJoinSerializer,
        responses={200: TeamSerializer, **error_responses(404, 409)},
        examples=[
            OpenApiExample("An invite code", {"invite_code": "the code from your captain's link"}, request_only=True)
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TeamJoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_join(user=request.user, invite_code=serializer.validated_data["invite_code"])
        return _team_response(request, team)


class TeamLeaveApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, team_id: int) -> Response:
        team = team_get_visible(team_id=team_id, user=request.user)
        services.team_leave(user=request.user, team=team)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TeamSerializer})
    def delete(self, request: Request, team_id: int, user_id: int) -> Response:
        team = team_get_visible(team_id=team_id, user=request.user)
        team = services.team_remove_member(actor=request.user, team=team, user_id=user_id)
        return _team_response(request, team)


class TeamInviteCodeApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TeamSerializer})
    def post(self, request: Request, team_id: int) -> Response:
        team = team_get_visible(team_id=team_id, user=request.user)
        team = services.team_regenerate_invite_code(actor=request.user, team=team)
        return _team_response(request, team)
