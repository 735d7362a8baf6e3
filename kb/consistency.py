"""The nightly check that this host's search index holds exactly what the database publishes."""

from __future__ import annotations

import logging
from typing import Any

from kb.search import public_versions, search_service
from records.db import read_session

log = logging.getLogger(__name__)


def verify_search_index() -> dict[str, Any]:
    """Catch up with the database, then compare the index document by document; rebuild it when anything differs
    (a copied or damaged index directory, a crash between writes). Returns what was found and whether it was rebuilt.
    """
    service = search_service()
    problem = None
    try:
        service.ensure_current()
        with read_session() as reader:
            wanted = public_versions(reader)
        indexed = service.text_index.indexed_versions()
    except Exception as error:  # an unreadable index is what this check exists to repair
        log.exception("The search index could not be read; rebuilding it.")
        problem = f"{type(error).__name__}: {error}"
        wanted, indexed = {}, {}
    missing = sorted(article for article in wanted if article not in indexed)
    extra = sorted(article for article in indexed if article not in wanted)
    stale = sorted(article for article, key in wanted.items() if article in indexed and indexed[article] != key)
    rebuilt = bool(problem or missing or extra or stale)
    articles = service.rebuild() if rebuilt else len(wanted)
    return {
        "articles": articles,
        "missing": missing,
        "extra": extra,
        "stale": stale,
        "unreadable": problem,
        "rebuilt": rebuilt,
    }
