"""Content pages' Markdown to safe HTML: markdown-it-py (CommonMark + tables) then an nh3 allow-list.

Raw HTML in the Markdown is never passed through (markdown-it escapes it), and nh3 removes
anything the allow-list does not name, including links whose scheme is not http, https or mailto
(``javascript:`` and ``data:`` links lose their href).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str) -> str:
    """The page's Markdown as sanitized HTML, safe to insert into a page.

    >>> markdown_to_html("**Bold** [x](javascript:alert(1)) <script>alert(1)</script>")
    '<p><strong>Bold</strong> [x](javascript:alert(1)) &lt;script&gt;alert(1)&lt;/script&gt;</p>\\n'
    """
    html = _MARKDOWN.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )
