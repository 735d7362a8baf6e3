"""Knowledge-base articles, their versions, links to records, feedback, self-service sessions, cached vectors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import db
from records.enums import LabelledEnum, Language
from records.models import Record, User, enum_column
from records.timeutil import utcnow
from records.versioning import RowVersioned


class ArticleStatus(LabelledEnum):
    DRAFT = ("draft", "草稿", "Draft")
    IN_REVIEW = ("in_review", "审核中", "In review")
    PUBLISHED = ("published", "已发布", "Published")
    ARCHIVED = ("archived", "已归档", "Archived")


class LinkKind(LabelledEnum):
    #: The records an article was written from (staff-only).
    SOURCE = ("source", "来源记录", "Source record")
    #: An agent answered a record with the article: a reuse.
    REUSE = ("reuse", "引用", "Reused in")


#: The fields a version snapshots; editing any of them makes a new version.
CONTENT_FIELDS = ("title", "body", "summary", "category", "subcategory", "tags", "alt_questions", "language")


class Article(RowVersioned, db.Model):
    __tablename__ = "articles"
    etag_prefix = "a"
    #: Changed by customers reading the article, not by an edit (records.versioning).
    unversioned_attributes = frozenset({"view_count", "helpful_yes", "helpful_no"})

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Markdown; rendered to sanitised HTML for display (kb.content.render_markdown).
    body: Mapped[str] = mapped_column(sa.Text)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Other ways customers ask the same question; searched almost as strongly as the title.
    alt_questions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)
    #: The workflow state of the newest version.
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus), default=ArticleStatus.DRAFT, index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The version customers see. A published article being re-edited keeps showing this one until the new
    #: version is reviewed and published; an article that was never published (or is archived) has none.
    live_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("article_versions.id", use_alter=True, ondelete="SET NULL")
    )
    #: Newest version number (1, 2, ...).
    version: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    live_version: Mapped[ArticleVersion | None] = relationship(foreign_keys=[live_version_id], post_update=True)
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article",
        foreign_keys="ArticleVersion.article_id",
        order_by="ArticleVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_public(self) -> bool:
        return self.live_version_id is not None and self.status != ArticleStatus.ARCHIVED

    def content(self) -> dict[str, Any]:
        return {field: _copy(getattr(self, field)) for field in CONTENT_FIELDS}

    def __repr__(self) -> str:
        return f"<Article {self.id} v{self.version} {self.status.value}>"


class ArticleVersion(db.Model):
    """A snapshot of an article's content after an edit: who, when, what changed."""

    __tablename__ = "article_versions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_article_versions_article_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(60))
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    alt_questions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: "cli", "import" or a username, kept readable if the user is deleted.
    author_name: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)

    article: Mapped[Article] = relationship(back_populates="versions", foreign_keys=[article_id])
    author: Mapped[User | None] = relationship()

    def content(self) -> dict[str, Any]:
        return {field: _copy(getattr(self, field)) for field in CONTENT_FIELDS}


class ArticleRecordLink(db.Model):
    """A record an article came from, or a record an agent answered with the article."""

    __tablename__ = "article_record_links"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "record_id", "kind", name="uq_article_record_links_article_record_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(enum_column(LinkKind))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship()
    record: Mapped[Record] = relationship()


