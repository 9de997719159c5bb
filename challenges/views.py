"""Challenge pages: the list, a challenge, its rules and each track with its two splits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.selectors import team_of_user
from challenges.models import Challenge, ContentPage, Phase, Track
from challenges.pages import markdown_to_html
from challenges.selectors import (
    challenge_get,
    challenge_landing,
    challenge_list,
    content_page_get,
    phase_quota,
    track_get,
)
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
    """The challenge; a missing one is ``NotFound``, the ordinary 404 page (lidserver.middleware)."""
    return challenge_get(slug=slug)


def _track_or_404(challenge: Challenge, number: int) -> Track:
    return track_get(challenge=challenge, number=number)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "challenges/home.html", {"challenges": challenge_list()})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    context = {
        "challenge": challenge,
        "team": team_of_user(user=request.user, challenge=challenge),
        **challenge_landing(challenge=challenge),
    }
    return render(request, "challenges/detail.html", context)


def page(request: HttpRequest, slug: str, page: str) -> HttpResponse:
    """A content page (Overview, Data, Evaluation, Rules, Timeline, Organizers) in sanitized HTML."""
    challenge = challenge_or_404(slug)
    if page not in ContentPage.Kind.values:
        raise NotFound(f"{challenge.short_title} has no page “{page}”.")
    content = content_page_get(challenge=challenge, kind=page)
    context = {
        "challenge": challenge,
        "kind": page,
        "title": ContentPage.Kind(page).label,
        "content": content,
        # Sanitized by markdown_to_html (nh3 allow-list), so it may go into the page as it is.
        "html": SafeString(markdown_to_html(content.body)) if content else "",
    }
    return render(request, "challenges/page.html", context)


def rules(request: HttpRequest, slug: str) -> HttpResponse:
    return page(request, slug, ContentPage.Kind.RULES)


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
    phases = []
    for phase in the_track.phases.all():
        quota = phase_quota(team=team, phase=phase)
        args = [challenge.slug, the_track.number, phase.split]
        phases.append(
            PhaseView(
                phase=phase,
                quota=quota,
                refusal=_upload_refusal(team, phase, quota),
                submit_url=reverse("submissions:upload", args=args),
                submissions_url=reverse("submissions:list", args=args),
                leaderboard_url=reverse("leaderboard:board", args=args),
            )
        )
    context = {"challenge": challenge, "track": the_track, "team": team, "phases": phases}
    return render(request, "challenges/track.html", context)
