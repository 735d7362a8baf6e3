"""Phrase tables for the demo data generator (`demo.generator`) and the demo articles (`demo.articles`).

The tables are data, in phrases.json beside this module, read on first use: `phrases.TOPICS`, `phrases.PRODUCTS` ...
(its "_about" says what each table holds). JSON arrays come back as tuples, as the generator was written for.

Each topic maps to one taxonomy category/subcategory and holds, per language, several phrasings of the problem, the
customer's request, key details, handling-step variants, resolutions, reasons it could not be solved, follow-up
actions, collaboration notes and attachment kinds. Templates use `str.format` slots that the generator fills per
record (order and tracking numbers, products, amounts, dates, app versions, error codes, ...), so records on one topic
are similar but not identical.

A problem phrasing starting with "!" is the angry/impatient way to say it; the generator uses it only when the
customer's emotion fits. "[case,case]" at the start of a phrasing names the sub-issues of its topic it belongs to.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


def read_table_file(name: str) -> dict[str, Any]:
    """A JSON data file of the demo package, with arrays as tuples and "_"-keys (comments) left out."""
    text = files(__package__).joinpath(name).read_text(encoding="utf-8")
    return {key: value for key, value in json.loads(text, object_pairs_hook=_tuples).items() if not key.startswith("_")}


def _tuples(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _as_tuple(value) for key, value in pairs}


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(item) for item in value) if isinstance(value, list) else value


@cache
def _tables() -> dict[str, Any]:
    return read_table_file("phrases.json")


def __getattr__(name: str) -> Any:
    # Module attributes on demand (PEP 562): the 3,600 lines of phrases load when the demo first needs them.
    try:
        return _tables()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
