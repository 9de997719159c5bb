"""Submissions API: upload, list, one submission, choose the representative (docs/CONTRACT.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.selectors import team_of_user
from challenges.selectors import challenge_get, phase_get, track_get
from challenges.serializers import PHASE_PATH_PARAMETERS
from lidserver.api import ApiPagination, ApiView
from lidserver.errors import ApplicationError
from lidserver.schema import error_responses
from submissions.precheck import upload_check
from submissions.selectors import (
    representative_ids,
    submission_get_for_user,
    submissions_for_team,
    submissions_for_user,
)
from submissions.serializers import (
    SubmissionCheckQuotaSerializer,
    SubmissionCheckResultSerializer,
    SubmissionPageSerializer,
    SubmissionSerializer,
    SubmissionUploadSerializer,
)
from submissions.services import submission_create, submission_set_representative


def _page(view: ApiView, request: Request, submissions: Any) -> Response:
    paginator = ApiPagination()
    page = paginator.paginate_queryset(submissions, request, view=view) or []
    context = {"representatives": representative_ids(page)}
    return paginator.get_paginated_response(SubmissionSerializer(page, many=True, context=context).data)


def _no_team_error(phase: Any, slug: str) -> ApplicationError:
    return ApplicationError(
        "no_team",
        f"You are not in a team of {phase.track.challenge.short_title}; create or join one at "
        f"{reverse('accounts:team', args=[slug])} before submitting.",
        http_status=403,
    )


def _phase_and_team(request: Request, slug: str, number: int, split: str) -> tuple[Any, Any]:
    challenge = challenge_get(slug=slug)
    phase = phase_get(track=track_get(challenge=challenge, number=number), split=split)
    return phase, team_of_user(user=request.user, challenge=challenge)


class PhaseSubmissionsApi(ApiView):
    """The caller's team's submissions in one phase (GET) and uploading a new one (POST, multipart)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    throttle_scope = "uploads"

    def get_throttles(self) -> list[Any]:
        # Only uploads are rate-limited; reading the list (e.g. polling) is not.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="phase_submissions_list",
        parameters=[*PHASE_PATH_PARAMETERS, *ApiPagination.schema_parameters()],
        responses={200: SubmissionPageSerializer},
    )
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, team = _phase_and_team(request, slug, number, split)
        subs = submissions_for_team(team=team, phase=phase) if team is not None else []
        return _page(self, request, subs)

    @extend_schema(
        operation_id="phase_submissions_create",
        parameters=PHASE_PATH_PARAMETERS,
        request={"multipart/form-data": SubmissionUploadSerializer},
        responses={201: SubmissionSerializer, **error_responses(403, 409, 411, 413, 503, 507)},
    )
    def post(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, team = _phase_and_team(request, slug, number, split)
        if team is None:
            raise _no_team_error(phase, slug)
        form = SubmissionUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        sub = submission_create(
            phase=phase,
            team=team,
            user=request.user,
            uploaded_file=data["archive"],
            method_name=data["method_name"],
            method_description=data["method_description"],
            declared_parameters=data["declared_parameters"],
        )
        # Not re-read through the membership check: a member who left after the insert is still
        # told what was stored for the team.
        return Response(SubmissionSerializer(sub).data, status=status.HTTP_201_CREATED)


class PhaseSubmissionCheckApi(ApiView):
    """Check an upload's fields and the team's slot before sending the archive (nothing is stored).

    Send the same fields as the upload, without the archive (its size in bytes as ``archive_size``
    if known). The answer is 200 whatever the verdict: ``errors`` names each field that would be
    refused, in plain words; ``refusal`` says why no upload is possible now (limit reached, with
    the next slot's date when one will open), as the upload itself would answer.
    """

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]

    @extend_schema(
        operation_id="phase_submissions_check",
        parameters=PHASE_PATH_PARAMETERS,
        # Any object: the answer is 200 whatever the fields hold, with each problem in ``errors``.
        request={"application/json": OpenApiTypes.OBJECT, "multipart/form-data": OpenApiTypes.OBJECT},
        responses={200: SubmissionCheckResultSerializer, **error_responses(403)},
    )
    def post(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, team = _phase_and_team(request, slug, number, split)
        if team is None:
            raise _no_team_error(phase, slug)
        if not isinstance(request.data, Mapping):
            raise ApplicationError(
                "invalid", "Send the upload's fields as one JSON object (or a form), without the archive."
            )
        check = upload_check(team=team, phase=phase, data=request.data)
        refusal = check.refusal
        body = {
            "ok": check.ok,
            "errors": check.errors,
            "can_submit": check.can_submit,
            "refusal": None
            if refusal is None
            else {"code": refusal.code, "message": refusal.message, "detail": refusal.detail},
            "quota": SubmissionCheckQuotaSerializer(check.quota).data,
        }
        return Response(body)


class MySubmissionsApi(ApiView):
    """Every submission of the caller's teams, newest first."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="my_submissions_list",
        parameters=ApiPagination.schema_parameters(),
        responses={200: SubmissionPageSerializer},
    )
    def get(self, request: Request) -> Response:
        return _page(self, request, submissions_for_user(user=request.user))


class SubmissionDetailApi(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="submission_retrieve", responses={200: SubmissionSerializer})
    def get(self, request: Request, submission_id: int) -> Response:
        sub = submission_get_for_user(user=request.user, submission_id=submission_id)
        return Response(SubmissionSerializer(sub).data)


class RepresentativeSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Needed (true) when the choice would drop the team's rank; without it the answer is 409.",
    )


class SubmissionRepresentativeApi(ApiView):
    """Make this scored submission the one that represents the team on the post-challenge board."""

    permission_classes = [permissions.IsAuthenticated]
    # A JSON object (or no body): ``{"confirm": true}`` when the choice would drop the team's rank.
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        operation_id="submission_representative_create",
        request=RepresentativeSerializer,
        responses={200: SubmissionSerializer, **error_responses(409)},
    )
    def post(self, request: Request, submission_id: int) -> Response:
        sub = submission_get_for_user(user=request.user, submission_id=submission_id)
        options = RepresentativeSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        sub = submission_set_representative(
            submission=sub, user=request.user, confirm=options.validated_data["confirm"]
        )
        return Response(SubmissionSerializer(sub).data)
