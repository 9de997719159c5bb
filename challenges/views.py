"""Challenge pages: the list, a challenge, its rules and each track with its two splits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import team_of_user
from challenges.models import Challenge, Phase, Track
from challenges.selectors import challenge_get, challenge_list, phase_quota, track_get
from lidserver.errors import NotFound


@dataclass(frozen=True)
class PhaseView:
    """A phase and what the track page shows about it: links and the team's quota."""

    phase: Phase
    quota: Any
    refusal: Any  # why the team may not upload now (submissions.services.upload_refusal), or None
    submit_url: str
    submissions_url: str
    leaderboard_url: str


def challenge_or_404(slug: str) -> Challenge:
    """Pages answer a missing challenge with the ordinary 404 page (the API keeps the sentence)."""
    try:
        return challenge_get(slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _track_or_404(challenge: Challenge, number: int) -> Track:
    try:
        return track_get(challenge=challenge, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "challenges/home.html", {"challenges": challenge_list()})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    context = {"challenge": challenge, "team": team_of_user(user=request.user, challenge=challenge)}
    return render(request, "challenges/detail.html", context)


def rules(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "challenges/rules.html", {"challenge": challenge_or_404(slug)})


def _upload_refusal(team: Any, phase: Phase, quota: Any) -> Any:
    """The submissions app's answer to "may this team upload now?" (None without a team)."""
    if team is None or quota is None:
        return None
    from submissions.services import upload_refusal  # the submissions app owns the limits

    return upload_refusal(team=team, phase=phase, quota=quota)


def track(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    challenge = challenge_or_404(slug)
    the_track = _track_or_404(challenge, number)
    team = team_of_user(user=request.user, challenge=challenge)
    # Literal paths from docs/CONTRACT.md: the submissions and leaderboard apps own those routes.
    base = f"/c/{challenge.slug}/track/{the_track.number}"
    phases = []
    for phase in the_track.phases.all():
        quota = phase_quota(team=team, phase=phase)
        phases.append(
            PhaseView(
                phase=phase,
                quota=quota,
                refusal=_upload_refusal(team, phase, quota),
                submit_url=f"{base}/{phase.split}/submit/",
                submissions_url=f"{base}/{phase.split}/submissions/",
                leaderboard_url=f"{base}/{phase.split}/leaderboard/",
            )
        )
    context = {"challenge": challenge, "track": the_track, "team": team, "phases": phases}
    return render(request, "challenges/track.html", context)
