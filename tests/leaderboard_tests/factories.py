"""Scored submissions for leaderboard tests, made without running the scoring core."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone

from challenges.models import Phase
from leaderboard.services import leaderboard_refresh
from submissions.models import Status, Submission
from tests.support.factories import PhaseFactory, SubmissionFactory, TeamFactory, TrackFactory, UserFactory

_counter = [0]


def scored_submission(
    *,
    phase: Phase,
    team: Any,
    score: float,
    created_at: dt.datetime | None = None,
    ci: tuple[float, float] | None = None,
    status: str = Status.SCORED,
    **fields: Any,
) -> Submission:
    """A submission with the track's metrics derived from ``score`` (the key metric)."""
    _counter[0] += 1
    track = phase.track.number
    if track == 3:
        peak_t = fields.pop("peak_threshold", 96)
        metrics = {"peak_iou": score, "peak_threshold": peak_t}
        # A smooth bump whose maximum, ``score``, sits at ``peak_t`` (like real IoU-threshold curves).
        mean = [score * math.exp(-(((t - peak_t) / 90) ** 2)) for t in range(256)]
        curve = fields.pop("curve", None) or {"mean": mean, "pixel": mean}
        per_class = None
    else:
        metrics = {"mean_iou": score, "mean_accuracy": min(1.0, score + 0.1), "pixel_accuracy": min(1.0, score + 0.3)}
        curve = None
        per_class = fields.pop("per_class", None)
    if created_at is not None:
        fields["created_at"] = created_at
    return SubmissionFactory(
        phase=phase,
        team=team,
        uploaded_by=fields.pop("uploaded_by", None) or team.captain,
        method_name=fields.pop("method_name", f"Method {_counter[0]}"),
        status=status,
        score=score if status == Status.SCORED else None,
        metrics=metrics if status == Status.SCORED else {},
        curve=curve if status == Status.SCORED else None,
        per_class=per_class,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        **fields,
    )


def board_with_teams(count: int, *, track: int = 1, refresh: bool = True, names: list[str] | None = None) -> Phase:
    """A test phase with ``count`` teams, one scored submission each (score 0.500, 0.499, ...).

    On track 3 team i's curve peaks at threshold 40 + 20 * i.
    """
    phase = PhaseFactory(track=TrackFactory(number=track))
    for i in range(count):
        captain = UserFactory(username=f"u{track}_{i}_{_counter[0]}")
        team = TeamFactory(captain=captain, name=names[i]) if names else TeamFactory(captain=captain)
        extra = {"peak_threshold": 40 + 20 * i} if track == 3 else {}
        ci = (0.45 - i / 1000, 0.55 - i / 1000)
        scored_submission(phase=phase, team=team, score=0.5 - i / 1000, ci=ci, **extra)
    if refresh:
        leaderboard_refresh(phase=phase)
    return phase


def past_deadline(phase: Phase, *, days_ago: int = 1) -> Phase:
    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() - dt.timedelta(days=days_ago))
    phase.refresh_from_db()
    return phase
