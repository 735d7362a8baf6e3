"""Gaps as plain data for the API and the CLI."""

from __future__ import annotations

from typing import Any

from kb.gaps.models import KnowledgeGap
from kb.gaps.operations import suggested_articles
from records.presenting import iso_utc


def trend(recent: int, previous: int) -> float:
    """This period against the previous one: (recent + 1) / (previous + 1), the proposals' growth before clipping."""
    return round((recent + 1) / (previous + 1), 3)


def gap_dict(gap: KnowledgeGap, *, suggestions: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": gap.id,
        "status": gap.status.value,
        "title": gap.title,
        "language": gap.language.value,
        "category": gap.category,
        "subcategory": gap.subcategory,
        "signal_count": gap.signal_count,
        "recent_count": gap.recent_count,
        "previous_count": gap.previous_count,
        "trend": trend(gap.recent_count, gap.previous_count),
        "impact": gap.impact,
        "kinds": dict(gap.kinds or {}),
        "examples": list(gap.examples or []),
        "unhelpful_articles": list(gap.unhelpful_articles or []),
        "first_seen": iso_utc(gap.first_seen),
        "last_seen": iso_utc(gap.last_seen),
        "article_id": gap.article_id,
        "decided_by": gap.decided_by.username if gap.decided_by else None,
        "decided_at": iso_utc(gap.decided_at),
        "note": gap.note,
        "status_note": gap.status_note,
        "refreshed_at": iso_utc(gap.refreshed_at),
    }
    if suggestions:
        data["suggested_articles"] = [
            {"id": article.id, "title": article.title, "status": article.status.value}
            for article in suggested_articles(gap)
        ]
    return data
