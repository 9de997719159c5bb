"""Reading verification requests: the team's own, the verifiers' queue, one request by role."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Membership, Team
from accounts.roles import user_is_verifier
from lidserver.errors import NotFound
from verification.models import VerificationRequest

_RELATED = ("team", "phase__track__challenge", "submission", "uploaded_by", "decided_by")


def verification_requests_for_team(team: Team) -> QuerySet[VerificationRequest]:
    """The team's requests, newest phase first; a team page shows a banner for those still open."""
    return VerificationRequest.objects.select_related(*_RELATED).filter(team=team).order_by("-requested_at")


def verification_requests_for_user(*, user: Any) -> QuerySet[VerificationRequest]:
    """Requests to every team the user belongs to (one team per challenge)."""
    if not getattr(user, "is_authenticated", False):
        return VerificationRequest.objects.none()
    teams = Membership.objects.filter(user=user).values("team_id")
    return VerificationRequest.objects.select_related(*_RELATED).filter(team_id__in=teams).order_by("-requested_at")


def verification_queue(*, state: str = "") -> QuerySet[VerificationRequest]:
    """Every request for verifiers: the ones waiting on a verifier (code uploaded) first."""
    requests = VerificationRequest.objects.select_related(*_RELATED).order_by(
        "phase__track__challenge__slug", "phase__track__number", "phase__split", "rank_when_requested", "pk"
    )
    return requests.filter(state=state) if state else requests


def verification_get_for_team_member(*, request_id: int, user: Any) -> VerificationRequest:
    """A request the user's team received; anyone else gets the same 404 as a missing id."""
    request = VerificationRequest.objects.select_related(*_RELATED).filter(pk=request_id).first()
    if (
        request is None
        or not Membership.objects.filter(team_id=request.team_id, user_id=getattr(user, "pk", None)).exists()
    ):
        raise NotFound("No verification request with this id for your team.")
    return request


def verification_get_for_verifier(*, request_id: int, user: Any) -> VerificationRequest:
    request = VerificationRequest.objects.select_related(*_RELATED).filter(pk=request_id).first()
    if request is None or not user_is_verifier(user):
        raise NotFound("No verification request with this id.")
    return request
