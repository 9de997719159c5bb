"""Boards as files: CSV, JSON, and Markdown / LaTeX in the shape of the LID 2020 report's tables."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from challenges.models import Phase
from leaderboard.ranking import SIGNIFICANCE_LEGEND, SIGNIFICANCE_MARK
from leaderboard.selectors import TRACK_COLUMNS, format_metric, leaderboard_document, leaderboard_rows
from leaderboard.serializers import LeaderboardSerializer
from lidserver.errors import ApplicationError
from lidserver.user_text import markdown_escape


@dataclass(frozen=True)
class Export:
    content: str
    content_type: str
    filename: str


FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "tex": "application/x-tex; charset=utf-8",
}


def csv_text(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab / CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _csv(phase: Phase, rows: list[dict[str, Any]]) -> str:
    columns = TRACK_COLUMNS[phase.track.number]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "team",
            "affiliation",
            "username",
            *(c.key for c in columns),
            "ci_low",
            "ci_high",
            "not_significant",
            "submitted_at",
            "submissions_used",
            "method_name",
            "verification",
        ]
    )
    for r in rows:
        ci = r["ci"] or [None, None]
        writer.writerow(
            [
                r["rank"],
                csv_text(r["team"]["name"]),
                csv_text(r["team"]["affiliation"]),
                csv_text(r["username"]),
                *(format_metric(r["metrics"][c.key], c.kind) for c in columns),
                *("" if v is None else format_metric(v, "pct") for v in ci),
                "yes" if r["not_significant"] else "no",
                r["submitted_at"],
                r["submissions_used"],
                csv_text(r["method_name"]),
                r["verification"] or "",
            ]
        )
    return out.getvalue()


def _json(phase: Phase, board: str, rows: list[dict[str, Any]]) -> str:
    body = LeaderboardSerializer(leaderboard_document(phase=phase, board=board, rows=rows)).data
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _md_cell(text: str) -> str:
    """A table cell that renders as the text itself: no HTML, link, emphasis, entity or pipe is live."""
    return markdown_escape(text)


def _markdown(phase: Phase, rows: list[dict[str, Any]]) -> str:
    columns = TRACK_COLUMNS[phase.track.number]
    lines = [
        "| Team | Username | " + " | ".join(c.label for c in columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for r in rows:
        cells = [_md_cell(r["team"]["name"]), _md_cell(r["username"])]
        cells += [format_metric(r["metrics"][c.key], c.kind) for c in columns]
        if r["not_significant"]:
            cells[2] += f" {SIGNIFICANCE_MARK}"
        lines.append("| " + " | ".join(cells) + " |")
    if any(r["not_significant"] for r in rows):
        lines.append(f"\n{SIGNIFICANCE_MARK} {SIGNIFICANCE_LEGEND}")
    return "\n".join(lines) + "\n"


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def tex_escape(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text.replace("\n", " "))


def _latex(phase: Phase, rows: list[dict[str, Any]]) -> str:
    columns = TRACK_COLUMNS[phase.track.number]
    lines = [
        r"\begin{tabular}{ll" + "r" * len(columns) + "}",
        r"\toprule",
        "Team & Username & " + " & ".join(c.label for c in columns) + r" \\",
        r"\midrule",
    ]
    for r in rows:
        cells = [tex_escape(r["team"]["name"]), tex_escape(r["username"])]
        cells += [format_metric(r["metrics"][c.key], c.kind) for c in columns]
        if r["not_significant"]:
            cells[2] += r"~$\approx$"
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if any(r["not_significant"] for r in rows):
        lines.append(f"% $\\approx$: {SIGNIFICANCE_LEGEND}")
    return "\n".join(lines) + "\n"


def leaderboard_export(*, phase: Phase, board: str, fmt: str) -> Export:
    """The stored board in one of ``FORMATS``; rows best first, as on the page."""
    if fmt not in FORMATS:
        raise ApplicationError("invalid_format", "The export format must be one of csv, json, md or tex.")
    rows = leaderboard_rows(phase=phase, board=board)
    if fmt == "csv":
        content = _csv(phase, rows)
    elif fmt == "json":
        content = _json(phase, board, rows)
    elif fmt == "md":
        content = _markdown(phase, rows)
    else:
        content = _latex(phase, rows)
    filename = f"{phase.track.challenge.slug}-track{phase.track.number}-{phase.split}-{board}.{fmt}"
    return Export(content=content, content_type=FORMATS[fmt], filename=filename)
