"""Service functions for records; the web views, the CLI and jobs all call these.

Operations validate, change the session and audit-log; they flush but never commit: the request or command commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import (
    NotFound,
    PermissionDenied,
    can_create_records,
    can_edit_record,
    can_view_customer,
    can_view_record,
    record_scope,
    require,
)
from records.assignment import apply_rules, assign_record, follow_up_fields, may_handle, resolve_user
from records.customers import find_or_create_customer, returning_customer
from records.db import db, row_id
from records.enums import Language, Role, Status
from records.lookup import record_search
from records.models import Customer, FollowUp, Record, Team, User, record_links
from records.numbering import RECORD_NUMBER, kept_number, next_number
from records.people import find_agent
from records.presenting import FREE_TEXT_FIELDS
from records.schemas import HISTORY_RULES, record_rule_errors
from records.taxonomy import Taxonomy, load_taxonomy
from records.timeutil import format_local, local_day_start, to_local, utcnow
from records.versioning import bump

#: Record fields set directly from loaded input (agent, team, customer, follow-ups and links are resolved apart).
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
    "category",
    "subcategory",
)
#: Fields only an import sets (records.schemas.ImportRecordSchema): a record's history in the system it came from.
HISTORY_FIELDS = ("recorded_at", "template_exceptions")


#: Longest legal-hold reason kept; a sentence or two naming the dispute and its reference.
LEGAL_HOLD_REASON_CHARS = 500


class RecordArchived(PermissionDenied):
    """The record was archived by the retention policy and is read-only."""


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


def resolve_agent(reference: str | None, by: User) -> User:
    if not reference:
        return by
    agent = find_agent(reference)
    if agent is None:
        raise ValidationError(
            {
                "agent": [
                    _l("There is no user %(name)s; ask an administrator to create the account.", name=repr(reference))
                ]
            }
        )
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


def resolve_related(references: list[str], source: str, *, by: User, exclude: Record | None = None) -> list[Record]:
    """The records `references` name (numbers, or external ids of `source`) among those `by` may see.

    A record `by` may not see answers exactly like one that does not exist, so linking cannot probe another team's
    record numbers, nor attach a link to their record.
    """
    found, missing = [], []
    for reference in references:
        record = db.session.scalar(
            sa.select(Record).where(
                sa.or_(Record.number == reference, sa.and_(Record.source == source, Record.external_id == reference)),
                record_scope(by),
            )
        )
        if record is None:
            missing.append(reference)
        elif exclude is None or record.id != exclude.id:
            found.append(record)
    if missing:
        raise ValidationError({"related": [_l("There is no record %(numbers)s.", numbers=", ".join(missing))]})
    return found


def apply_category(values: dict[str, Any], current: Any | None) -> None:
    """Resolve `category`/`subcategory` in loaded input (codes or labels) to taxonomy codes, against what the
    record or article being changed (`current`) already has; a 422 names the allowed categories."""
    if "category" not in values and "subcategory" not in values:
        return
    category = values.get("category", current.category if current else None)
    subcategory = values.get("subcategory", current.subcategory if current else None)
    try:
        values["category"], values["subcategory"] = taxonomy().resolve(category, subcategory)
    except ValueError as exc:
        raise ValidationError({"category": [str(exc)]}) from None


def create_record(
    data: dict[str, Any], *, by: User, unverified_customer: bool = False, imported: bool = False
) -> Record:
    """Create a record from data loaded by RecordInputSchema (ImportRecordSchema when `imported`).

    `unverified_customer`: the customer details come from someone nobody verified (the public contact form); the
    record goes to a new customer flagged unverified, never to an existing one with the same phone or e-mail.
    `imported`: the record is history from another system (records.importing); it keeps when it was first written
    and the template rules it was accepted despite.
    """
    require(can_create_records(by), "Your role cannot create records.")
    values = dict(data)
    agent = resolve_agent(values.pop("agent", None), by)
    team = resolve_team(values.pop("team", None), agent)
    apply_category(values, None)
    source = values.pop("source", None) or "manual"
    contacted_at = values["contacted_at"]
    if values.get("external_id"):
        require_unique_external_id(source, values["external_id"])

    customer = resolve_customer(
        values.pop("customer_no", None),
        values.pop("customer", None) or {},
        contacted_at,
        by=by,
        team=team,
        unverified=unverified_customer,
    )
    follow_ups = values.pop("follow_ups", None) or []
    assignee = resolve_user(values.pop("assignee", None))
    related = resolve_related(values.pop("related", None) or [], source, by=by)
    if not values.get("language"):
        values["language"] = detect_language(values.get("problem_description"), values.get("customer_request"))

    record = Record(
        number=kept_number(values.pop("record_no", None), RECORD_NUMBER, Record.number)
        or next_number("R", to_local(contacted_at).date(), 4),
        source=source,
        customer=customer,
        agent=agent,
        team=team,
        created_by_id=by.id,
        **{key: value for key, value in values.items() if key in PLAIN_FIELDS},
    )
    if imported:
        record.imported_at = utcnow()
        record.recorded_at = values.get("recorded_at")
        record.template_exceptions = list(values.get("template_exceptions") or [])
    if record.status == Status.RESOLVED:
        record.resolved_at = utcnow()
    db.session.add(record)
    db.session.flush()  # links, follow-up owners and the assignment need the record's id and team
    record.follow_ups = [FollowUp(**follow_up_fields(item, record)) for item in follow_ups]
    if related:
        link_records(record, related)
    audit.log(by, "record.create", record, source=source, external_id=record.external_id)
    if assignee is None:
        apply_rules(record)
    else:
        assign_record(record, assignee, by=by)
    db.session.flush()
    return record


def resolve_customer(
    number: str | None,
    details: dict[str, Any],
    contacted_at: datetime,
    *,
    by: User,
    team: Team | None,
    unverified: bool = False,
) -> Customer:
    """The customer a new record belongs to: the one with `number` if `by` may see them, else by phone or e-mail.

    A number of a customer `by` may not see is treated as unknown (the same answer as a number nobody has), so
    customers of other teams can neither be probed nor joined by number. A phone or e-mail of a known customer
    joins them; the new record's team then sees the masked profile and its own records, nothing more
    (records.access.can_manage_customer).
    """
    if unverified:
        return find_or_create_customer(details, contacted_at, by=by, team=team, unverified=True)
    if not number:
        return find_or_create_customer(details, contacted_at, by=by, team=team)
    customer = db.session.scalar(sa.select(Customer).where(Customer.number == number))
    if customer is not None and can_view_customer(by, customer):
        return customer
    if details:
        # Moving records between installations (imports run as an administrator): the customer comes along with
        # their number. Anyone else's typed number is not kept, whether or not someone has it: a new customer
        # under it for a free number but another for a taken one would tell which numbers are taken.
        keep = number if customer is None and by.role == Role.ADMIN else None
        return find_or_create_customer(details, contacted_at, by=by, number=keep, team=team)
    raise ValidationError({"customer_no": [_l("There is no customer with the number %(number)s.", number=number)]})


def verify_customer(record: Record, *, by: User) -> Record:
    """Staff have checked that whoever wrote a contact request owns its phone or e-mail (called them back, say):
    the record joins the known customer with that phone or e-mail, as a record staff write would, or its unverified
    customer becomes an ordinary one owned by the record's team. The unverified customer, left without records,
    is deleted."""
    require(can_edit_record(by, record), "You may not change this record.")
    require_not_archived(record)
    unverified = record.customer
    if not unverified.unverified:
        raise ValidationError({"customer": [_l("This record's customer is already verified.")]})
    known = returning_customer(unverified.phone_key, unverified.email_key)
    if known is None:
        unverified.unverified = False
        unverified.team = record.team
        audit.log(by, "customer.verify", unverified, record=record.number)
    else:
        record.customer = known
        db.session.flush()
        audit.log(by, "customer.verify", known, record=record.number, unverified=unverified.number)
        if not db.session.scalar(sa.select(sa.exists().where(Record.customer_id == unverified.id))):
            db.session.delete(unverified)
    db.session.flush()
    return record


def require_unique_external_id(source: str, external_id: str, *, exclude: Record | None = None) -> None:
    query = sa.select(Record.number).where(Record.source == source, Record.external_id == external_id)
    if exclude is not None:
        query = query.where(Record.id != exclude.id)
    existing = db.session.scalar(query)
    if existing:
        raise ValidationError(
            {"external_id": [f"Record {existing} already has external id {external_id!r} from source {source!r}."]}
        )


def link_records(record: Record, others: list[Record]) -> None:
    """Related records point both ways, so either record's page shows the other."""
    for other in others:
        for left, right in ((record.id, other.id), (other.id, record.id)):
            exists = db.session.scalar(
                sa.select(sa.literal(True)).where(record_links.c.record_id == left, record_links.c.related_id == right)
            )
            if not exists:
                db.session.execute(sa.insert(record_links).values(record_id=left, related_id=right))
        # Written past the ORM, so the versions are raised here: both records now show the other.
        bump(other)
        db.session.expire(other, ["related"])
    if others and not sa.inspect(record).pending:
        bump(record)
    db.session.expire(record, ["related"])


