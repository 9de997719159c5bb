"""Challenge pages: the list, a challenge, its rules and each track with its two splits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.selectors import team_of_user
from challenges.models import Challenge, Phase, Track
from challenges.selectors import challenge_get, challenge_list, phase_quota, track_get


@dataclass(frozen=True)
class PhaseView:
    """A phase and what the track page shows about it: links and the team's quota."""

    phase: Phase
    quota: Any
    submit_url: str
    submissions_url: str
    leaderboard_url: str


def challenge_or_404(slug: str) -> Challenge:
    """The challenge; a missing one is ``NotFound``, the ordinary 404 page (lidserver.middleware)."""
    return challenge_get(slug=slug)


def _track_or_404(challenge: Challenge, number: int) -> Track:
    return track_get(challenge=challenge, number=number)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "challenges/home.html", {"challenges": challenge_list()})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    context = {"challenge": challenge, "team": team_of_user(user=request.user, challenge=challenge)}
    return render(request, "challenges/detail.html", context)


def rules(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "challenges/rules.html", {"challenge": challenge_or_404(slug)})


def track(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    challenge = challenge_or_404(slug)
    the_track = _track_or_404(challenge, number)
    team = team_of_user(user=request.user, challenge=challenge)
    phases = []
    for phase in the_track.phases.all():
        args = [challenge.slug, the_track.number, phase.split]
        phases.append(
            PhaseView(
                phase=phase,
                quota=phase_quota(team=team, phase=phase),
                submit_url=reverse("submissions:upload", args=args),
                submissions_url=reverse("submissions:list", args=args),
                leaderboard_url=reverse("leaderboard:board", args=args),
            )
        )
    context = {"challenge": challenge, "track": the_track, "team": team, "phases": phases}
    return render(request, "challenges/track.html", context)
