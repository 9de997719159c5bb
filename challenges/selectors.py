"""Reading challenges, tracks and phases, and a team's quota in a phase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from challenges.models import Challenge, ContentPage, Phase, Track
from lidserver.errors import ApplicationError, NotFound
from submissions.selectors import team_quota


def challenge_list() -> QuerySet[Challenge]:
    return Challenge.objects.order_by("-created_at", "slug").prefetch_related(_tracks_with_phases())


def _tracks_with_phases() -> Prefetch:
    return Prefetch(
        "tracks",
        queryset=Track.objects.order_by("number").prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("-split"))  # val, then test
        ),
    )


def challenge_get(*, slug: str) -> Challenge:
    """The challenge with its tracks and phases prefetched, or a 404."""
    challenge = Challenge.objects.filter(slug=slug).prefetch_related(_tracks_with_phases()).first()
    if challenge is None:
        raise NotFound(f"There is no challenge “{slug}”.")
    return challenge


def track_get(*, challenge: Challenge, number: int) -> Track:
    for track in challenge.tracks.all():  # prefetched by challenge_get
        if track.number == number:
            return track
    raise NotFound(f"{challenge.short_title} has no track {number}; its tracks are 1, 2 and 3.")


def phase_get(*, track: Track, split: str) -> Phase:
    for phase in track.phases.all():
        if phase.split == split:
            return phase
    raise NotFound(f"Track {track.number} has no “{split}” split; use val or test.")


def phase_quota(*, team: Any, phase: Phase) -> Any | None:
    """The team's submission quota in this phase (``submissions.selectors.team_quota``); None without a team."""
    if team is None:
        return None
    return team_quota(team=team, phase=phase)


def phase_manifest(*, phase: Phase) -> dict[str, Any]:
    """The phase's public manifest (image ids, heights, widths; ``evaluation.manifest``'s document).

    From the ids and sizes saved when the ground truth was loaded: the web process never opens the
    ground-truth store. A 404 ``manifest_unavailable`` until the ground truth is loaded (or when it
    was loaded before sizes were recorded: loading it again records them).
    """
    from challenges.models import GroundTruthNames
    from evaluation.manifest import Manifest

    row = GroundTruthNames.objects.filter(phase=phase).first() if phase.ground_truth_path else None
    if row is None or not row.names or len(row.sizes) != len(row.names):
        raise ApplicationError(
            "manifest_unavailable",
            f"The image list of track {phase.track.number} {phase.split} is not published yet; "
            "check the archive without it, or ask the organizers for the manifest file.",
            http_status=404,
        )
    sizes = {str(name): (int(h), int(w)) for name, (h, w) in zip(row.names, row.sizes, strict=True)}
    return Manifest(phase.track.number, sizes, phase.track.challenge.slug, phase.split).to_dict()


def content_page_get(*, challenge: Challenge, kind: str) -> ContentPage | None:
    """The challenge's page of this kind, or None when the organizers have not written it."""
    return ContentPage.objects.filter(challenge=challenge, kind=kind).first()


@dataclass(frozen=True)
class LandingTrack:
    track: Track
    phases: list[Phase]
    official: Phase | None  # the phase whose official top 3 is shown: the test split
    top: list[dict[str, Any]]  # up to 3 stored official rows of that phase, best first
    hidden: bool  # the board is not public yet


def challenge_landing(*, challenge: Challenge, now: Any = None) -> dict[str, Any]:
    """What the challenge's front page shows: per track its phases, the test board's top 3 (stored
    rows), and how many teams and submissions there are. Three queries whatever the size of the
    challenge (the tracks and phases come prefetched with the challenge)."""
    from leaderboard.models import Board, LeaderboardEntry  # the leaderboard app owns its rows
    from submissions.models import COUNTED_STATUSES, Submission

    now = now or timezone.now()
    top_rows = (
        LeaderboardEntry.objects.filter(
            phase__track__challenge=challenge, phase__split=Phase.Split.TEST, board=Board.OFFICIAL, rank__lte=3
        )
        .select_related("team")
        .only("phase_id", "rank", "score", "verification_state", "team__name", "team__affiliation")
        .order_by("rank", "pk")
    )
    from leaderboard.selectors import format_metric
    from verification.models import VerificationRequest

    labels = dict(VerificationRequest.State.choices)
    by_phase: dict[int, list[dict[str, Any]]] = {}
    for row in top_rows:
        by_phase.setdefault(row.phase_id, []).append(
            {
                "rank": row.rank,
                "team": row.team,
                "score_text": format_metric(row.score, "pct"),
                "verification_state": row.verification_state,
                "verification_label": labels.get(row.verification_state, ""),
            }
        )
    tracks = []
    for track in challenge.tracks.all():
        phases = list(track.phases.all())
        official = next((p for p in phases if p.split == Phase.Split.TEST), None)
        hidden = official is not None and not (
            official.leaderboard_public_before_deadline or official.is_past_deadline(now)
        )
        top = [] if official is None or hidden else by_phase.get(official.pk, [])[:3]
        tracks.append(LandingTrack(track=track, phases=phases, official=official, top=top, hidden=hidden))
    return {
        "tracks": tracks,
        "team_count": challenge.teams.count(),
        # Counted submissions: the ones that use a slot (one home for that rule: submissions.models).
        "submission_count": Submission.objects.filter(
            phase__track__challenge=challenge, status__in=COUNTED_STATUSES
        ).count(),
    }