def follow_up_state(record: Record) -> list[dict[str, Any]]:
    return [{"action": f.action, "owner": f.owner, "due": f.due, "done": f.done} for f in record.follow_ups]


def update_record(record: Record, changes: dict[str, Any], *, by: User, imported: bool = False) -> list[str]:
    """Apply a partial update loaded by RecordUpdateSchema; return the names of the fields that changed.

    `follow_ups` here adds follow-ups (an identical open one is not added twice); existing ones change through
    `update_follow_up`. `imported`: the changes come from an import of the record's history (ImportRecordSchema),
    which may break HISTORY_RULES; the record keeps which ones, as create_record does.
    """
    require(can_edit_record(by, record), "You may not change this record.")
    require_not_archived(record)
    values = dict(changes)
    if "customer" in values or "customer_no" in values:
        raise ValidationError({"customer": ["A record's customer is set when it is created."]})
    values.pop("source", None)
    values.pop("record_no", None)
    if values.get("external_id") and values["external_id"] != record.external_id:
        require_unique_external_id(record.source, values["external_id"], exclude=record)
    apply_category(values, record)

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
            db.session.flush()
            if record.assignee is not None and not may_handle(record.assignee, record):
                # The assignee belongs to the team the record left: the record goes back to its agent.
                assign_record(record, None, by=None)

    if "assignee" in values:
        assignee = resolve_user(values.pop("assignee"))
        if (assignee.id if assignee else None) != record.assignee_id and assign_record(record, assignee, by=by):
            changed.append("assignee")

    existing = {(f.action, f.owner, f.due) for f in record.follow_ups}
    new_follow_ups = [
        item
        for item in (follow_up_fields(item, record) for item in values.pop("follow_ups", None) or [])
        if (item["action"], item["owner"], item["due"]) not in existing
    ]
    related = resolve_related(values.pop("related", None) or [], record.source, by=by, exclude=record)

    merged = {field: getattr(record, field) for field in ("status", "resolution", "channel", "channel_platform")}
    merged.update({key: value for key, value in values.items() if key in merged})
    merged["follow_ups"] = follow_up_state(record) + new_follow_ups
    errors = record_rule_errors(merged)
    exceptions = [key for key in HISTORY_RULES if key in errors] if imported else []
    errors = {key: value for key, value in errors.items() if key not in exceptions}
    if errors:
        raise ValidationError(errors)

    if imported:
        values["template_exceptions"] = exceptions
    elif record.template_exceptions:
        # Edited through the form or the API, the record now meets today's rules (they were checked above).
        record.template_exceptions = []
        changed.append("template_exceptions")
    for field, value in values.items():
        if (field in PLAIN_FIELDS or (imported and field in HISTORY_FIELDS)) and getattr(record, field) != value:
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


