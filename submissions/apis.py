"""Submissions API: upload, list, one submission, choose the representative (docs/CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.selectors import team_of_user
from challenges.selectors import challenge_get, phase_get, track_get
from lidserver.errors import ApplicationError
from lidserver.pagination import PAGING_PARAMETERS, BoundedLimitOffsetPagination
from submissions.selectors import (
    representative_ids,
    submission_get_for_user,
    submission_to_dict,
    submissions_for_team,
    submissions_for_user,
)
from submissions.serializers import (
    ErrorSerializer,
    SubmissionPageSerializer,
    SubmissionSerializer,
    SubmissionUploadSerializer,
)
from submissions.services import submission_create, submission_set_representative

# 411: a chunked body; 413: over the upload limit (lidserver/upload_limits.py); 503: database unreachable.
_ERRORS = {code: ErrorSerializer for code in (400, 403, 404, 409, 411, 413, 503, 507)}


def _page(view: APIView, request: Request, submissions: Any) -> Response:
    paginator = BoundedLimitOffsetPagination()
    page = paginator.paginate_queryset(submissions, request, view=view) or []
    reps = representative_ids(page)
    return paginator.get_paginated_response(
        [submission_to_dict(sub, viewer=request.user, representatives=reps) for sub in page]
    )


class PhaseSubmissionsApi(APIView):
    """The caller's team's submissions in one phase (GET) and uploading a new one (POST, multipart)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    throttle_scope = "uploads"

    def get_throttles(self) -> list[Any]:
        # Only uploads are rate-limited; reading the list (e.g. polling) is not.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def _phase_and_team(self, request: Request, slug: str, number: int, split: str) -> tuple[Any, Any]:
        challenge = challenge_get(slug=slug)
        phase = phase_get(track=track_get(challenge=challenge, number=number), split=split)
        return phase, team_of_user(user=request.user, challenge=challenge)

    @extend_schema(
        operation_id="phase_submissions_list",
        parameters=PAGING_PARAMETERS,
        responses={200: SubmissionPageSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, team = self._phase_and_team(request, slug, number, split)
        subs = submissions_for_team(team=team, phase=phase) if team is not None else []
        return _page(self, request, subs)

    @extend_schema(
        operation_id="phase_submissions_create",
        request={"multipart/form-data": SubmissionUploadSerializer},
        responses={201: SubmissionSerializer, **_ERRORS},
    )
    def post(self, request: Request, slug: str, number: int, split: str) -> Response:
        phase, team = self._phase_and_team(request, slug, number, split)
        if team is None:
            raise ApplicationError(
                "no_team",
                f"You are not in a team of {phase.track.challenge.short_title}; create or join one at "
                f"/c/{slug}/team/ before submitting.",
                http_status=403,
            )
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
        return Response(submission_to_dict(sub, viewer=request.user), status=status.HTTP_201_CREATED)


class MySubmissionsApi(APIView):
    """Every submission of the caller's teams, newest first."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="my_submissions_list",
        parameters=PAGING_PARAMETERS,
        responses={200: SubmissionPageSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        return _page(self, request, submissions_for_user(user=request.user))


class SubmissionDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="submission_retrieve", responses={200: SubmissionSerializer, 404: ErrorSerializer})
    def get(self, request: Request, submission_id: int) -> Response:
        sub = submission_get_for_user(user=request.user, submission_id=submission_id)
        return Response(submission_to_dict(sub, viewer=request.user))


class SubmissionRepresentativeApi(APIView):
    """Make this scored submission the one that represents the team on the post-challenge board."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="submission_representative_create",
        request=None,
        responses={200: SubmissionSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request, submission_id: int) -> Response:
        sub = submission_get_for_user(user=request.user, submission_id=submission_id)
        sub = submission_set_representative(submission=sub, user=request.user)
        return Response(submission_to_dict(sub, viewer=request.user))
