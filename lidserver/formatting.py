"""How the server writes scores for people: one formatter for pages, e-mails, admin, commands and exports.

Fractions are shown in percent with two decimals, as the LID 2020 report's tables print them
(0.61234 -> "61.23"); a missing or undefined value is an en dash. A track's metric columns follow
the kind of the track in ``evaluation.TRACKS`` (segmentation or localization), key metric first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from evaluation import TRACKS

MISSING = "–"


@dataclass(frozen=True)
class Column:
    key: str  # the key in Submission.metrics
    label: str  # the report's column title
    kind: str  # "pct": a fraction shown in percent; "thr": a threshold 0..255


_COLUMNS = {
    "segmentation": (
        Column("mean_iou", "Mean IoU", "pct"),
        Column("mean_accuracy", "Mean Accuracy", "pct"),
        Column("pixel_accuracy", "Pixel Accuracy", "pct"),
    ),
    "localization": (Column("peak_iou", "Peak-IoU", "pct"), Column("peak_threshold", "Peak-Threshold", "thr")),
}


def track_columns(number: int) -> tuple[Column, ...]:
    """The metric columns of a track, its key metric first.

    >>> [c.key for c in track_columns(3)]
    ['peak_iou', 'peak_threshold']
    """
    spec = TRACKS[number]
    columns = _COLUMNS[spec.kind]
    assert columns[0].key == spec.key_metric
    return columns


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def percent(value: Any) -> str:
    """A fraction in percent with two decimals; an en dash when missing, NaN or infinite.

    >>> percent(0.61234), percent(None), percent(float("nan")), percent(1)
    ('61.23', '–', '–', '100.00')
    """
    number = _number(value)
    return MISSING if number is None else f"{number * 100:.2f}"


def metric_text(value: Any, kind: str) -> str:
    """A metric as its column shows it: percent for fractions, a plain integer for thresholds.

    >>> metric_text(0.5, "pct"), metric_text(96, "thr"), metric_text(None, "thr")
    ('50.00', '96', '–')
    """
    if kind != "thr":
        return percent(value)
    number = _number(value)
    if number is None:
        return MISSING
    # The threshold is an integer t in 0..255; accept it stored as t/255 too.
    return str(round(number * 255) if 0 < number < 1 else round(number))