class SearchSession(db.Model):
    """One visitor's self-service visit: what they searched, opened and said, and whether they still contacted us."""

    __tablename__ = "search_sessions"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str | None] = mapped_column(sa.String(10))
    searches: Mapped[int] = mapped_column(default=0)
    zero_result_searches: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    #: The contact request ("still need help?") this session ended in, if any.
    record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("records.id", ondelete="SET NULL"))

    events: Mapped[list[SearchEvent]] = relationship(
        back_populates="session", order_by="SearchEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )


class SearchEvent(db.Model):
    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str | None] = mapped_column(sa.ForeignKey("search_sessions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: search, click, view (an article page shown), feedback or contact.
    kind: Mapped[str] = mapped_column(sa.String(20))
    query: Mapped[str | None] = mapped_column(sa.String(500))
    result_count: Mapped[int | None]
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id", ondelete="SET NULL"))

    session: Mapped[SearchSession | None] = relationship(back_populates="events")


class FeedbackReason(LabelledEnum):
    """Why a customer said an article did not help (asked after "no")."""

    OUTDATED = ("outdated", "内容已过时", "It is outdated")
    NOT_ANSWERED = ("not_answered", "没有回答我的问题", "It didn't answer my question")
    UNCLEAR = ("unclear", "看不明白", "It is unclear")


class ArticleFeedback(db.Model):
    """ "Was this helpful?" answers from customers: one per article and visitor session, changed by voting again."""

    __tablename__ = "article_feedback"
    # One answer per session: two tabs voting at once must not leave two rows the tally counts once.
    __table_args__ = (sa.UniqueConstraint("article_id", "session_id", name="uq_article_feedback_article_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool]
    #: Only for "not helpful"; None when the customer did not say why.
    reason: Mapped[FeedbackReason | None] = mapped_column(enum_column(FeedbackReason))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    session_id: Mapped[str | None] = mapped_column(sa.ForeignKey("search_sessions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When the visitor last changed the answer (the feed sorts by it).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    article: Mapped[Article] = relationship()


class HelpCenterSettings(db.Model):
    """The help center's branding as an administrator set it at /admin/help-center; one row. An empty field means
    the configuration's value (HELP_CENTER_*), so an installation may brand by environment, by page, or both."""

    __tablename__ = "help_center_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(80))
    #: An uploaded logo (PNG, JPEG, GIF or WebP), served at /help/logo; wins over logo_url.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(sa.String(20))
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    primary_color: Mapped[str | None] = mapped_column(sa.String(7))
    footer_text: Mapped[str | None] = mapped_column(sa.String(500))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    contact_email: Mapped[str | None] = mapped_column(sa.String(120))
    contact_hours: Mapped[str | None] = mapped_column(sa.String(120))
    default_language: Mapped[str | None] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class SearchGeneration(db.Model):
    """One row whose token changes whenever what customers can find changes; search indexes catch up to it."""

    __tablename__ = "kb_search_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(40))


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


class ProposalStatus(LabelledEnum):
    OPEN = ("open", "待审核", "Open")
    APPROVED = ("approved", "已采纳", "Approved")
    REJECTED = ("rejected", "已拒绝", "Rejected")
    #: Folded into another proposal by a trainer (merged_into_id).
    MERGED = ("merged", "已合并", "Merged")
    #: Its group dissolved, shrank below the minimum, or an article now covers it.
    OBSOLETE = ("obsolete", "已失效", "Obsolete")


class ProposalKind(LabelledEnum):
    NEW = ("new", "新文章", "New article")
    #: New phrasings and resolutions for an article that already covers the group (target_article_id).
    UPDATE = ("update", "更新文章", "Update article")


#: Draft fields a trainer may edit; a refresh never overwrites one the trainer edited.
PROPOSAL_DRAFT_FIELDS = ("title", "answer", "alt_questions", "category", "subcategory", "keywords")


class Proposal(db.Model):
    """A group of resolved records asking the same question, drafted as an FAQ article for trainers to review."""

    __tablename__ = "kb_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProposalKind] = mapped_column(enum_column(ProposalKind), default=ProposalKind.NEW)
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.OPEN, index=True)
    #: For an update proposal: the article it would extend.
    target_article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id", ondelete="SET NULL"))
    #: After approval: the article it became (a new draft, or the updated target).
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kb_proposals.id", ondelete="SET NULL"))

    title: Mapped[str] = mapped_column(sa.String(300))
    #: Markdown: the most representative resolution, as steps.
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    #: Other resolutions seen, for the editor: [{"text": ..., "count": n}].
    variations: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    #: One-off promises and compensation in the group's resolutions ("补偿10元券", "今日到账"): for the editor to
    #: decide on; never part of the drafted answer.
    editor_flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    alt_questions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    category: Mapped[str | None] = mapped_column(sa.String(60))
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)
    edited_fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    record_count: Mapped[int] = mapped_column(default=0)
    #: Member records contacted in the last 30 days, and in the 30 days before those.
    recent_count: Mapped[int] = mapped_column(default=0)
    previous_count: Mapped[int] = mapped_column(default=0)
    mean_satisfaction: Mapped[float | None]
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    #: Volume × trend × dissatisfaction (kb.drafting.impact_score); the review list is sorted by it.
    impact: Mapped[float] = mapped_column(default=0.0, index=True)

    #: Set when rejected: why, and how big the group was, so it comes back only once it grew by the named factor.
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    rejected_size: Mapped[int | None]
    #: Why the last refresh changed its status (reopened, obsolete, ...), for the reviewer.
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    target_article: Mapped[Article | None] = relationship(foreign_keys=[target_article_id])
    article: Mapped[Article | None] = relationship(foreign_keys=[article_id])
    reviewed_by: Mapped[User | None] = relationship()
    members: Mapped[list[ProposalMember]] = relationship(
        back_populates="proposal",
        order_by="ProposalMember.rank",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.kind.value} {self.status.value} n={self.record_count}>"


class ProposalMember(db.Model):
    """A record in a proposal's group. A member a trainer removed stays as `removed` so it never rejoins."""

    __tablename__ = "kb_proposal_members"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_proposals.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: 0 = the most representative member (closest to the group's centre).
    rank: Mapped[int] = mapped_column(default=0)
    removed: Mapped[bool] = mapped_column(default=False)

    proposal: Mapped[Proposal] = relationship(back_populates="members")
    record: Mapped[Record] = relationship()


class ProposalRun(db.Model):
    """One refresh of the proposals: when, how it went, what it found."""

    __tablename__ = "kb_proposal_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: running, done or failed.
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
