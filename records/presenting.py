"""What a viewer may see of a record or customer: masked unless revealed, scrubbed for trainers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from records import audit
from records.access import can_manage_customer, can_reveal_record, can_view_record, is_scrubbed_viewer, require
from records.anonymising import Anonymiser, trainer_anonymiser
from records.db import db
from records.masking import mask_email, mask_phone, mask_text
from records.models import Customer, Record, RecordNote, User
from records.timeutil import local_today

#: Free-text fields of a record; they are masked for viewers who may not (or did not ask to) reveal personal data.
FREE_TEXT_FIELDS = (
    "problem_description",
    "customer_request",
    "key_details",
    "handling_steps",
    "resolution",
    "customer_feedback",
)


def may_reveal(user: User, record: Record, requested: bool, *, purpose: str = "view") -> bool:
    """Whether to show personal data unmasked; audit-logs the reveal, and why ("view", "edit"), when it happens."""
    if not requested:
        return False
    require(can_reveal_record(user, record), "Your role may not reveal personal data of this record.")
    audit.log(user, "record.reveal", record, purpose=purpose)
    return True


def record_to_dict(record: Record, *, viewer: User, revealed: bool = False) -> dict[str, Any]:
    """A record as a viewer may see it: masked unless revealed, customer scrubbed for trainers."""
    masked = not revealed
    scrubbed = is_scrubbed_viewer(viewer)
    # Trainers are promised no customer identity: their view is the case library's anonymisation (the customer
    # becomes 客户A, third parties and staff [姓名], addresses, phones, IDs and cards placeholders), not masking.
    anonymiser = trainer_anonymiser(record) if scrubbed else None
    text = {
        field: anonymiser.text(getattr(record, field))
        if anonymiser
        else (mask_text(getattr(record, field)) if masked else getattr(record, field))
        for field in FREE_TEXT_FIELDS
    }
    chinese = record.language.value == "zh"
    notes = [
        {"id": note.id, "author": note.author, "created_at": iso_utc(note.created_at), "text": note.text}
        for note in db.session.scalars(
            sa.select(RecordNote).where(RecordNote.record_id == record.id).order_by(RecordNote.id)
        )
    ]
    for note in notes:
        if anonymiser:
            note["text"] = anonymiser.text(note["text"])
        elif masked:
            note["text"] = mask_text(note["text"])
    today = local_today()
    return {
        "id": record.id,
        "number": record.number,
        "source": record.source,
        "external_id": record.external_id,
        # Revealing a record shows its text; the customer's contact details only to those who manage the profile.
        "customer": customer_to_dict(
            record.customer,
            masked=masked or not can_manage_customer(viewer, record.customer),
            scrubbed=scrubbed,
            viewer=viewer,
        ),
        "channel": record.channel.value,
        "channel_platform": anonymiser.text(record.channel_platform) if anonymiser else record.channel_platform,
        "contacted_at": iso_utc(record.contacted_at),
        "duration_minutes": record.duration_minutes,
        "agent": record.agent.username,
        "assignee": record.assignee.username if record.assignee else None,
        "team": record.team.name if record.team else None,
        "category": record.category,
        "subcategory": record.subcategory,
        "tags": list(record.tags or []),
        "priority": record.priority.value,
        "status": record.status.value,
        **text,
        "attachments": [mask_notes(item, masked, anonymiser, keep=("type",)) for item in record.attachments or []],
        "emotion": record.emotion.value if record.emotion else None,
        "collaboration": [
            mask_notes(item, masked, anonymiser, keep=("ticket_no",)) for item in record.collaboration or []
        ],
        "satisfaction": record.satisfaction,
        "satisfaction_efficiency": record.satisfaction_efficiency,
        "satisfaction_resolution": record.satisfaction_resolution,
        "satisfaction_attitude": record.satisfaction_attitude,
        "follow_ups": [
            {
                "id": f.id,
                "action": anonymiser.text(f.action) if anonymiser else (mask_text(f.action) if masked else f.action),
                "owner": anonymiser.owner(f.owner, chinese) if anonymiser else f.owner,
                # Staff named in the text are [姓名] to trainers; the reminded user is no more theirs to see.
                "owner_user": f.owner_user.username if f.owner_user and not anonymiser else None,
                "due": f.due,
                "done": f.done,
                "overdue": bool(f.due and not f.done and f.due < today),
            }
            for f in record.follow_ups
        ],
        "related": [other.number for other in visible_related(record, viewer)],
        # What the customer added through a status link (records.customer_links): beside the record, not in it.
        "customer_notes": notes,
        "language": record.language.value,
        "created_at": iso_utc(record.created_at),
        "updated_at": iso_utc(record.updated_at),
        "recorded_at": iso_utc(record.recorded_at),
        "imported_at": iso_utc(record.imported_at),
        "template_exceptions": list(record.template_exceptions or []),
        "masked": masked,
    }


def visible_related(record: Record, viewer: User) -> list[Record]:
    """The record's related records the viewer may see: a link to another team's record shows them nothing of it,
    not even that it exists (its number, date or agent)."""
    return [other for other in record.related if can_view_record(viewer, other)]


def mask_notes(
    item: dict[str, Any], masked: bool, anonymiser: Anonymiser | None = None, *, keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Attachment and collaboration entries are short free text too ("客户发来的截图 13812345678"); for trainers
    they are anonymised except for the codes in `keep` (attachment type, ticket number)."""
    if anonymiser is not None:
        return {
            key: anonymiser.text(value) if isinstance(value, str) and key not in keep else value
            for key, value in item.items()
        }
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
    # Seconds included: the API declares these fields RFC 3339 date-times, which require them.
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def customer_to_dict(
    customer: Customer, *, masked: bool, scrubbed: bool = False, viewer: User | None = None
) -> dict[str, Any]:
    """The profile; `record_count` (given a viewer) counts the customer's records that viewer may see."""
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
        **({"record_count": visible_record_count(customer, viewer)} if viewer is not None else {}),
        "unverified": customer.unverified,
        "masked": masked,
    }


def visible_record_count(customer: Customer, viewer: User) -> int:
    return sum(1 for record in customer.records if can_view_record(viewer, record))
