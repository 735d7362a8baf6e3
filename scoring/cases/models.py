"""The case library: anonymised training cases, training packs (collections), assignments and readings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import db
from records.enums import Channel, Emotion, LabelledEnum, Language, Priority, Status
from records.models import Record, User, enum_column
from records.timeutil import utcnow


class CaseKind(LabelledEnum):
    EXEMPLARY = ("exemplary", "优秀范例", "Exemplary")
    CAUTIONARY = ("cautionary", "警示案例", "Cautionary")


class PackStatus(LabelledEnum):
    DRAFT = ("draft", "草稿", "Draft")
    PUBLISHED = ("published", "已发布", "Published")
    ARCHIVED = ("archived", "已归档", "Archived")


class PackAudience(LabelledEnum):
    #: Only the agents it is assigned to read it.
    ASSIGNED = ("assigned", "仅指派对象", "Assigned agents only")
    #: Every agent reads it once it is published.
    EVERYONE = ("everyone", "全体客服", "All agents")


class TrainingCase(db.Model):
    """An anonymised snapshot of a record, kept as it was when the case was made.

    Every free text was scrubbed (scoring.cases.anonymising) and the customer replaced by a placeholder, so the case
    outlives later edits of its record and the record's deletion by retention (the link is then set to NULL).
    """

    __tablename__ = "training_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind), index=True)
    #: Keys of the configured dimensions (communication, problem_solving, ...) this case teaches.
    dimensions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    commentary: Mapped[str | None] = mapped_column(sa.Text)
    source_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("records.id", ondelete="SET NULL"), index=True)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)

    # The record as it was, scrubbed.
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    channel_platform: Mapped[str | None] = mapped_column(sa.String(80))
    contacted_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(sa.String(60))
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    status: Mapped[Status] = mapped_column(enum_column(Status))
    emotion: Mapped[Emotion | None] = mapped_column(enum_column(Emotion))
    #: The customer without identity: placeholder, customer type, tier and industry.
    customer: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    problem_description: Mapped[str] = mapped_column(sa.Text)
    customer_request: Mapped[str | None] = mapped_column(sa.Text)
    key_details: Mapped[str | None] = mapped_column(sa.Text)
    handling_steps: Mapped[str | None] = mapped_column(sa.Text)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    customer_feedback: Mapped[str | None] = mapped_column(sa.Text)
    satisfaction: Mapped[int | None]
    #: Tags, attachments, collaboration, follow-ups (owner replaced), satisfaction dimensions, related count.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    # The scores at the time.
    score: Mapped[float | None]
    auto_score: Mapped[float | None]
    grade_score: Mapped[float | None]
    critical_failed: Mapped[bool] = mapped_column(default=False)
    rubric_version: Mapped[int | None]
    #: Per applicable criterion: key, names, points, scale, explanation and suggestion (scrubbed).
    criteria: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)

    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    source_record: Mapped[Record | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(back_populates="case", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<TrainingCase {self.id} {self.kind.value}>"


class CaseCollection(db.Model):
    """A training pack: cases in a chosen order with an introduction."""

    __tablename__ = "case_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    introduction: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[PackStatus] = mapped_column(enum_column(PackStatus), default=PackStatus.DRAFT, index=True)
    audience: Mapped[PackAudience] = mapped_column(enum_column(PackAudience), default=PackAudience.ASSIGNED)
    #: Criteria the trainer says the pack teaches (rubric keys or outcome metrics), beyond its cases' dimensions.
    criteria: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        order_by="CollectionItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def cases(self) -> list[TrainingCase]:
        return [item.case for item in self.items]

    def __repr__(self) -> str:
        return f"<CaseCollection {self.id} {self.status.value}>"


class CollectionItem(db.Model):
    __tablename__ = "case_collection_items"
    __table_args__ = (sa.UniqueConstraint("collection_id", "case_id", name="uq_case_collection_items_collection_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("case_collections.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("training_cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[CaseCollection] = relationship(back_populates="items")
    case: Mapped[TrainingCase] = relationship(back_populates="items")


class CollectionAssignment(db.Model):
    """A pack given to an agent to read, by a trainer, an administrator or the agent's supervisor."""

    __tablename__ = "case_assignments"
    __table_args__ = (sa.UniqueConstraint("collection_id", "agent_id", name="uq_case_assignments_collection_agent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("case_collections.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due: Mapped[date | None]
    #: The criterion the agent was found weak on, when the assignment came from a recommendation.
    criterion: Mapped[str | None] = mapped_column(sa.String(60))
    note: Mapped[str | None] = mapped_column(sa.Text)

    collection: Mapped[CaseCollection] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class CollectionReading(db.Model):
    """Who opened a published pack, when first, and when they marked it read."""

    __tablename__ = "case_readings"
    __table_args__ = (sa.UniqueConstraint("collection_id", "user_id", name="uq_case_readings_collection_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("case_collections.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    collection: Mapped[CaseCollection] = relationship()
    user: Mapped[User] = relationship()
