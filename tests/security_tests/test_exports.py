"""Leaderboard exports carry team-chosen text into other programs: spreadsheets, Markdown, LaTeX."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from leaderboard.services import leaderboard_refresh

EXPORT = "/api/challenges/lid2020/tracks/1/test/leaderboard/export/?format={}"
FORMULA = '=HYPERLINK("http://evil.example/","click")'


def export(fmt: str) -> tuple[object, bytes]:
    response = Client().get(EXPORT.format(fmt))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("csv", "text/csv"), ("json", "application/json"), ("md", "text/markdown"), ("tex", "application/x-tex")],
)
def test_exports_are_downloads_never_pages(world, fmt, content_type):
    response, _ = export(fmt)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_csv_export_neutralises_spreadsheet_formulas(world):
    world.team_b.name = FORMULA
    world.team_b.save()
    leaderboard_refresh(phase=world.phase)
    _, content = export("csv")
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    names = [row["team"] for row in rows]
    assert any("HYPERLINK" in name for name in names)
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)


def test_markdown_export_escapes_html(world):
    _, content = export("md")
    assert b"Alpha" in content
    assert b"<script>" not in content and b"<img" not in content


def test_markdown_export_keeps_no_live_link_or_emphasis_from_team_text(world):
    world.team_b.name = "[click](http://e.example/) *b* _i_ `c` ![i](x.png) http://e.example www.e.example &#x202E;"
    world.team_b.save()
    leaderboard_refresh(phase=world.phase)
    _, content = export("md")
    text = content.decode()
    row = next(line for line in text.splitlines() if "click" in line)
    assert row.startswith(
        r"| \[click\]\(http\://e\.example/\) \*b\* \_i\_ \`c\` \!\[i\]\(x\.png\) http\://e\.example "
        r"www\.e\.example \&\#x202E; |"
    ), row
    for live in ("](", "*b*", "_i_", "`c`", "http://", "www.e", "&#x"):
        assert live not in text
