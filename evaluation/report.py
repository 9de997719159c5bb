"""The readable summary printed by ``python -m evaluation score`` (percent, two decimals)."""

from __future__ import annotations

from typing import Any

from evaluation.tracks import TrackSpec


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def _table(header: list[str], rows: list[list[str]], *, label_column: bool = False) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        aligned = [
            c.ljust(w) if label_column and i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(aligned) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *[line(r) for r in rows]]


def summary(spec: TrackSpec, metrics: dict[str, Any], images: int, *, per_class: bool = True) -> str:
    """Tables like those of the LID 2020 report: the aggregates, then per class or the curve.

    Parameters
    ----------
    spec : TrackSpec
    metrics : dict
        From :meth:`evaluation.ScoreResult.metrics`.
    images : int
    per_class : bool, optional
        Tracks 1-2: add the per-class table.

    Returns
    -------
    str

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> print(summary(TRACKS[3], {"peak_iou": 0.61234, "peak_threshold": 40, "curve": [0.5] * 256}, 2).splitlines()[3])
    | Peak-IoU | Peak-Threshold |
    """
    lines = [f"Track {spec.number}: {spec.title}", "1 image" if images == 1 else f"{images:,} images", ""]
    if spec.is_segmentation:
        lines += _table(
            ["Mean IoU", "Mean accuracy", "Pixel accuracy"],
            [[_percent(metrics["mean_iou"]), _percent(metrics["mean_accuracy"]), _percent(metrics["pixel_accuracy"])]],
        )
        if per_class:
            rows = [
                [f"{c:>3} {name}", _percent(iou), _percent(acc)]
                for c, (name, iou, acc) in enumerate(
                    zip(spec.class_names, metrics["per_class_iou"], metrics["per_class_accuracy"], strict=True)
                )
                if c != spec.ignore_label
            ]
            lines += ["", *_table(["Class", "IoU", "Accuracy"], rows, label_column=True)]
        return "\n".join(lines)
    lines += _table(["Peak-IoU", "Peak-Threshold"], [[_percent(metrics["peak_iou"]), str(metrics["peak_threshold"])]])
    curve = metrics["curve"]
    rows = [[str(t), _percent(curve[t])] for t in range(0, 256, 16)] + [["255", _percent(curve[255])]]
    return "\n".join([*lines, "", *_table(["Threshold", "IoU"], rows)])
