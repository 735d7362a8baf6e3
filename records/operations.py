"""Service functions for records and customers; the web views, the CLI and jobs all call these.

Operations validate, change the session and audit-log; they flush but never commit: the request or command commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from records import audit
from records.access import (
    NotFound,
    PermissionDenied,
    can_create_records,
    can_edit_record,
    can_reveal_record,
    can_view_record,
    customer_scope,
    is_scrubbed_viewer,
    record_scope,
    require,
)
from records.db import db
from records.enums import CustomerTier, CustomerType, Language, Role, Status
from records.masking import mask_email, mask_phone, mask_text
from records.models import Customer, FollowUp, Record, SequenceCounter, Team, User, record_links
from records.schemas import record_rule_errors
from records.taxonomy import Taxonomy, load_taxonomy
from records.timeutil import local_day_start, local_today, to_local, utcnow

#: Free-text fields of a record; they are masked for viewers who may not (or did not ask to) reveal personal data.
FREE_TEXT_FIELDS = (
    "problem_description",
    "customer_request",
    "key_details",
    "handling_steps",
    "resolution",
    "customer_feedback",
)

#: Record fields a PATCH may set directly (relations such as agent, team and follow-ups are handled apart).
PLAIN_FIELDS = (
    *FREE_TEXT_FIELDS,
    "external_id",
    "channel",
    "channel_platform",
    "contacted_at",
    "duration_minutes",
    "tags",
    "priority",
    "status",
    "attachments",
    "emotion",
    "collaboration",
    "satisfaction",
    "satisfaction_efficiency",
    "satisfaction_resolution",
    "satisfaction_attitude",
    "language",
)

ANONYMOUS_NAME = "匿名客户"
CUSTOMER_NUMBER = r"C\d{11,}"
RECORD_NUMBER = r"R\d{12,}"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def taxonomy() -> Taxonomy:
    path = current_app.config.get("TAXONOMY_FILE") if has_app_context() else None
    return load_taxonomy(path or None)


def detect_language(*texts: str | None) -> Language:
    """Chinese when Chinese characters carry the text; order numbers and product names in Latin letters don't count."""
    joined = " ".join(text for text in texts if text)
    cjk = len(_CJK.findall(joined))
    latin_words = len(_LATIN_WORD.findall(joined))
    return Language.ZH if cjk and cjk >= latin_words else Language.EN


# ----- numbering ---------------------------------------------------------------------------------------------------


def next_number(prefix: str, day: date, width: int, taken: sa.ColumnElement) -> str:
    """The next free number of the day, e.g. R202405200001. Safe under concurrent writers.

    The UPDATE takes a row lock on PostgreSQL (SQLite serialises writers), so two requests never share a number;
    numbers kept from an import are skipped.
    """
    key = f"{prefix}{day:%Y%m%d}"
    bump = (
        sa.update(SequenceCounter)
        .where(SequenceCounter.key == key)
        .values(last=SequenceCounter.last + 1)
        .returning(SequenceCounter.last)
    )
    while True:
        value = db.session.execute(bump).scalar()
        if value is None:
            try:
                with db.session.begin_nested():
                    db.session.execute(sa.insert(SequenceCounter).values(key=key, last=1))
                value = 1
            except IntegrityError:
                value = db.session.execute(bump).scalar_one()
        number = f"{key}{value:0{width}d}"
        if not db.session.scalar(sa.select(sa.literal(True)).where(taken == number)):
            return number


def kept_number(number: str | None, pattern: str, taken: sa.ColumnElement) -> str | None:
    """A number brought along by an import, if it has the right form and is still free here."""
    if (
        number
        and re.fullmatch(pattern, number)
        and not db.session.scalar(sa.select(sa.literal(True)).where(taken == number))
    ):
        return number
    return None


# ----- people ------------------------------------------------------------------------------------------------------


