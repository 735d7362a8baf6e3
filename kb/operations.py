"""Service functions for knowledge-base articles: writing, versions, review, publishing, links to records.

Like records.operations they validate, change the session and audit-log, flush but never commit. Whatever changes
what customers can find calls `search_changed()`, so every search index catches up after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from kb.content import PublicVersion, diff_contents
from kb.models import CONTENT_FIELDS, Article, ArticleRecordLink, ArticleStatus, ArticleVersion, LinkKind
from kb.state import search_changed
from records import audit
from records.access import NotFound, PermissionDenied, can_view_record, require
from records.db import db, like_pattern, row_id
from records.enums import Role
from records.models import Record, User
from records.operations import apply_category, detect_language
from records.timeutil import utcnow

#: Roles that write, review and publish articles.
EDITORS = (Role.TRAINER, Role.ADMIN)


def can_edit_articles(user: User) -> bool:
    return user.role in EDITORS


def separate_reviewer_required() -> bool:
    """Publishing needs a second person unless the administrator turned that off (KB_REQUIRE_SEPARATE_REVIEWER)."""
    return bool(current_app.config.get("KB_REQUIRE_SEPARATE_REVIEWER", True)) if has_app_context() else True


def _require_unique_external_id(external_id: str | None, article: Article | None = None) -> None:
    if not external_id:
        return
    query = sa.select(Article.id).where(Article.external_id == external_id)
    if article is not None:
        query = query.where(Article.id != article.id)
    if db.session.scalar(query) is not None:
        raise ValidationError(
            {"external_id": [_l("Another article already has the external ID %(id)s.", id=repr(external_id))]}
        )


def _actor_name(by: User | str) -> str:
    return by.username if isinstance(by, User) else by


def _add_version(article: Article, by: User | str, changed: list[str], note: str | None) -> ArticleVersion:
    article.version += 1
    version = ArticleVersion(
        number=article.version,
        author_id=by.id if isinstance(by, User) else None,
        author_name=_actor_name(by),
        changed_fields=changed,
        note=note,
        **article.content(),
    )
    article.versions.append(version)
    return version


def create_article(data: dict[str, Any], *, by: User | str) -> Article:
    """A new draft from data loaded by ArticleInputSchema; `by` is a user, or "cli" / "import"."""
    if isinstance(by, User):
        require(can_edit_articles(by), "Only trainers and administrators write articles.")
    values = dict(data)
    note = values.pop("note", None)
    apply_category(values, None)
    _require_unique_external_id(values.get("external_id"))
    if not values.get("language"):
        values["language"] = detect_language(values.get("title"), values.get("body"))
    article = Article(
        owner_id=by.id if isinstance(by, User) else None,
        status=ArticleStatus.DRAFT,
        version=0,
        view_count=0,
        helpful_yes=0,
        helpful_no=0,
        tags=values.pop("tags", None) or [],
        alt_questions=values.pop("alt_questions", None) or [],
        **{key: value for key, value in values.items() if key in (*CONTENT_FIELDS, "external_id")},
    )
    db.session.add(article)
    _add_version(article, by, [field for field in CONTENT_FIELDS if getattr(article, field)], note or "created")
    db.session.flush()
    audit.log(by, "article.create", article, title=article.title)
    return article


def update_article(article: Article, changes: dict[str, Any], *, by: User | str) -> list[str]:
    """Apply an edit; a real change makes a new version. A published article keeps showing its published
    version to customers until the edit is reviewed and published in turn."""
    if isinstance(by, User):
        require(can_edit_articles(by), "Only trainers and administrators edit articles.")
    values = dict(changes)
    note = values.pop("note", None)
    if "language" in values and not values["language"]:
        # "No language" (null, or a blank select) means: tell it from the text, as create_article does.
        values["language"] = detect_language(values.get("title", article.title), values.get("body", article.body))
    apply_category(values, article)
    if "external_id" in values:
        _require_unique_external_id(values["external_id"], article)
        article.external_id = values.pop("external_id")
    changed = [field for field in CONTENT_FIELDS if field in values and values[field] != getattr(article, field)]
    if not changed:
        return []
    for field in changed:
        setattr(article, field, values[field])
    _add_version(article, by, changed, note)
    if article.status in (ArticleStatus.PUBLISHED, ArticleStatus.IN_REVIEW):
        # A changed text needs (another) review before it replaces what customers see.
        article.status = ArticleStatus.DRAFT
    db.session.flush()
    audit.log(by, "article.update", article, version=article.version, fields=changed)
    return changed


def submit_for_review(article: Article, *, by: User) -> Article:
    require(can_edit_articles(by), "Only trainers and administrators submit articles for review.")
    if article.status != ArticleStatus.DRAFT:
        raise ValidationError(
            {
                "status": [
                    _l(
                        "Only a draft can be submitted for review; this one is %(status)s.",
                        status=article.status.label_lazy(),
                    )
                ]
            }
        )
    article.status = ArticleStatus.IN_REVIEW
    audit.log(by, "article.submit", article, version=article.version)
    db.session.flush()
    return article


def _authors_since_publication(article: Article) -> set[int]:
    live_number = article.live_version.number if article.live_version else 0
    return {v.author_id for v in article.versions if v.number > live_number and v.author_id is not None}


def wrote_unpublished_changes(article: Article, user: User) -> bool:
    """Whether the user owns the article or wrote a version since the live one: the separate-reviewer rule
    keeps them from publishing it."""
    owner = {article.owner_id} if article.owner_id else set()
    return user.id in _authors_since_publication(article) | owner


def publish_article(article: Article, *, by: User | str) -> Article:
    """Make the newest version what customers see. A user publishing must not have written it (unless the rule
    is off); the CLI's import may publish directly."""
    if isinstance(by, User):
        require(can_edit_articles(by), "Only trainers and administrators publish articles.")
        if separate_reviewer_required():
            if wrote_unpublished_changes(article, by):
                # An administrator can turn this rule off with KB_REQUIRE_SEPARATE_REVIEWER=0.
                raise PermissionDenied(_l("Someone other than the author must review and publish this article."))
            if article.status != ArticleStatus.IN_REVIEW:
                raise ValidationError({"status": [_l("Submit the article for review before publishing it.")]})
        article.reviewer_id = by.id
    if article.status == ArticleStatus.ARCHIVED:
        raise ValidationError({"status": [_l("Restore an archived article to a draft before publishing it.")]})
    if article.status == ArticleStatus.PUBLISHED and article.live_version is article.versions[-1]:
        return article
    article.status = ArticleStatus.PUBLISHED
    article.live_version = article.versions[-1]
    article.published_at = utcnow()
    db.session.flush()
    search_changed()
    audit.log(by, "article.publish", article, version=article.version)
    return article


