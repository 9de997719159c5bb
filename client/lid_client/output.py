"""Rendering for people: metrics in percent with two decimals (as in the LID 2020 report), tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# (key, column title, how to show it) in the order of the report's tables.
METRIC_COLUMNS = {
    1: [("mean_iou", "mean IoU"), ("mean_accuracy", "mean accuracy"), ("pixel_accuracy", "pixel accuracy")],
    2: [("mean_iou", "mean IoU"), ("mean_accuracy", "mean accuracy"), ("pixel_accuracy", "pixel accuracy")],
    3: [("peak_iou", "Peak-IoU"), ("peak_threshold", "Peak-Threshold")],
}
KEY_METRIC = {1: "mean_iou", 2: "mean_iou", 3: "peak_iou"}


def percent(value: Any) -> str:
    """A fraction as a percentage with two decimals; ``-`` when missing."""
    if value is None or isinstance(value, bool):
        return "-"
    try:
        return f"{float(value) * 100:.2f}"
    except (TypeError, ValueError):
        return str(value)


def metric_text(key: str, value: Any) -> str:
    if key == "peak_threshold":
        return "-" if value is None else str(int(value))
    return percent(value)


def metrics_rows(track: int, metrics: dict[str, Any]) -> list[tuple[str, str]]:
    return [(title, metric_text(key, metrics.get(key))) for key, title in METRIC_COLUMNS.get(track, [])]


def metrics_block(track: int, metrics: dict[str, Any], ci: Sequence[float] | None = None) -> str:
    """Aligned ``name  value`` lines; the key metric gets its 95% interval when the server has one."""
    rows = metrics_rows(track, metrics)
    width = max((len(title) for title, _ in rows), default=0)
    lines = []
    for key_and_title, (title, value) in zip(METRIC_COLUMNS.get(track, []), rows, strict=True):
        unit = "" if key_and_title[0] == "peak_threshold" else " %"
        line = f"  {title:<{width}}  {value}{unit}"
        if ci and key_and_title[0] == KEY_METRIC.get(track):
            line += f"   (95% interval {percent(ci[0])} - {percent(ci[1])})"
        lines.append(line)
    return "\n".join(lines)


def web_time(value: Any, *, seconds: bool = False) -> str:
    """An API timestamp as the web pages print it: ``2026-11-24 19:36`` UTC (Django's ``Y-m-d H:i``;
    ``Y-m-d H:i:s`` with ``seconds``, as the submission page shows its times); ``-`` when missing."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table; numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def markdown(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def esc(value: Any) -> str:
        return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def _is_number(text: str) -> bool:
    if text in {"", "-"}:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True
