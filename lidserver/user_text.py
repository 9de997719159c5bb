"""What users may write: the maximum length of every text field, and the rule for names.

One home (issue 13, findings 3 and 6): models, forms, serializers and services import these
constants and validators; docs/participants.md and docs/organizers.md list the same maxima.

A *name* (team name, affiliation, method name) must show at least one visible character and may
not hold control characters or invisible format characters (Unicode category Cf, e.g. U+200B
ZERO WIDTH SPACE or U+202E RIGHT-TO-LEFT OVERRIDE), which can hide a name or reorder the text
around it on the board and in every export. The zero-width joiners U+200C and U+200D stay allowed:
Persian, Indic scripts and emoji need them between visible characters. Usernames need no check of
their own: Django's username validator allows only letters, digits and @ . + - _.
"""

from __future__ import annotations

import functools
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

TEAM_NAME_MAX = 100
AFFILIATION_MAX = 200
METHOD_NAME_MAX = 100
METHOD_DESCRIPTION_MAX = 2000
VERIFICATION_INSTRUCTIONS_MAX = 10_000
VERIFIER_NOTE_MAX = 5000

_JOINERS = {"\u200c", "\u200d"}
# Private-use characters (Co) are left alone: they show as a glyph (or a box), they hide nothing.
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_VISIBLE = ("L", "N", "P", "S")


def _code_point(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a control character')})"


def name_problem(value: str, what: str) -> str | None:
    """The sentence saying why ``value`` is not a valid ``what`` (e.g. "team name"), or None."""
    for ch in value:
        if unicodedata.category(ch) in _HIDDEN and ch not in _JOINERS:
            return (
                f"The {what} contains {_code_point(ch)}, an invisible character that can hide or reorder "
                f"text on the leaderboard; remove it and type the {what} again."
            )
    if not any(unicodedata.category(ch).startswith(_VISIBLE) for ch in value):
        return f"The {what} has no visible character; give it at least one letter, digit or sign."
    return None


@deconstructible
class NameValidator:
    """The name rule as a Django / DRF validator (empty values are the field's own business)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, value: str) -> None:
        problem = name_problem(str(value), self.what)
        if problem is not None:
            raise ValidationError(problem, code="invalid_name")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NameValidator) and other.what == self.what


_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|~&:=\"'")
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;"}  # no tag at all, not even an escaped one, in the file


def markdown_escape(text: str) -> str:
    """Text that renders as itself in Markdown: every ASCII sign a renderer acts on is backslash-escaped.

    No emphasis, code, link, image, HTML or entity survives, and ``http\\://`` / ``www\\.`` are no
    longer autolinked; newlines become spaces (one table cell, one line).
    """
    flat = " ".join(text.splitlines())
    return "".join(_MARKDOWN_ENTITIES.get(ch) or ("\\" + ch if ch in _MARKDOWN_SPECIALS else ch) for ch in flat)


def _class_of(points: list[int]) -> str:
    """A regex character class body of the code points, as ranges of literal characters."""
    parts: list[str] = []
    start = prev = None
    for cp in [*points, -2]:
        if prev is not None and cp == prev + 1:
            prev = cp
            continue
        if start is not None and prev is not None:
            first, last = _literal(start), _literal(prev)
            parts.append(first if start == prev else f"{first}-{last}")
        start = prev = cp
    return "".join(parts)


def _literal(cp: int) -> str:
    return f"\\u{cp:04x}"  # ECMA 262 syntax, which every schema checker reads


@functools.cache
def name_pattern() -> str:
    """The name rule as a regular expression, for the API schema (so schema checkers know it).

    A name is first trimmed (Python's ``str.strip``, as the form and serializer fields do); what is
    left must hold no hidden character (``_HIDDEN`` but the joiners) and at least one visible one
    (letter, number, punctuation or symbol). The pattern covers the Basic Multilingual Plane (ECMA 262
    without the ``u`` flag cannot name other code points); the server applies the same rule to all.
    """
    hidden, not_visible, space = [], [], []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        category = unicodedata.category(ch)
        if category in _HIDDEN and ch not in _JOINERS:
            hidden.append(cp)
        if not category.startswith(_VISIBLE):
            not_visible.append(cp)
        if ch.isspace():
            space.append(cp)
    hidden_class, other_class, space_class = _class_of(hidden), _class_of(not_visible), _class_of(space)
    return f"^[{space_class}]*[^{hidden_class}]*[^{other_class}][^{hidden_class}]*[{space_class}]*$"
