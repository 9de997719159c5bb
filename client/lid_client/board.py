"""``lid leaderboard``: the public board of one track and split, as a table, JSON, CSV, Markdown or LaTeX.

CSV, Markdown and LaTeX come from the server's own export (the LID 2020 report's table shape), so
the client and the site never disagree; the table is drawn here from the JSON rows.
"""

from __future__ import annotations

import argparse
from typing import Any

from lid_client import output
from lid_client.account import api_for
from lid_client.submissions import phase_path

# The server's mark (leaderboard.ranking.SIGNIFICANCE_MARK) for an entry whose 95% interval
# overlaps a neighbour's, as on the web board.
SIGNIFICANCE_MARK = "≈"
EXPORTS = {"csv", "md", "tex"}  # formats of the server's export (leaderboard.exports)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    api = api_for(args)
    base = phase_path(args.challenge, args.track, args.split) + "leaderboard/"
    if args.format in EXPORTS:
        text = api.get_text(base + "export/", auth=False, params={"board": args.board, "format": args.format})
        print(text.rstrip("\n"))
        return 0
    board = api.get(base, auth=False, params={"board": args.board})
    if args.format == "json":
        print(output.as_json(board))
        return 0
    rows = board.get("rows", [])
    if not rows:
        print(f"No entries on the {args.board} board of track {args.track} {args.split} yet.")
        return 0
    if board.get("frozen_at"):
        print(f"Official result, frozen {output.web_time(board['frozen_at'])} UTC.")
    print(output.table(*board_table(args.track, rows)))
    if any(row.get("not_significant") for row in rows):
        print(
            f"{SIGNIFICANCE_MARK} = the 95% interval overlaps a neighbour's: the order of those entries is not significant."
        )
    return 0


def board_table(track: int, entries: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    columns = output.METRIC_COLUMNS.get(track, [])
    headers = ["rank", "team", "method"] + [title for _, title in columns] + ["95% interval", "verification"]
    rows = []
    for entry in entries:
        metrics = entry.get("metrics") or {}
        ci = entry.get("ci")
        interval = f"{output.percent(ci[0])}-{output.percent(ci[1])}" if ci else "-"
        rank = f"{entry.get('rank', '')}{' ' + SIGNIFICANCE_MARK if entry.get('not_significant') else ''}"
        team = entry.get("team") or {}
        rows.append(
            [rank, team.get("name", ""), entry.get("method_name", "")]
            + [output.metric_text(key, metrics.get(key)) for key, _ in columns]
            + [interval, entry.get("verification") or "-"]
        )
    return headers, rows
