"""The two-level problem taxonomy (问题类型 → 二级标签).

Records store stable codes; users see the label of their language. The shipped taxonomy is
`default_taxonomy.json`; a deployment points `CONSULTKB_TAXONOMY_FILE` at its own file of the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

DEFAULT_TAXONOMY_FILE = Path(__file__).with_name("default_taxonomy.json")


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    children: tuple[Category, ...] = field(default=())

    def label(self, locale: str | None) -> str:
        return self.zh if (locale or "").lower().startswith("zh") else self.en

    def matches(self, raw: str) -> bool:
        text = raw.strip()
        return text.lower() in (self.code, self.en.lower()) or text == self.zh


class Taxonomy:
    def __init__(self, categories: list[Category]):
        self.categories = categories
        self._by_code = {category.code: category for category in categories}

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        try:
            entries = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"Cannot read the taxonomy file {path}: {exc}") from exc
        return cls([_category_from_entry(entry, path) for entry in entries])

    def top(self, code: str) -> Category | None:
        return self._by_code.get(code)

    def resolve(self, category: str | None, subcategory: str | None) -> tuple[str | None, str | None]:
        """Turn codes or labels (zh or en) into codes; raise ValueError naming the allowed values."""
        if not category:
            if subcategory:
                raise ValueError(_l("A subcategory needs its category."))
            return None, None
        top = next((c for c in self.categories if c.matches(category)), None)
        if top is None:
            allowed = ", ".join(f"{c.code} ({c.zh})" for c in self.categories)
            raise ValueError(
                _l("Unknown category %(category)s; allowed: %(allowed)s.", category=repr(category), allowed=allowed)
            )
        if not subcategory:
            return top.code, None
        sub = next((c for c in top.children if c.matches(subcategory)), None)
        if sub is None:
            allowed = ", ".join(f"{c.code} ({c.zh})" for c in top.children)
            raise ValueError(
                _l(
                    "Unknown subcategory %(subcategory)s of %(category)s; allowed: %(allowed)s.",
                    subcategory=repr(subcategory),
                    category=top.code,
                    allowed=allowed,
                )
            )
        return top.code, sub.code

    def labels(self, category: str | None, subcategory: str | None, locale: str | None) -> str:
        top = self.top(category or "")
        if top is None:
            return category or ""
        sub = next((c for c in top.children if c.code == subcategory), None)
        return top.label(locale) + (f" / {sub.label(locale)}" if sub else "")

    def as_dict(self) -> list[dict]:
        return [
            {
                "code": c.code,
                "zh": c.zh,
                "en": c.en,
                "children": [{"code": s.code, "zh": s.zh, "en": s.en} for s in c.children],
            }
            for c in self.categories
        ]


def _category_from_entry(entry: dict, source: str | Path) -> Category:
    try:
        children = tuple(_category_from_entry(child, source) for child in entry.get("children", []))
        return Category(code=entry["code"], zh=entry["zh"], en=entry["en"], children=children)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"Taxonomy file {source}: every category needs code, zh and en ({entry!r}).") from exc


@lru_cache(maxsize=8)
def load_taxonomy(path: str | None = None) -> Taxonomy:
    return Taxonomy.from_file(path or DEFAULT_TAXONOMY_FILE)
