"""Every error code the server raises is catalogued (lidserver.error_codes) and documented (docs/CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path

from lidserver.error_codes import ERROR_CODES
from tests.structure_tests.error_codes import raised_codes

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md"


def test_the_walk_finds_codes_raised_in_several_ways() -> None:
    codes = raised_codes()
    assert "limit_reached" in codes  # ApplicationError("limit_reached", ...)
    assert "scoring_failed" in codes  # row.error_code = "scoring_failed"
    assert "throttled" in codes and "parse_error" in codes  # lidserver.errors' bodies and DRF pairs
    assert "submissions.selectors" in codes["not_found"]  # NotFound(...)


def test_every_raised_code_is_catalogued_and_every_catalogued_code_is_raised() -> None:
    raised = set(raised_codes())
    assert sorted(raised - set(ERROR_CODES)) == []
    assert sorted(set(ERROR_CODES) - raised) == []


def test_every_code_is_documented_with_its_meaning() -> None:
    text = CONTRACT.read_text()
    assert [code for code, meaning in ERROR_CODES.items() if f"| `{code}` | {meaning} |" not in text] == []