def require_not_archived(record: Record) -> None:
    if record.archived_at is not None:
        raise RecordArchived(
            f"Record {record.number} was archived on {format_local(record.archived_at)} under the retention policy "
            "and is read-only."
        )


def can_hold_record(user: User, record: Record) -> bool:
    """Legal holds are set and cleared by administrators and by supervisors of the record's team."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPERVISOR and user.team_id is not None and record.team_id == user.team_id


def set_legal_hold(record: Record, reason: str, *, by: User) -> Record:
    """Flag the record as disputed: retention keeps it (neither archived nor deleted) until the hold is cleared."""
    require(can_hold_record(by, record), "Only administrators and supervisors of the record's team set legal holds.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the record is held, e.g. the dispute or its reference."]})
    if len(reason) > LEGAL_HOLD_REASON_CHARS:
        raise ValidationError({"reason": [f"At most {LEGAL_HOLD_REASON_CHARS} characters."]})
    record.legal_hold = True
    record.legal_hold_reason = reason
    audit.log(by, "record.legal_hold", record, reason=reason)
    db.session.flush()
    return record


def clear_legal_hold(record: Record, *, by: User) -> Record:
    """Lift the hold; retention treats the record like any other again. Clearing a record not on hold does nothing."""
    require(can_hold_record(by, record), "Only administrators and supervisors of the record's team clear legal holds.")
    if record.legal_hold:
        record.legal_hold = False
        record.legal_hold_reason = None
        audit.log(by, "record.legal_hold_clear", record)
        db.session.flush()
    return record


def get_record_for(user: User, reference: int | str) -> Record:
    if isinstance(reference, str) and not (reference.isascii() and reference.isdigit()):
        # PostgreSQL refuses text holding NUL; no record number holds one.
        if "\x00" in reference:
            raise NotFound("No such record.")
        condition = Record.number == reference
    else:
        # An id given as text ("423" from a URL): PostgreSQL does not compare an integer column with text.
        record_id = row_id(reference)
        if record_id is None:
            raise NotFound(f"No record {reference}.")
        condition = Record.id == record_id
    record = db.session.scalar(sa.select(Record).where(condition))
    if record is None:
        raise NotFound(f"No record {reference}.")
    require(can_view_record(user, record), "You may not see this record.")
    return record


def refresh_template_exceptions(record: Record) -> None:
    """An imported record's flags keep only the template rules it still breaks (a follow-up added later fixes one)."""
    if record.template_exceptions:
        broken = record_rule_errors(
            {"status": record.status, "resolution": record.resolution, "follow_ups": follow_up_state(record)}
        )
        record.template_exceptions = [key for key in record.template_exceptions if key in broken]


