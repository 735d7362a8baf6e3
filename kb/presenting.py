"""What a viewer sees of an article: editors the newest version, everyone else the version customers see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kb.content import render_markdown
from kb.models import Article, ArticleStatus, ArticleVersion, LinkKind, Proposal
from kb.operations import can_edit_articles, linked_records, reuse_counts
from kb.proposal_notes import status_note_text
from records.access import NotFound, can_view_record, record_scope
from records.db import db
from records.models import AuditLog, Record, User
from records.presenting import iso_utc, record_summary


def shown_version(article: Article, viewer: User) -> ArticleVersion:
    """Editors work on the newest version; other staff read only what customers can read (the live version)."""
    if can_edit_articles(viewer):
        return article.versions[-1]
    if not article.is_public or article.live_version is None:
        # Drafts and archived articles do not exist for readers, exactly as on the help center.
        raise NotFound(f"No article {article.id}.")
    return article.live_version


def article_to_dict(
    article: Article, *, viewer: User, reuse_count: int | None = None, with_body: bool = True
) -> dict[str, Any]:
    version = shown_version(article, viewer)
    editor = can_edit_articles(viewer)
    if reuse_count is None:
        reuse_count = reuse_counts([article.id]).get(article.id, 0)
    data: dict[str, Any] = {
        "id": article.id,
        "external_id": article.external_id,
        **version.content(),
        "language": version.language.value,
        # Readers see the published version, whatever state a newer draft of it is in.
        "status": article.status.value if editor else ArticleStatus.PUBLISHED.value,
        "public": article.is_public,
        "owner": article.owner.username if article.owner else None,
        "reviewer": article.reviewer.username if article.reviewer else None,
        "version": version.number,
        "live_version": article.live_version.number if article.live_version else None,
        "view_count": article.view_count,
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "reuse_count": reuse_count,
        "created_at": iso_utc(article.created_at),
        "updated_at": iso_utc(article.updated_at if editor else version.created_at),
        "published_at": iso_utc(article.published_at),
    }
    if with_body:
        data["body_html"] = render_markdown(version.body)
        # Staff-only provenance, and only the records this viewer may open.
        data["source_records"] = [
            record.number for record in linked_records(article, LinkKind.SOURCE) if can_view_record(viewer, record)
        ]
    else:
        data.pop("body")
        data.pop("alt_questions")
    return data


def articles_to_dicts(articles: list[Article], *, viewer: User) -> list[dict[str, Any]]:
    """A listing: one reuse-count query for the page instead of one per article."""
    counts = reuse_counts([article.id for article in articles])
    return [
        article_to_dict(article, viewer=viewer, reuse_count=counts.get(article.id, 0), with_body=False)
        for article in articles
    ]


def version_to_dict(article: Article, version: ArticleVersion, *, with_body: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": version.number,
        "title": version.title,
        "author": version.author_name,
        "created_at": iso_utc(version.created_at),
        "changed_fields": list(version.changed_fields or []),
        "note": version.note,
        "live": article.live_version_id == version.id,
    }
    if with_body:
        data.update(version.content())
        data["language"] = version.language.value
        data["body_html"] = render_markdown(version.body)
    return data


def source_records_for(article: Article, viewer: User) -> list[dict[str, Any]]:
    """The records the article was written from, as summaries (nothing personal), those the viewer may open."""
    return [
        record_summary(record) for record in linked_records(article, LinkKind.SOURCE) if can_view_record(viewer, record)
    ]


def pending_review_comment(article: Article) -> dict[str, Any] | None:
    """The reviewer's "please change" comment on a draft that has not been edited since; None otherwise."""
    if article.status != ArticleStatus.DRAFT:
        return None
    entry = db.session.scalar(
        sa.select(AuditLog)
        .where(
            AuditLog.action == "article.request_changes",
            AuditLog.object_type == "article",
            AuditLog.object_id == str(article.id),
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    if entry is None or (entry.details or {}).get("version") != article.version:
        return None
    return {"by": entry.actor, "at": entry.at, "comment": entry.details.get("comment", "")}


def proposal_dict(proposal: Proposal, *, members: bool = False, viewer: User | None = None) -> dict[str, Any]:
    """A proposal for the API and CLI. Members: record id, number, source and external_id, most representative
    first; with a viewer, only the records that viewer may see (`member_count` is always the whole group)."""
    data: dict[str, Any] = {
        "id": proposal.id,
        "kind": proposal.kind.value,
        "status": proposal.status.value,
        "target_article_id": proposal.target_article_id,
        "article_id": proposal.article_id,
        "merged_into_id": proposal.merged_into_id,
        "title": proposal.title,
        "answer": proposal.answer,
        "variations": proposal.variations,
        "editor_flags": proposal.editor_flags or [],
        "alt_questions": proposal.alt_questions,
        "category": proposal.category,
        "subcategory": proposal.subcategory,
        "keywords": proposal.keywords,
        "language": proposal.language.value,
        "edited_fields": proposal.edited_fields,
        "impact": proposal.impact,
        "record_count": proposal.record_count,
        "recent_count": proposal.recent_count,
        "previous_count": proposal.previous_count,
        "mean_satisfaction": proposal.mean_satisfaction,
        "first_seen": iso_utc(proposal.first_seen),
        "last_seen": iso_utc(proposal.last_seen),
        "rejection_reason": proposal.rejection_reason,
        "rejected_size": proposal.rejected_size,
        "status_note": status_note_text(proposal.status_note),
        "reviewed_at": iso_utc(proposal.reviewed_at),
        "created_at": iso_utc(proposal.created_at),
        "updated_at": iso_utc(proposal.updated_at),
    }
    if members:
        ids = [member.record_id for member in proposal.members if not member.removed]
        query = sa.select(Record.id, Record.number, Record.source, Record.external_id).where(Record.id.in_(ids))
        if viewer is not None:
            query = query.where(record_scope(viewer))
        rows = {row.id: row for row in db.session.execute(query)} if ids else {}
        data["members"] = [
            {
                "record_id": record_id,
                "number": rows[record_id].number,
                "source": rows[record_id].source,
                "external_id": rows[record_id].external_id,
            }
            for record_id in ids
            if record_id in rows
        ]
        data["removed_record_ids"] = [member.record_id for member in proposal.members if member.removed]
    return data
