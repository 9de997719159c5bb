"""Page scripts never turn data into HTML: user text reaches the DOM only through textContent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
# Every way a string becomes markup or code in a browser. (Parsing the server's own, already escaped
# page with DOMParser, as the submission page does to refresh itself, is not one.)
SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(")


def test_there_are_scripts_to_check():
    assert len(SCRIPTS) >= 3


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_html_sinks_in_page_scripts(script):
    hits = [
        f"{script.name}:{n}: {line.strip()}"
        for n, line in enumerate(script.read_text().splitlines(), 1)
        if SINKS.search(line)
    ]
    assert hits == []


def test_templates_never_mark_user_text_safe():
    """``|safe`` and ``autoescape off`` would undo escaping; ``json_script`` is the safe way to pass data.

    Allowed: plain-text e-mails (not HTML, nothing to escape) and form help texts, which are written
    by developers (Django's password rules are an HTML list).
    """
    hits = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "email" in template.name or "email" in template.parent.name:
            continue
        for n, line in enumerate(template.read_text().splitlines(), 1):
            line = line.replace("help_text|safe", "")
            if re.search(r"\|\s*safe\b|autoescape\s+off|mark_safe", line):
                hits.append(f"{template.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []
