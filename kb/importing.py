"""Importing articles from JSON lines: one savepoint per article, a report of every rejected line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from kb.models import Article, ArticleStatus
from kb.operations import archive_article, create_article, publish_article, update_article
from kb.schemas import ArticleImportSchema
from records.db import db

#: Articles per commit: a crash loses at most this many, and a long import does not hold one huge transaction.
COMMIT_EVERY = 200


@dataclass
class ArticleImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or the JSON error) for each non-blank line."""
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, exc


def import_articles(
    lines: Iterable[tuple[int, Any]], *, by: str = "import", progress: Callable[[int], None] | None = None
) -> ArticleImportReport:
    """Create or update (by external_id) each article; `status` published or archived is applied directly."""
    report = ArticleImportReport()
    schema = ArticleImportSchema()
    pending = 0
    for number, item in lines:
        if progress:
            progress(1)
        if isinstance(item, Exception) or not isinstance(item, dict):
            report.rejected.append({"line": number, "field": None, "reason": f"Not a JSON object: {item}"})
            continue
        try:
            data = schema.load(item)
        except ValidationError as exc:
            report.rejected.extend(_rejections(number, exc))
            continue
        savepoint = db.session.begin_nested()
        try:
            outcome = _import_one(data, by)
            savepoint.commit()
        except ValidationError as exc:
            savepoint.rollback()
            report.rejected.extend(_rejections(number, exc))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
        pending += 1
        if pending >= COMMIT_EVERY:
            db.session.commit()
            pending = 0
    db.session.commit()
    return report


def _import_one(data: dict[str, Any], by: str) -> str:
    status = data.pop("status", None) or ArticleStatus.DRAFT
    existing = None
    if data.get("external_id"):
        existing = db.session.scalar(sa.select(Article).where(Article.external_id == data["external_id"]))
    if existing is None:
        article = create_article(data, by=by)
        outcome = "created"
    else:
        article = existing
        outcome = "updated" if update_article(article, data, by=by) else "unchanged"
    if status == ArticleStatus.PUBLISHED and not (article.is_public and article.live_version is article.versions[-1]):
        publish_article(article, by=by)
        outcome = "updated" if outcome == "unchanged" else outcome
    elif status == ArticleStatus.ARCHIVED and article.status != ArticleStatus.ARCHIVED:
        archive_article(article, by=by)
    elif status == ArticleStatus.IN_REVIEW and article.status == ArticleStatus.DRAFT:
        article.status = ArticleStatus.IN_REVIEW
    return outcome


def _rejections(number: int, error: ValidationError) -> list[dict[str, Any]]:
    messages = error.messages if isinstance(error.messages, dict) else {None: error.messages}
    return [{"line": number, "field": name, "reason": _flatten(reasons)} for name, reasons in messages.items()]


def _flatten(reasons: Any) -> str:
    """Marshmallow nests list-item errors by index: {1: ["Too long."]} reads "item 2: Too long."."""
    if isinstance(reasons, dict):
        return "; ".join(
            f"item {key + 1}: {_flatten(value)}" if isinstance(key, int) else f"{key}: {_flatten(value)}"
            for key, value in reasons.items()
        )
    if isinstance(reasons, list):
        return " ".join(_flatten(reason) for reason in reasons)
    return str(reasons)
