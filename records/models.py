"""Customers, consultation records, follow-ups, people, tokens and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from records.db import db
from records.enums import Channel, CustomerTier, CustomerType, Emotion, Language, Priority, Role, Status
from records.timeutil import utcnow
from records.versioning import RowVersioned


def enum_column(enum_cls: type, **kwargs: Any) -> sa.Enum:
    # Stored as VARCHAR holding the value ("resolved"), not the member name, so SQL reports stay readable.
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        **kwargs,
    )


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    #: 客服工号, e.g. A01; agents are also found by it when records are imported.
    agent_code: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Part of the id in every session cookie (get_id); raising it on sign-out makes the cookies issued before useless.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    team: Mapped[Team | None] = relationship(back_populates="members")

    # Flask-Login's user protocol, written out so records/ need not import the web layer's login library.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # "id:version" in the session cookie: web.auth.load_user accepts it only while the version is current.
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Only a SHA-256 of the token is kept, so a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: C + YYYYMMDD + 3-digit daily sequence, e.g. C20240501001.
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: Digits only, to recognise a returning customer however the number was typed.
    phone_key: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(200))
    email_key: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    customer_type: Mapped[CustomerType] = mapped_column(enum_column(CustomerType), default=CustomerType.INDIVIDUAL)
    company: Mapped[str | None] = mapped_column(sa.String(200))
    industry: Mapped[str | None] = mapped_column(sa.String(80))
    tier: Mapped[CustomerTier] = mapped_column(enum_column(CustomerTier), default=CustomerTier.REGULAR)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: The team that owns the profile (the team of the record that created the customer): only it (and
    #: administrators) may reveal or change the contact details; another team that serves the customer sees the
    #: masked profile and its own records (records.access.can_manage_customer).
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    #: Made by a public contact request: whoever wrote it was never verified to be the person with that phone or
    #: e-mail, so it is never taken for a returning customer; staff link its record after verifying.
    unverified: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    records: Mapped[list[Record]] = relationship(back_populates="customer", order_by="Record.contacted_at.desc()")
    team: Mapped[Team | None] = relationship()


record_links = sa.Table(
    "record_links",
    db.metadata,
    sa.Column("record_id", sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("related_id", sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
)


class Record(RowVersioned, db.Model):
    __tablename__ = "records"
    etag_prefix = "r"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_records_source_external_id"),
        sa.Index("ix_records_agent_contacted", "agent_id", "contacted_at"),
        sa.Index("ix_records_team_contacted", "team_id", "contacted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: R + YYYYMMDD (of the contact) + 4-digit daily sequence.
    number: Mapped[str] = mapped_column(sa.String(24), unique=True)
    source: Mapped[str] = mapped_column(sa.String(40), default="manual")
    external_id: Mapped[str | None] = mapped_column(sa.String(120))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    channel_platform: Mapped[str | None] = mapped_column(sa.String(80))
    contacted_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int | None]
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    category: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    subcategory: Mapped[str | None] = mapped_column(sa.String(60))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.MEDIUM)
    status: Mapped[Status] = mapped_column(enum_column(Status), index=True)
    problem_description: Mapped[str] = mapped_column(sa.Text)
    customer_request: Mapped[str | None] = mapped_column(sa.Text)
    key_details: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    emotion: Mapped[Emotion | None] = mapped_column(enum_column(Emotion))
    handling_steps: Mapped[str | None] = mapped_column(sa.Text)
    collaboration: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    satisfaction: Mapped[int | None]
    satisfaction_efficiency: Mapped[int | None]
    satisfaction_resolution: Mapped[int | None]
    satisfaction_attitude: Mapped[int | None]
    customer_feedback: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.ZH)
    resolved_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Set by the retention job (jobs.retention): the record is kept but read-only and left out of lists and searches.
    archived_at: Mapped[datetime | None] = mapped_column(index=True)
    #: A dispute or legal claim: retention neither archives nor deletes the record while this is set.
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    legal_hold_reason: Mapped[str | None] = mapped_column(sa.Text)

    customer: Mapped[Customer] = relationship(back_populates="records")
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    team: Mapped[Team | None] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="FollowUp.due"
    )
    related: Mapped[list[Record]] = relationship(
        secondary=record_links,
        primaryjoin=lambda: Record.id == record_links.c.record_id,
        secondaryjoin=lambda: Record.id == record_links.c.related_id,
    )

    def __repr__(self) -> str:
        return f"<Record {self.number} {self.status.value}>"


class FollowUp(db.Model):
    __tablename__ = "follow_ups"
    #: Follow-ups not done whose day has passed (records.sla), without reading the done ones.
    __table_args__ = (sa.Index("ix_follow_ups_done_due", "done", "due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.Text)
    #: 负责人: a name, not necessarily a user of this system (another department's colleague).
    owner: Mapped[str] = mapped_column(sa.String(120))
    due: Mapped[date | None] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[Record] = relationship(back_populates="follow_ups")

    def versioned_parent(self) -> Record | None:
        """A follow-up is part of its record: adding or changing one makes an earlier read of the record stale."""
        return self.record


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    #: An object's history, and the SLA's first response to a record (records.sla.first_response_at).
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The username at the time, or "cli" / "system", so the entry stays readable if the user is deleted.
    actor: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(60))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class SequenceCounter(db.Model):
    """Daily counters behind customer and record numbers (C20240501001, R202405200001)."""

    __tablename__ = "sequence_counters"

    key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
