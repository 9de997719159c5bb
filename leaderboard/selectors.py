"""Reading leaderboards: stored rows only, a fixed number of queries whatever the number of teams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone

from accounts.roles import user_is_organizer
from challenges.models import Phase
from leaderboard.models import Board, LeaderboardEntry
from lidserver.errors import ApplicationError, NotFound


@dataclass(frozen=True)
class Column:
    key: str  # the key in Submission.metrics
    label: str  # the report's column title
    kind: str  # "pct": a fraction shown in percent; "thr": a threshold 0..255


TRACK_COLUMNS = {
    1: (
        Column("mean_iou", "Mean IoU", "pct"),
        Column("mean_accuracy", "Mean Accuracy", "pct"),
        Column("pixel_accuracy", "Pixel Accuracy", "pct"),
    ),
    3: (Column("peak_iou", "Peak-IoU", "pct"), Column("peak_threshold", "Peak-Threshold", "thr")),
}
TRACK_COLUMNS[2] = TRACK_COLUMNS[1]


def format_metric(value: Any, kind: str) -> str:
    """Percent with two decimals for fractions (as in the report); a plain integer for thresholds."""
    if value is None:
        return "–"
    if kind == "thr":
        # The threshold is an integer t in 0..255; accept it stored as t/255 too.
        number = float(value)
        return str(round(number * 255) if 0 < number < 1 else round(number))
    return f"{float(value) * 100:.2f}"


def phase_for_board(*, slug: str, number: int, split: str) -> Phase:
    try:
        return Phase.objects.select_related("track__challenge").get(
            track__challenge__slug=slug, track__number=number, split=split
        )
    except Phase.DoesNotExist:
        raise NotFound("There is no such leaderboard; check the challenge, track number and split.") from None


def board_choice(value: str | None) -> str:
    board = value or Board.OFFICIAL
    if board not in Board.values:
        raise ApplicationError("invalid_board", "The board must be 'official' or 'post'.")
    return board


def board_check_visible(*, user: Any, phase: Phase) -> None:
    """Organizers always see a board; others only once it is public (before the deadline if configured)."""
    if user_is_organizer(user) or phase.leaderboard_public_before_deadline or phase.is_past_deadline():
        return
    raise ApplicationError(
        "leaderboard_hidden",
        f"This leaderboard is hidden until the deadline ({phase.ends_at:%Y-%m-%d %H:%M} UTC); come back then.",
        http_status=403,
    )


def board_version(*, phase: Phase, board: str) -> str:
    """A cheap fingerprint of a stored board: it changes whenever the board is refreshed."""
    agg = LeaderboardEntry.objects.filter(phase=phase, board=board).aggregate(last=Max("updated_at"), n=Count("id"))
    last = agg["last"].timestamp() if agg["last"] else 0
    frozen = phase.frozen_at.timestamp() if phase.frozen_at else 0
    return f"{phase.pk}-{board}-{agg['n']}-{last:.6f}-{frozen:.0f}"


def _row(entry: LeaderboardEntry, columns: tuple[Column, ...]) -> dict[str, Any]:
    sub = entry.submission
    metrics = sub.metrics or {}
    return {
        "rank": entry.rank,
        "team": {"id": entry.team_id, "name": entry.team.name, "affiliation": entry.team.affiliation},
        "username": sub.uploaded_by.username if sub.uploaded_by else "",
        "submission": sub.pk,
        "score": entry.score,
        "metrics": {c.key: metrics.get(c.key) for c in columns},
        "ci": [entry.ci_low, entry.ci_high] if entry.ci_low is not None and entry.ci_high is not None else None,
        "overlaps_next": entry.overlaps_next,
        "not_significant": False,  # set below: overlaps the previous or the next entry
        "submitted_at": sub.created_at.isoformat().replace("+00:00", "Z"),
        "submissions_used": entry.submissions_used,
        "method_name": sub.method_name,
        "method_description": sub.method_description,
        "verification": entry.verification_state or None,
    }


def leaderboard_rows(*, phase: Phase, board: str) -> list[dict[str, Any]]:
    """The stored board as plain rows, best first: one query."""
    columns = TRACK_COLUMNS[phase.track.number]
    entries = (
        LeaderboardEntry.objects.filter(phase=phase, board=board)
        .select_related("team", "submission__uploaded_by")
        .only(
            "rank",
            "score",
            "ci_low",
            "ci_high",
            "overlaps_next",
            "submissions_used",
            "verification_state",
            "team_id",
            "team__name",
            "team__affiliation",
            "submission__id",
            "submission__metrics",
            "submission__created_at",
            "submission__method_name",
            "submission__method_description",
            "submission__uploaded_by__username",
        )
        .order_by("rank", "submission__created_at", "pk")
    )
    rows = [_row(e, columns) for e in entries]
    for i, row in enumerate(rows):
        previous = rows[i - 1]["overlaps_next"] if i else False
        row["not_significant"] = bool(row["overlaps_next"] or previous)
    return rows


def board_curves(*, phase: Phase, board: str, top: int) -> list[dict[str, Any]]:
    """Figure 1: the IoU-threshold curves of the ``top`` best entries, with each peak."""
    entries = (
        LeaderboardEntry.objects.filter(phase=phase, board=board)
        .select_related("team", "submission")
        .only("rank", "team__name", "submission__curve", "submission__metrics")
        .order_by("rank", "submission__created_at", "pk")[: max(1, min(top, 20))]
    )
    return [curve_series(f"{e.rank}. {e.team.name}", e.submission) for e in entries if e.submission.curve]


def curve_series(label: str, submission: Any) -> dict[str, Any]:
    values = (submission.curve or {}).get("mean") or []
    peak = max(range(len(values)), key=lambda t: (values[t], -t)) if values else None
    return {"label": label, "values": values, "peak": peak}


def board_is_live(phase: Phase, board: str) -> bool:
    """Whether a board still changes when new scores land (the frozen official board does not)."""
    return not (board == Board.OFFICIAL and (phase.is_frozen or phase.ends_at <= timezone.now()))
