"""Reading scored submissions side by side: per-class IoU (tracks 1-2) and curves (track 3)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Membership
from accounts.roles import user_is_organizer
from evaluation import TRACKS
from leaderboard.models import Board, LeaderboardEntry
from leaderboard.selectors import board_check_visible, curve_series
from lidserver.errors import ApplicationError, NotFound
from submissions.models import Status, Submission

MAX_COMPARED = 12


def class_names(track_number: int, count: int) -> list[str]:
    """The scoring core's class names for the track; numbered placeholders if it has none."""
    names = list(TRACKS[track_number].class_names) if track_number in TRACKS else []
    return [names[i] if i < len(names) else f"class {i}" for i in range(count)]


def parse_ids(values: Iterable[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        if not value.strip().isdigit():
            raise ApplicationError("invalid_ids", f"'{value}' is not a submission number; use ?s=12&s=34.")
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ApplicationError("invalid_ids", "Pick at least one scored submission to show (?s=12&s=34).")
    if len(ids) > MAX_COMPARED:
        raise ApplicationError("invalid_ids", f"Compare at most {MAX_COMPARED} submissions at once.")
    return ids


def compared_submissions(*, user: Any, ids: list[int]) -> list[Submission]:
    """The scored submissions ``user`` may see, in the order asked; 404 if any is missing or hidden to them.

    Organizers see every submission; anyone else their own team's and those that are rows of a
    leaderboard they may see (the public board's rows, whose scores are public already).
    """
    qs = Submission.objects.filter(pk__in=ids, status=Status.SCORED).select_related(
        "team", "uploaded_by", "phase__track__challenge"
    )
    found = {s.pk: s for s in qs}
    if not user_is_organizer(user):
        allowed = _own_ids(user, found) | _on_visible_board_ids(user, found)
        found = {pk: s for pk, s in found.items() if pk in allowed}
    if len(found) != len(ids):
        raise NotFound(
            "One of these submissions does not exist, is not scored yet, or is neither your team's "
            "nor on a public leaderboard."
        )
    subs = [found[i] for i in ids]
    tracks = {(s.phase.track.challenge_id, s.phase.track.number) for s in subs}
    if len(tracks) > 1:
        raise ApplicationError(
            "mixed_tracks", "These submissions belong to different tracks; compare one track at a time."
        )
    return subs


def _own_ids(user: Any, found: dict[int, Submission]) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not found:
        return set()
    teams = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    return {pk for pk, s in found.items() if s.team_id in teams}


def _on_visible_board_ids(user: Any, found: dict[int, Submission]) -> set[int]:
    if not found:
        return set()
    on_boards = set(LeaderboardEntry.objects.filter(submission_id__in=found).values_list("submission_id", flat=True))
    visible = set()
    for pk in on_boards:
        try:
            board_check_visible(user=user, phase=found[pk].phase)
        except ApplicationError:
            continue
        visible.add(pk)
    return visible


def compare_url(ids: Iterable[int]) -> str:
    """The comparison page of these submissions, in this order (at most MAX_COMPARED)."""
    unique = list(dict.fromkeys(ids))[:MAX_COMPARED]
    return reverse("leaderboard:compare") + "?" + urlencode([("s", i) for i in unique])


def top_ids(*, user: Any, phase: Any, count: int = 3) -> list[int]:
    """The submissions of the ``count`` best rows of the official board, if ``user`` may see it."""
    try:
        board_check_visible(user=user, phase=phase)
    except ApplicationError:
        return []
    rows = (
        LeaderboardEntry.objects.filter(phase=phase, board=Board.OFFICIAL)
        .order_by("rank", "submission__created_at", "pk")
        .values_list("submission_id", flat=True)
    )
    return list(rows[:count])


def _spread(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    if len(present) < 2:
        return None
    if len(values) == 2:
        return present[1] - present[0]  # the second minus the first, as the column says
    return max(present) - min(present)


def per_class_rows(subs: list[Submission]) -> list[dict[str, Any]]:
    """One row per class: each submission's IoU and the difference; biggest differences first."""
    ious = [(s.per_class or {}).get("iou") or [] for s in subs]
    count = max((len(v) for v in ious), default=0)
    names = class_names(subs[0].phase.track.number, count)
    rows = []
    for index in range(count):
        values = [v[index] if index < len(v) else None for v in ious]
        rows.append({"index": index, "name": names[index], "values": values, "difference": _spread(values)})
    rows.sort(key=_row_order)
    return rows


def _row_order(row: dict[str, Any]) -> tuple[float, int]:
    difference = row["difference"]
    return (-abs(difference) if difference is not None else math.inf, row["index"])


def compared_curves(subs: list[Submission]) -> list[dict[str, Any]]:
    return [curve_series(f"#{s.pk} {s.team.name}", s) for s in subs if s.curve]
