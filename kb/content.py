"""Article bodies: Markdown rendered to sanitised HTML, plain text for indexing, and diffs between versions."""

from __future__ import annotations

import difflib
import html
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

from records.anonymising import PLACEHOLDERS
from records.masking import find_masked, find_pii

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


# A company's own mailbox belongs in an answer ("write to support@…"); any other address is someone's.
_ROLE_MAILBOX_RE = re.compile(
    r"(?:support|service|services|help|helpdesk|info|contact|kefu|noreply|no-reply|sales|billing|feedback|care"
    r"|customerservice|customer-service|cs|orders|returns|privacy|security|press|service-?desk)@",
    re.IGNORECASE,
)


def public_text(text: str | None, *, chinese: bool) -> str | None:
    """text as the help center shows it: phones, e-mails, ID and card numbers, and values masked before
    (139****5678), replaced by a placeholder ([电话] / [phone]).

    Drafts are refused with identifiers in them (kb.drafting, kb.proposals), but articles published before that
    rule, or edited by hand, may still hold one; customers must never read it, so every public surface (search
    results and snippets, article pages, category lists, related articles) shows the text through this. Editors
    keep seeing the stored text, so that they can correct it. Hotlines and order numbers are no identifiers
    (records.masking), and a company's role mailbox (support@…) stays.
    """
    if not text:
        return text
    spans = [(m.start, m.end, m.kind) for m in find_pii(text) if not _ROLE_MAILBOX_RE.match(m.value)]
    spans += [(m.start, m.end, m.kind) for m in find_masked(text)]
    parts, position = [], 0
    for start, end, kind in sorted(spans):
        if start < position:
            continue
        parts += [text[position:start], PLACEHOLDERS[kind][0 if chinese else 1]]
        position = end
    parts.append(text[position:])
    return "".join(parts)


class PublicVersion:
    """An article version as customers read it: its title, summary, body and questions through `public_text`;
    everything else (category, language, number) as stored."""

    def __init__(self, version: Any):
        self._version = version
        chinese = getattr(version.language, "value", version.language) == "zh"
        self.title = public_text(version.title, chinese=chinese)
        self.summary = public_text(version.summary, chinese=chinese)
        self.body = public_text(version.body, chinese=chinese)
        self.alt_questions = [public_text(question, chinese=chinese) for question in version.alt_questions or []]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._version, name)


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