def get_or_create_team(name: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def create_user(
    username: str,
    *,
    role: Role,
    password: str,
    team: str | None = None,
    display_name: str | None = None,
    agent_code: str | None = None,
    email: str | None = None,
    by: User | str | None = None,
) -> User:
    errors: dict[str, list[str]] = {}
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        errors["username"] = [f"The username {username!r} is taken."]
    if agent_code and db.session.scalar(sa.select(User.id).where(User.agent_code == agent_code)):
        errors["agent_code"] = [f"The agent code {agent_code!r} is taken."]
    if len(password) < 8:
        errors["password"] = ["A password has at least 8 characters."]
    if role in (Role.AGENT, Role.SUPERVISOR) and not team:
        errors["team"] = [f"A {role.value} belongs to a team; give --team."]
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        agent_code=agent_code or None,
        email=email or None,
        team=get_or_create_team(team) if team else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.log(by or "cli", "user.create", user, role=role.value, team=team)
    return user


def find_agent(reference: str) -> User | None:
    """An agent by username, agent code (工号), e-mail or display name, as imports name them."""
    text = reference.strip()
    for column in (User.username, User.agent_code, User.email, User.display_name):
        user = db.session.scalar(sa.select(User).where(sa.func.lower(column) == text.lower()))
        if user is not None:
            return user
    return None


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


# ----- customers ---------------------------------------------------------------------------------------------------


def phone_key(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    # Chinese numbers are written with and without the country code; compare them without it.
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def email_key(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


def find_or_create_customer(
    details: dict[str, Any], first_contact: datetime, *, by: User | str | None, number: str | None = None
) -> Customer:
    """A returning customer is recognised by phone or e-mail; anyone else becomes a new customer.

    `number` (from an import) is kept for the new customer, so customers keep the number they were told.
    """
    keys = phone_key(details.get("phone")), email_key(details.get("email"))
    conditions = []
    if keys[0]:
        conditions.append(Customer.phone_key == keys[0])
    if keys[1]:
        conditions.append(Customer.email_key == keys[1])
    if conditions:
        existing = db.session.scalar(sa.select(Customer).where(sa.or_(*conditions)).order_by(Customer.id).limit(1))
        if existing is not None:
            return existing
    customer = Customer(
        number=kept_number(number, CUSTOMER_NUMBER, Customer.number)
        or next_number("C", to_local(first_contact).date(), 3, Customer.number),
        name=(details.get("name") or "").strip() or ANONYMOUS_NAME,
        phone=details.get("phone"),
        phone_key=keys[0],
        email=details.get("email"),
        email_key=keys[1],
        customer_type=details.get("customer_type") or CustomerType.INDIVIDUAL,
        company=details.get("company"),
        industry=details.get("industry"),
        tier=details.get("tier") or CustomerTier.REGULAR,
        tags=details.get("tags") or [],
    )
    db.session.add(customer)
    db.session.flush()
    audit.log(by, "customer.create", customer)
    return customer


def update_customer(customer: Customer, changes: dict[str, Any], *, by: User) -> Customer:
    for field, value in changes.items():
        setattr(customer, field, value)
    if "phone" in changes:
        customer.phone_key = phone_key(customer.phone)
    if "email" in changes:
        customer.email_key = email_key(customer.email)
    if customer.customer_type == CustomerType.ENTERPRISE and not customer.company:
        raise ValidationError({"company": ["An enterprise customer needs a company name."]})
    audit.log(by, "customer.update", customer, fields=sorted(changes))
    return customer


def get_customer_for(user: User, reference: int | str) -> Customer:
    column = Customer.number if isinstance(reference, str) and not reference.isdigit() else Customer.id
    require(not is_scrubbed_viewer(user), "Trainers work with scrubbed records, not customer profiles.")
    customer = db.session.scalar(sa.select(Customer).where(column == reference))
    if customer is None:
        raise NotFound(f"No customer {reference}.")
    visible = db.session.scalar(sa.select(sa.literal(True)).where(Customer.id == customer.id, customer_scope(user)))
    require(bool(visible), "You may not see this customer.")
    return customer


def list_customers(user: User, *, q: str | None = None, page: int = 1, per_page: int = 25) -> tuple[list, int]:
    require(not is_scrubbed_viewer(user), "Trainers work with scrubbed records, not customer profiles.")
    query = sa.select(Customer).where(customer_scope(user))
    if q:
        pattern = like_pattern(q)
        query = query.where(
            sa.or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.number.ilike(pattern, escape="\\"),
                Customer.company.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Customer.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(items), total or 0


def customer_to_dict(customer: Customer, *, masked: bool, scrubbed: bool = False) -> dict[str, Any]:
    if scrubbed:
        return {
            "id": None,
            "number": None,
            "name": "客户 / Customer",
            "phone": None,
            "email": None,
            "customer_type": customer.customer_type.value,
            "company": None,
            "industry": customer.industry,
            "tier": customer.tier.value,
            "tags": [],
            "masked": True,
        }
    return {
        "id": customer.id,
        "number": customer.number,
        "name": customer.name,
        "phone": mask_phone(customer.phone) if masked else customer.phone,
        "email": mask_email(customer.email) if masked else customer.email,
        "customer_type": customer.customer_type.value,
        "company": customer.company,
        "industry": customer.industry,
        "tier": customer.tier.value,
        "tags": list(customer.tags or []),
        "record_count": len(customer.records),
        "masked": masked,
    }


def customer_history(customer: Customer, *, before: Record | None = None) -> list[Record]:
    """The customer's records, newest first; with `before`, only those earlier than that record."""
    query = sa.select(Record).where(Record.customer_id == customer.id)
    if before is not None:
        query = query.where(Record.id != before.id, Record.contacted_at <= before.contacted_at)
    return list(db.session.scalars(query.order_by(Record.contacted_at.desc(), Record.id.desc())))


def reveal_customer(customer: Customer, user: User) -> None:
    require(user.role != Role.TRAINER, "Trainers see scrubbed data only.")
    audit.log(user, "customer.reveal", customer)


# ----- records -----------------------------------------------------------------------------------------------------


@dataclass
class RecordChange:
    record: Record
    created: bool
    changed_fields: list[str]


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def resolve_agent(reference: str | None, by: User) -> User:
    if not reference:
        return by
    agent = find_agent(reference)
    if agent is None:
        raise ValidationError({"agent": [f"No user {reference!r}; create it with `consultkb users create`."]})
    if by.role == Role.AGENT and agent.id != by.id:
        raise PermissionDenied("Agents record their own contacts only.")
    if by.role == Role.SUPERVISOR and agent.team_id != by.team_id:
        raise PermissionDenied("Supervisors record contacts for their own team only.")
    return agent


def resolve_team(name: str | None, agent: User) -> Team | None:
    if not name:
        return agent.team
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        known = ", ".join(db.session.scalars(sa.select(Team.name).order_by(Team.name))) or "none yet"
        raise ValidationError({"team": [f"Unknown team {name!r}; known teams: {known}."]})
    return team


def resolve_related(references: list[str], source: str, *, exclude: Record | None = None) -> list[Record]:
    found, missing = [], []
    for reference in references:
        record = db.session.scalar(
            sa.select(Record).where(
                sa.or_(Record.number == reference, sa.and_(Record.source == source, Record.external_id == reference))
            )
        )
        if record is None:
            missing.append(reference)
        elif exclude is None or record.id != exclude.id:
            found.append(record)
    if missing:
        raise ValidationError({"related": [f"No record {', '.join(missing)}."]})
    return found


def _apply_category(values: dict[str, Any], record: Record | None) -> None:
    if "category" not in values and "subcategory" not in values:
        return
    category = values.get("category", record.category if record else None)
    subcategory = values.get("subcategory", record.subcategory if record else None)
    try:
        values["category"], values["subcategory"] = taxonomy().resolve(category, subcategory)
    except ValueError as exc:
        raise ValidationError({"category": [str(exc)]}) from None


def create_record(data: dict[str, Any], *, by: User) -> Record:
    """Create a record from data loaded by RecordInputSchema."""
    require(can_create_records(by), "Your role cannot create records.")
    values = dict(data)
    agent = resolve_agent(values.pop("agent", None), by)
    team = resolve_team(values.pop("team", None), agent)
    _apply_category(values, None)
    source = values.pop("source", None) or "manual"
    contacted_at = values["contacted_at"]

    customer_no = values.pop("customer_no", None)
    customer_details = values.pop("customer", None) or {}
    if customer_no:
        customer = db.session.scalar(sa.select(Customer).where(Customer.number == customer_no))
        if customer is None and customer_details:
            # Moving records between installations: the customer comes along with their number.
            customer = find_or_create_customer(customer_details, contacted_at, by=by, number=customer_no)
        if customer is None:
            raise ValidationError({"customer_no": [f"No customer {customer_no}."]})
    else:
        customer = find_or_create_customer(customer_details, contacted_at, by=by)

    follow_ups = values.pop("follow_ups", None) or []
    related = resolve_related(values.pop("related", None) or [], source)
    if not values.get("language"):
        values["language"] = detect_language(values.get("problem_description"), values.get("customer_request"))

    record = Record(
        number=kept_number(values.pop("record_no", None), RECORD_NUMBER, Record.number)
        or next_number("R", to_local(contacted_at).date(), 4, Record.number),
        source=source,
        customer=customer,
        agent=agent,
        team=team,
        created_by_id=by.id,
        **{key: value for key, value in values.items() if key in PLAIN_FIELDS or key in ("category", "subcategory")},
    )
    if record.status == Status.RESOLVED:
        record.resolved_at = utcnow()
    record.follow_ups = [FollowUp(**item) for item in follow_ups]
    db.session.add(record)
    db.session.flush()
    link_records(record, related)
    audit.log(by, "record.create", record, source=source, external_id=record.external_id)
    return record


def link_records(record: Record, others: list[Record]) -> None:
    """Related records point both ways, so either record's page shows the other."""
    for other in others:
        for left, right in ((record.id, other.id), (other.id, record.id)):
            exists = db.session.scalar(
                sa.select(sa.literal(True)).where(record_links.c.record_id == left, record_links.c.related_id == right)
            )
            if not exists:
                db.session.execute(sa.insert(record_links).values(record_id=left, related_id=right))
    db.session.expire(record, ["related"])


def follow_up_state(record: Record) -> list[dict[str, Any]]:
    return [{"action": f.action, "owner": f.owner, "due": f.due, "done": f.done} for f in record.follow_ups]


def update_record(record: Record, changes: dict[str, Any], *, by: User) -> list[str]:
    """Apply a partial update loaded by RecordUpdateSchema; return the names of the fields that changed.

    `follow_ups` here adds follow-ups (an identical open one is not added twice); existing ones change through
    `update_follow_up`.
    """
    require(can_edit_record(by, record), "You may not change this record.")
    values = dict(changes)
    if "customer" in values or "customer_no" in values:
        raise ValidationError({"customer": ["A record's customer is set when it is created."]})
    values.pop("source", None)
    values.pop("record_no", None)
    _apply_category(values, record)

    changed: list[str] = []
    if "agent" in values:
        agent = resolve_agent(values.pop("agent"), by)
        if agent.id != record.agent_id:
            record.agent = agent
            changed.append("agent")
    if "team" in values:
        team = resolve_team(values.pop("team"), record.agent)
        if team is not None and team.id != record.team_id:
            record.team = team
            changed.append("team")

    existing = {(f.action, f.owner, f.due) for f in record.follow_ups}
    new_follow_ups = [
        item
        for item in values.pop("follow_ups", None) or []
        if (item["action"], item["owner"], item["due"]) not in existing
    ]
    related = resolve_related(values.pop("related", None) or [], record.source, exclude=record)

    merged = {field: getattr(record, field) for field in ("status", "resolution", "channel", "channel_platform")}
    merged.update({key: value for key, value in values.items() if key in merged})
    merged["follow_ups"] = follow_up_state(record) + new_follow_ups
    errors = record_rule_errors(merged)
    if errors:
        raise ValidationError(errors)

    for field, value in values.items():
        if (field in PLAIN_FIELDS or field in ("category", "subcategory")) and getattr(record, field) != value:
            setattr(record, field, value)
            changed.append(field)
    for item in new_follow_ups:
        record.follow_ups.append(FollowUp(**item))
    if new_follow_ups:
        changed.append("follow_ups")
    current_related = {other.id for other in record.related}
    if any(other.id not in current_related for other in related):
        link_records(record, related)
        changed.append("related")
    if "status" in changed:
        record.resolved_at = utcnow() if record.status == Status.RESOLVED else None
    if changed:
        record.updated_at = utcnow()
        audit.log(by, "record.update", record, fields=changed)
    db.session.flush()
    return changed


def delete_record(record: Record, *, by: User) -> None:
    require(by.role == Role.ADMIN, "Only administrators delete records.")
    audit.log(by, "record.delete", record, external_id=record.external_id)
    db.session.execute(
        sa.delete(record_links).where(
            sa.or_(record_links.c.record_id == record.id, record_links.c.related_id == record.id)
        )
    )
    db.session.delete(record)
    db.session.flush()


def get_record_for(user: User, reference: int | str) -> Record:
    column = Record.number if isinstance(reference, str) and not reference.isdigit() else Record.id
    record = db.session.scalar(sa.select(Record).where(column == reference))
    if record is None:
        raise NotFound(f"No record {reference}.")
    require(can_view_record(user, record), "You may not see this record.")
    return record


def add_follow_up(record: Record, data: dict[str, Any], *, by: User) -> FollowUp:
    require(can_edit_record(by, record), "You may not change this record.")
    follow_up = FollowUp(**data)
    record.follow_ups.append(follow_up)
    db.session.flush()
    audit.log(by, "follow_up.create", record, follow_up_id=follow_up.id)
    return follow_up


def update_follow_up(follow_up: FollowUp, changes: dict[str, Any], *, by: User) -> FollowUp:
    record = follow_up.record
    require(can_edit_record(by, record), "You may not change this record.")
    for field, value in changes.items():
        setattr(follow_up, field, value)
    if "done" in changes:
        follow_up.done_at = utcnow() if follow_up.done else None
    errors = record_rule_errors(
        {"status": record.status, "resolution": record.resolution, "follow_ups": follow_up_state(record)}
    )
    if errors:
        raise ValidationError(errors)
    audit.log(by, "follow_up.update", record, follow_up_id=follow_up.id, fields=sorted(changes))
    db.session.flush()
    return follow_up


@dataclass
class RecordFilters:
    status: Any = None
    agent: str | None = None
    team: str | None = None
    category: str | None = None
    subcategory: str | None = None
    channel: Any = None
    priority: Any = None
    customer_no: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> RecordFilters:
        return cls(**{key: value for key, value in args.items() if key in cls.__dataclass_fields__})


def filtered_records_query(user: User, filters: RecordFilters) -> sa.Select:
    query = sa.select(Record).where(record_scope(user))
    if filters.status:
        query = query.where(Record.status == filters.status)
    if filters.channel:
        query = query.where(Record.channel == filters.channel)
    if filters.priority:
        query = query.where(Record.priority == filters.priority)
    if filters.agent:
        agent = find_agent(filters.agent)
        query = query.where(Record.agent_id == (agent.id if agent else -1))
    if filters.team:
        query = query.where(Record.team_id.in_(sa.select(Team.id).where(Team.name == filters.team)))
    if filters.category or filters.subcategory:
        try:
            category, subcategory = taxonomy().resolve(filters.category, filters.subcategory)
        except ValueError as exc:
            raise ValidationError({"category": [str(exc)]}) from None
        query = query.where(Record.category == category)
        if subcategory:
            query = query.where(Record.subcategory == subcategory)
    if filters.customer_no:
        query = query.where(
            Record.customer_id.in_(sa.select(Customer.id).where(Customer.number == filters.customer_no))
        )
    if filters.date_from:
        query = query.where(Record.contacted_at >= local_day_start(filters.date_from))
    if filters.date_to:
        query = query.where(Record.contacted_at < local_day_start(filters.date_to + timedelta(days=1)))
    if filters.q:
        pattern = like_pattern(filters.q.strip())
        text_columns = [getattr(Record, field) for field in FREE_TEXT_FIELDS] + [Record.number]
        customer_match = Record.customer_id.in_(
            sa.select(Customer.id).where(
                sa.or_(Customer.name.ilike(pattern, escape="\\"), Customer.company.ilike(pattern, escape="\\"))
            )
        )
        query = query.where(sa.or_(customer_match, *(column.ilike(pattern, escape="\\") for column in text_columns)))
    return query


def list_records(user: User, filters: RecordFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[Record], int]:
    query = filtered_records_query(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(Record.contacted_at.desc(), Record.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def may_reveal(user: User, record: Record, requested: bool) -> bool:
    """Whether to show personal data unmasked; audit-logs the reveal when it happens."""
    if not requested:
        return False
    require(can_reveal_record(user, record), "Your role may not reveal personal data of this record.")
    audit.log(user, "record.reveal", record)
    return True


def record_to_dict(record: Record, *, viewer: User, revealed: bool = False) -> dict[str, Any]:
    """A record as a viewer may see it: masked unless revealed, customer scrubbed for trainers."""
    masked = not revealed
    scrubbed = is_scrubbed_viewer(viewer)
    text = {
        field: (mask_text(getattr(record, field)) if masked else getattr(record, field)) for field in FREE_TEXT_FIELDS
    }
    if scrubbed and record.customer.name and record.customer.name != ANONYMOUS_NAME:
        # A name the customer gave can be repeated in the text ("王先生说..."); trainers must not see it.
        text = {field: value.replace(record.customer.name, "客户") if value else value for field, value in text.items()}
    today = local_today()
    return {
        "id": record.id,
        "number": record.number,
        "source": record.source,
        "external_id": record.external_id,
        "customer": customer_to_dict(record.customer, masked=masked, scrubbed=scrubbed),
        "channel": record.channel.value,
        "channel_platform": record.channel_platform,
        "contacted_at": iso_utc(record.contacted_at),
        "duration_minutes": record.duration_minutes,
        "agent": record.agent.username,
        "team": record.team.name if record.team else None,
        "category": record.category,
        "subcategory": record.subcategory,
        "tags": list(record.tags or []),
        "priority": record.priority.value,
        "status": record.status.value,
        **text,
        "attachments": [mask_notes(item, masked) for item in record.attachments or []],
        "emotion": record.emotion.value if record.emotion else None,
        "collaboration": [mask_notes(item, masked) for item in record.collaboration or []],
        "satisfaction": record.satisfaction,
        "satisfaction_efficiency": record.satisfaction_efficiency,
        "satisfaction_resolution": record.satisfaction_resolution,
        "satisfaction_attitude": record.satisfaction_attitude,
        "follow_ups": [
            {
                "id": f.id,
                "action": mask_text(f.action) if masked else f.action,
                "owner": f.owner,
                "due": f.due,
                "done": f.done,
                "overdue": bool(f.due and not f.done and f.due < today),
            }
            for f in record.follow_ups
        ],
        "related": [other.number for other in record.related],
        "language": record.language.value,
        "created_at": iso_utc(record.created_at),
        "updated_at": iso_utc(record.updated_at),
        "masked": masked,
    }


def mask_notes(item: dict[str, Any], masked: bool) -> dict[str, Any]:
    """Attachment and collaboration entries are short free text too ("客户发来的截图 13812345678")."""
    if not masked:
        return dict(item)
    return {key: mask_text(value) if isinstance(value, str) else value for key, value in item.items()}


def record_summary(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "number": record.number,
        "contacted_at": iso_utc(record.contacted_at),
        "channel": record.channel.value,
        "category": record.category,
        "subcategory": record.subcategory,
        "status": record.status.value,
        "agent": record.agent.username,
    }


def iso_utc(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") + "Z" if moment else None