def get_follow_up(record: Record, follow_up_id: int) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.record_id != record.id:
        raise NotFound(f"Record {record.number} has no follow-up {follow_up_id}.")
    return follow_up


def add_follow_up(record: Record, data: dict[str, Any], *, by: User) -> FollowUp:
    require(can_edit_record(by, record), "You may not change this record.")
    require_not_archived(record)
    follow_up = FollowUp(**follow_up_fields(data, record))
    record.follow_ups.append(follow_up)
    refresh_template_exceptions(record)
    db.session.flush()
    audit.log(by, "follow_up.create", record, follow_up_id=follow_up.id)
    return follow_up


def update_follow_up(follow_up: FollowUp, changes: dict[str, Any], *, by: User) -> FollowUp:
    record = follow_up.record
    require(can_edit_record(by, record), "You may not change this record.")
    require_not_archived(record)
    for field, value in follow_up_fields(changes, record).items():
        setattr(follow_up, field, value)
    if "done" in changes:
        follow_up.done_at = utcnow() if follow_up.done else None
    errors = record_rule_errors(
        {"status": record.status, "resolution": record.resolution, "follow_ups": follow_up_state(record)}
    )
    if errors:
        raise ValidationError(errors)
    refresh_template_exceptions(record)
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
    #: Archived records instead of live ones (supervisors and administrators).
    archived: bool = False

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> RecordFilters:
        return cls(**{key: value for key, value in args.items() if key in cls.__dataclass_fields__})


def filtered_records_query(user: User, filters: RecordFilters) -> sa.Select:
    if filters.archived:
        require(user.role in (Role.SUPERVISOR, Role.ADMIN), "Archived records are listed for supervisors and admins.")
    archived = Record.archived_at.is_not(None) if filters.archived else Record.archived_at.is_(None)
    query = sa.select(Record).where(record_scope(user), archived)
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
    if filters.q and filters.q.strip():
        text_columns = [getattr(Record, field) for field in FREE_TEXT_FIELDS] + [Record.number]
        query = query.where(record_search(user, filters.q, text_columns))
    return query


def count_records_by_status(user: User, filters: RecordFilters) -> dict[str, int]:
    """How many visible records match the other filters, per status."""
    matching = filtered_records_query(user, replace(filters, status=None)).subquery()
    result = db.session.execute(sa.select(matching.c.status, sa.func.count()).group_by(matching.c.status))
    return {getattr(status, "value", status): count for status, count in result}


def list_records(user: User, filters: RecordFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[Record], int]:
    query = filtered_records_query(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(Record.contacted_at.desc(), Record.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total
