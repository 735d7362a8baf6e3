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
    #: Who handles the record now (records.assignment), besides the agent who took the contact; None: that agent.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: When the record was first written, in the system it was imported from (the import's `recorded_at`); it, not
    #: the import time in created_at, is what says how promptly an imported record was entered.
    recorded_at: Mapped[datetime | None]
    #: Set when the record came in through an import (history from another system) rather than the form or the API.
    imported_at: Mapped[datetime | None]
    #: The template rules an imported record was accepted despite (keys of records.schemas.HISTORY_RULES, e.g.
    #: "follow_ups", "resolution"): history is kept as it was written, flagged, and scored low for it.
    template_exceptions: Mapped[list[str] | None] = mapped_column(sa.JSON)

    customer: Mapped[Customer] = relationship(back_populates="records")
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
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

    @property
    def written_at(self) -> datetime | None:
        """When the record was first written: the source system's time for an import that gave it, the time it was
        saved here for one entered here, None for an import that did not say (timeliness then does not apply)."""
        return written_at(self.recorded_at, self.imported_at, self.created_at)


def written_at(recorded_at: datetime | None, imported_at: datetime | None, created_at: datetime | None):
    """Record.written_at from its columns (for callers holding plain values, like bulk scoring)."""
    if recorded_at is not None:
        return recorded_at
    return None if imported_at is not None else created_at


class FollowUp(db.Model):
    __tablename__ = "follow_ups"
    #: Follow-ups not done whose day has passed (records.sla), without reading the done ones.
    __table_args__ = (sa.Index("ix_follow_ups_done_due", "done", "due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.Text)
    #: 负责人 as written: a name, not necessarily a user of this system (another department's colleague), kept as
    #: imported; `owner_user` is the user it names when it names one, who gets the reminders.
    owner: Mapped[str] = mapped_column(sa.String(120))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due: Mapped[date | None] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[Record] = relationship(back_populates="follow_ups")
    owner_user: Mapped[User | None] = relationship()

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


class CustomerLink(db.Model):
    """A signed link that lets the customer of a record see its status, add information and rate it, without an
    account (records/customer_links.py). The token carries the record id, the purpose and the expiry, signed with
    the secret key; this row (found by its nonce) lets staff revoke a link before it expires."""

    __tablename__ = "customer_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    #: Random, in the signed token: a token whose nonce has no row (or a revoked one) opens nothing.
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    #: None: made for a help-center contact request, by no staff member.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When the link was last e-mailed to the customer (None: shown to copy, never mailed).
    emailed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]

    record: Mapped[Record] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class RecordNote(db.Model):
    """Information added to a record by someone other than its staff (the customer through a status link): kept
    beside the record, never written into its fields."""

    __tablename__ = "record_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    #: "customer" for now; the audit log says through which link.
    author: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer_links.id", ondelete="SET NULL"))


assignment_rule_users = sa.Table(
    "assignment_rule_users",
    db.metadata,
    sa.Column("rule_id", sa.ForeignKey("assignment_rules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class AssignmentRule(db.Model):
    """Who a new record is assigned to (records.assignment): the first active rule, by position, whose conditions
    all match (an empty condition matches anything) picks one of its candidates."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    category: Mapped[str | None] = mapped_column(sa.String(60))
    customer_tier: Mapped[CustomerTier | None] = mapped_column(enum_column(CustomerTier))
    channel: Mapped[Channel | None] = mapped_column(enum_column(Channel))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    #: "round_robin" (in turn) or "fewest_open" (the candidate with the fewest open records to handle).
    strategy: Mapped[str] = mapped_column(sa.String(20), default="round_robin")
    #: Round robin: the candidate who got the last record.
    last_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team | None] = relationship()
    candidates: Mapped[list[User]] = relationship(secondary=assignment_rule_users, order_by="User.id")


class AssignmentChange(db.Model):
    """One (re)assignment of a record: who changed it, from whom to whom, when, and by which rule."""

    __tablename__ = "assignment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None: the system, by a rule.
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The rule's name when a rule assigned the record.
    rule_name: Mapped[str | None] = mapped_column(sa.String(120))

    record: Mapped[Record] = relationship()
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])


class Notification(db.Model):
    """An in-app reminder of a deadline (records.notifications); one per user, deadline and stage."""

    __tablename__ = "notifications"
    #: Deadline first: each run looks its reminders up by deadline key.
    __table_args__ = (
        sa.UniqueConstraint("deadline_key", "stage", "user_id", name="uq_notifications_deadline_stage_user"),
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    #: "respond", "resolve" or "follow_up".
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: "soon" (before the deadline), "due" (the deadline passed: a breach).
    stage: Mapped[str] = mapped_column(sa.String(10))
    #: Names the deadline: kind, record or follow-up, and the due moment (a changed deadline is a new one).
    deadline_key: Mapped[str] = mapped_column(sa.String(120))
    due: Mapped[datetime]
    #: What the reminder says, beside the record: the follow-up's action (masked), the handler's name ...
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    record: Mapped[Record | None] = relationship()
