"""Verification API for teams: list the requests to my teams, upload the code for one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from lidserver.api import ApiView
from lidserver.schema import error_responses
from lidserver.user_text import VERIFICATION_INSTRUCTIONS_MAX
from verification import selectors, services
from verification.models import VerificationRequest


class VerificationPhaseSerializer(serializers.Serializer):
    challenge = serializers.CharField()
    track = serializers.IntegerField()
    split = serializers.CharField()


class VerificationTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VerificationRequestSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()

    class Meta:
        model = VerificationRequest
        fields = [
            "id", "phase", "team", "rank_when_requested", "state", "code_archive_name", "code_sha256", "code_size",
            "declared_parameters", "instructions", "requested_at", "uploaded_at", "decided_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(VerificationPhaseSerializer)
    def get_phase(self, obj: VerificationRequest) -> dict:
        track = obj.phase.track
        return VerificationPhaseSerializer(
            {"challenge": track.challenge.slug, "track": track.number, "split": obj.phase.split}
        ).data

    @extend_schema_field(VerificationTeamSerializer)
    def get_team(self, obj: VerificationRequest) -> dict:
        return VerificationTeamSerializer({"id": obj.team_id, "name": obj.team.name}).data


class CodeUploadSerializer(serializers.Serializer):
    archive = serializers.FileField()
    declared_parameters = serializers.IntegerField(min_value=0)
    instructions = serializers.CharField(max_length=VERIFICATION_INSTRUCTIONS_MAX)


class MyVerificationRequestsApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: VerificationRequestSerializer(many=True)})
    def get(self, request: Request) -> Response:
        requests = selectors.verification_requests_for_user(user=request.user)
        return Response(VerificationRequestSerializer(requests, many=True).data)


class VerificationCodeApi(ApiView):
    """POST multipart {archive, declared_parameters, instructions}: the team's code for one request."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=CodeUploadSerializer,
        responses={200: VerificationRequestSerializer, **error_responses(409, 411, 413, 503)},
    )
    def post(self, request: Request, request_id: int) -> Response:
        verification = selectors.verification_get_for_team_member(request_id=request_id, user=request.user)
        serializer = CodeUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification = services.verification_upload_code(
            request=verification, user=request.user, **serializer.validated_data
        )
        return Response(VerificationRequestSerializer(verification).data)
