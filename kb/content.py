"""Article bodies: Markdown rendered to sanitised HTML, plain text for indexing, and diffs between versions."""

from __future__ import annotations

import difflib
import html
from typing import Any

import nh3
from markdown_it import MarkdownIt

#: What a rendered article may contain; anything else (script, style, iframe, event handlers) is removed.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

# Raw HTML in the source is shown as text, never passed through; nh3 then removes whatever Markdown itself could
# smuggle in (javascript: links).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(body: str) -> str:
    """Safe HTML for an article body."""
    return nh3.clean(
        _markdown.render(body or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(body: str) -> str:
    """The words of a Markdown body without its markup, for the index and for snippets."""
    text = nh3.clean(_markdown.render(body or ""), tags=set())
    return " ".join(html.unescape(text).split())


def diff_contents(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Per changed field, a unified line diff (lists diffed item by item)."""
    changes = []
    for field in new:
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        changes.append(
            {
                "field": field,
                "before": before,
                "after": after,
                "diff": list(
                    difflib.unified_diff(_lines(before), _lines(after), fromfile="before", tofile="after", lineterm="")
                ),
            }
        )
    return changes


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value).splitlines()