def request_changes(article: Article, comment: str, *, by: User) -> Article:
    """The reviewer sends an article in review back to its author."""
    require(can_edit_articles(by), "Only trainers and administrators review articles.")
    if article.status != ArticleStatus.IN_REVIEW:
        raise ValidationError({"status": [_l("Only an article in review can be sent back.")]})
    if not (comment or "").strip():
        raise ValidationError({"comment": [_l("Say what should change.")]})
    article.status = ArticleStatus.DRAFT
    audit.log(by, "article.request_changes", article, version=article.version, comment=comment.strip())
    db.session.flush()
    return article


def archive_article(article: Article, *, by: User | str) -> Article:
    if isinstance(by, User):
        require(can_edit_articles(by), "Only trainers and administrators archive articles.")
    if article.status == ArticleStatus.ARCHIVED:
        return article
    article.status = ArticleStatus.ARCHIVED
    article.live_version = None
    db.session.flush()
    search_changed()
    audit.log(by, "article.archive", article, version=article.version)
    return article


def unarchive_article(article: Article, *, by: User) -> Article:
    """An archived article comes back as a draft, to be reviewed again."""
    require(can_edit_articles(by), "Only trainers and administrators restore articles.")
    if article.status != ArticleStatus.ARCHIVED:
        raise ValidationError({"status": [_l("Only an archived article can be restored.")]})
    article.status = ArticleStatus.DRAFT
    audit.log(by, "article.unarchive", article)
    db.session.flush()
    return article


def restore_version(article: Article, number: int, *, by: User) -> list[str]:
    """Bring back an old version's content as a new version (history is never rewritten)."""
    old = get_version(article, number)
    return update_article(article, {**old.content(), "note": f"restored version {number}"}, by=by)


def delete_article(article: Article, *, by: User) -> None:
    require(by.role == Role.ADMIN, _l("Only administrators delete articles; archive it instead."))
    was_public = article.is_public
    audit.log(by, "article.delete", article, title=article.title)
    article.live_version = None
    db.session.flush()
    db.session.delete(article)
    db.session.flush()
    if was_public:
        search_changed()


def get_article(reference: int | str) -> Article:
    """By id or external_id."""
    article = None
    article_id = row_id(reference)
    if article_id is not None:
        article = db.session.get(Article, article_id)
    # PostgreSQL refuses text holding NUL; no external id holds one.
    if article is None and "\x00" not in str(reference):
        article = db.session.scalar(sa.select(Article).where(Article.external_id == str(reference)))
    if article is None:
        raise NotFound(f"No article {reference}.")
    return article


