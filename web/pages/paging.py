"""Paging of the list pages: one page size for every list, the page asked for, the pages a template links to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

#: The highest ?page= a list reads, as RecordQuerySchema does; a larger number would overflow the database's OFFSET.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Paging:
    """Page `number` (from 1) of lists `size` rows long."""

    number: int
    size: int

    @classmethod
    def asked(cls, page: int | str | None) -> Paging:
        """The page a list shows for ?page= (already loaded by a schema, or the raw text): the first unless a number
        in 1..MAX_PAGE. The size is RECORDS_PER_PAGE, which every list page uses."""
        text = str(page or "").strip()
        number = int(text) if text.isdigit() and 0 < int(text) <= MAX_PAGE else 1
        return cls(number, int(current_app.config.get("RECORDS_PER_PAGE", 25)))

    def template_args(self, total: int) -> dict[str, Any]:
        """`page` and `pages` for the pagination macro (_macros.html); an empty list still has one page."""
        return {"page": self.number, "pages": max(1, -(-total // self.size))}
