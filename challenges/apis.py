"""Challenge, track and phase API: read-only and public (docs/CONTRACT.md)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import team_of_user
from challenges.selectors import challenge_get, challenge_list, phase_get, phase_manifest, phase_quota, track_get
from challenges.serializers import ChallengeListSerializer, ChallengeSerializer, PhaseDetailSerializer
from lidserver.api import ApiView


class ChallengeListApi(ApiView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: ChallengeListSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(ChallengeListSerializer(challenge_list(), many=True).data)


class ChallengeDetailApi(ApiView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: ChallengeSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(ChallengeSerializer(challenge_get(slug=slug)).data)


class PhaseDetailApi(ApiView):
    """Dates and limits; for a member of a team also the team's quota (else ``"quota": null``)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: PhaseDetailSerializer})
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        challenge = challenge_get(slug=slug)
        phase = phase_get(track=track_get(challenge=challenge, number=number), split=split)
        quota = phase_quota(team=team_of_user(user=request.user, challenge=challenge), phase=phase)
        return Response(PhaseDetailSerializer(phase, context={"quota": quota}).data)


class PhaseManifestApi(ApiView):
    """The split's public manifest: image ids with heights and widths (no pixels, no masks).

    Public like the phase itself (the test images are public; only their masks are hidden); what
    ``lid validate --split`` checks an archive against. 404 ``manifest_unavailable`` before the
    ground truth is loaded.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase = phase_get(track=track_get(challenge=challenge_get(slug=slug), number=number), split=split)
        return Response(phase_manifest(phase=phase))