def get_version(article: Article, number: int) -> ArticleVersion:
    for version in article.versions:
        if version.number == number:
            return version
    raise NotFound(f"Article {article.id} has no version {number}.")


def diff_versions(article: Article, old: int, new: int) -> list[dict[str, Any]]:
    return diff_contents(get_version(article, old).content(), get_version(article, new).content())


@dataclass(frozen=True)
class ArticleFilters:
    status: ArticleStatus | None = None
    category: str | None = None
    language: str | None = None
    q: str | None = None


def list_articles(filters: ArticleFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[Article], int]:
    """Staff listing, newest change first."""
    query = sa.select(Article)
    if filters.status:
        query = query.where(Article.status == filters.status)
    if filters.category:
        query = query.where(sa.or_(Article.category == filters.category, Article.subcategory == filters.category))
    if filters.language:
        query = query.where(Article.language == filters.language)
    if filters.q:
        pattern = like_pattern(filters.q)
        query = query.where(
            sa.or_(
                Article.title.ilike(pattern, escape="\\"),
                Article.body.ilike(pattern, escape="\\"),
                Article.external_id.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(Article.updated_at.desc(), Article.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(items), total


def count_articles_by_status() -> dict[str, int]:
    rows = db.session.execute(sa.select(Article.status, sa.func.count()).group_by(Article.status)).all()
    counts = {status.value: 0 for status in ArticleStatus}
    counts.update({status.value: number for status, number in rows})
    return counts


def link_source_records(article: Article, records: list[Record], *, by: User | str) -> None:
    for record in records:
        _link(article, record, LinkKind.SOURCE, by)
    db.session.flush()


def link_reuse(article: Article, record: Record, *, by: User) -> ArticleRecordLink:
    """An agent answered this record with the article: it counts as a reuse."""
    require(can_view_record(by, record), "You may not see this record.")
    if not article.is_public and not can_edit_articles(by):
        raise NotFound(f"No article {article.id}.")
    link = _link(article, record, LinkKind.REUSE, by)
    audit.log(by, "article.reuse", article, record=record.number)
    db.session.flush()
    return link


def unlink_reuse(article: Article, record: Record, *, by: User) -> None:
    require(can_view_record(by, record), "You may not see this record.")
    db.session.execute(
        sa.delete(ArticleRecordLink).where(
            ArticleRecordLink.article_id == article.id,
            ArticleRecordLink.record_id == record.id,
            ArticleRecordLink.kind == LinkKind.REUSE,
        )
    )
    db.session.flush()


def _link(article: Article, record: Record, kind: LinkKind, by: User | str) -> ArticleRecordLink:
    existing = db.session.scalar(
        sa.select(ArticleRecordLink).where(
            ArticleRecordLink.article_id == article.id,
            ArticleRecordLink.record_id == record.id,
            ArticleRecordLink.kind == kind,
        )
    )
    if existing is not None:
        return existing
    link = ArticleRecordLink(
        article_id=article.id, record_id=record.id, kind=kind, created_by_id=by.id if isinstance(by, User) else None
    )
    db.session.add(link)
    return link


def linked_records(article: Article, kind: LinkKind) -> list[Record]:
    return list(
        db.session.scalars(
            sa.select(Record)
            .join(ArticleRecordLink, ArticleRecordLink.record_id == Record.id)
            .where(ArticleRecordLink.article_id == article.id, ArticleRecordLink.kind == kind)
            .order_by(Record.contacted_at.desc(), Record.id.desc())
        )
    )


def reuse_counts(article_ids: list[int]) -> dict[int, int]:
    if not article_ids:
        return {}
    rows = db.session.execute(
        sa.select(ArticleRecordLink.article_id, sa.func.count())
        .where(ArticleRecordLink.article_id.in_(article_ids), ArticleRecordLink.kind == LinkKind.REUSE)
        .group_by(ArticleRecordLink.article_id)
    ).all()
    return {article_id: number for article_id, number in rows}


def articles_linked_to(record: Record) -> list[Article]:
    """The articles an agent used on this record."""
    return list(
        db.session.scalars(
            sa.select(Article)
            .join(ArticleRecordLink, ArticleRecordLink.article_id == Article.id)
            .where(ArticleRecordLink.record_id == record.id, ArticleRecordLink.kind == LinkKind.REUSE)
            .order_by(ArticleRecordLink.created_at)
        )
    )


def get_public_article(reference: int | str) -> tuple[Article, PublicVersion]:
    """A published article and the version customers see (identifiers in its text replaced, kb.content.public_text);
    drafts and archived ones do not exist publicly."""
    try:
        article = get_article(reference)
    except NotFound:
        raise NotFound(f"No article {reference}.") from None
    if not article.is_public:
        raise NotFound(f"No article {reference}.")
    return article, PublicVersion(article.live_version)
