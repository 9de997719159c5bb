"""Reading scored submissions side by side: per-class IoU (tracks 1-2) and curves (track 3)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from accounts.roles import user_is_organizer
from evaluation import TRACKS
from leaderboard.selectors import curve_series
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
    """The scored submissions ``user`` may see, in the order asked; 404 if any is missing or not theirs."""
    qs = Submission.objects.filter(pk__in=ids, status=Status.SCORED).select_related(
        "team", "uploaded_by", "phase__track__challenge"
    )
    if not user_is_organizer(user):
        if not getattr(user, "is_authenticated", False):
            raise NotFound("Log in to compare your team's submissions.")
        qs = qs.filter(team__memberships__user=user)
    found = {s.pk: s for s in qs}
    if len(found) != len(ids):
        raise NotFound("One of these submissions does not exist, is not scored yet, or is not your team's.")
    subs = [found[i] for i in ids]
    tracks = {(s.phase.track.challenge_id, s.phase.track.number) for s in subs}
    if len(tracks) > 1:
        raise ApplicationError(
            "mixed_tracks", "These submissions belong to different tracks; compare one track at a time."
        )
    return subs


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
