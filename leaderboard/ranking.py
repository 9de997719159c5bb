"""The ranking rules, once, as pure functions (no database): who represents a team, ranks and ties,
and which entries are not significantly different.

Every place that ranks calls these: the board refresh (``leaderboard.services``), the API's
``is_representative`` (``submissions.selectors``), the board's rows for pages, JSON, API, exports
and the CLI (``leaderboard.selectors``), and the re-score preview (``leaderboard.standings``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# The mark of an entry that is not significantly different from a neighbour, everywhere it is shown.
SIGNIFICANCE_MARK = "≈"
SIGNIFICANCE_LEGEND = "the 95% interval overlaps a neighbour's: the order of those entries is not significant."


@dataclass(frozen=True)
class Candidate:
    """A scored, visible submission as the ranking sees it."""

    id: int
    team_id: int
    score: float
    created_at: dt.datetime
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Standing:
    rank: int
    candidate: Candidate
    overlaps_next: bool  # its interval overlaps the next entry's (both intervals known)


def order_key(candidate: Candidate) -> tuple[float, dt.datetime, int]:
    """Best score first; on equal scores the earlier submission is listed first."""
    return (-candidate.score, candidate.created_at, candidate.id)


def representatives(candidates: Iterable[Candidate], chosen: Mapping[int, int | None]) -> list[Candidate]:
    """Per team: the submission it chose (``chosen``: team id -> submission id) when that one is among
    ``candidates`` (scored and not hidden), else its best (the earliest on equal scores)."""
    by_team: dict[int, Candidate] = {}
    ordered = sorted(candidates, key=order_key)
    for candidate in ordered:
        by_team.setdefault(candidate.team_id, candidate)
    for candidate in ordered:
        if chosen.get(candidate.team_id) == candidate.id:
            by_team[candidate.team_id] = candidate
    return list(by_team.values())


def ranked(candidates: Iterable[Candidate]) -> list[Standing]:
    """Competition ranking ("1224"): scores 0.9, 0.8, 0.8, 0.7 rank 1, 2, 2, 4; each entry says
    whether its 95% interval overlaps the next entry's."""
    ordered = sorted(candidates, key=order_key)
    ranks: list[int] = []
    rank, previous = 0, None
    for position, candidate in enumerate(ordered, start=1):
        if candidate.score != previous:
            rank, previous = position, candidate.score
        ranks.append(rank)
    overlaps = [_overlap(upper, lower) for upper, lower in zip(ordered, ordered[1:], strict=False)]
    overlaps += [False] * (len(ordered) - len(overlaps))
    return [Standing(r, c, o) for r, c, o in zip(ranks, ordered, overlaps, strict=True)]


def _overlap(upper: Candidate, lower: Candidate) -> bool:
    if upper.ci_low is None or lower.ci_high is None:
        return False
    return upper.ci_low <= lower.ci_high


def not_significant(overlaps_next: Sequence[bool]) -> list[bool]:
    """An entry is not significantly different when its interval overlaps the one above or below it."""
    return [bool(o or (i > 0 and overlaps_next[i - 1])) for i, o in enumerate(overlaps_next)]


def with_score(candidate: Candidate, score: float, ci_low: float | None, ci_high: float | None) -> Candidate:
    return dataclasses.replace(candidate, score=score, ci_low=ci_low, ci_high=ci_high)
