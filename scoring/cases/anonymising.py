"""Anonymised snapshots of records for the case library.

A case is teaching material that agents read for years, long after its record was edited or deleted by retention,
so its snapshot is taken with records.anonymising (the same rules as a trainer's view of a record): the customer
becomes "客户A" / "Customer A", other people "[姓名]" / "[name]", and phones, e-mails, ID and card numbers and
addresses are replaced by placeholders.
"""

from __future__ import annotations

from typing import Any

from records.anonymising import (
    PLACEHOLDERS,
    Anonymiser,
    anonymiser_for,
    identifying_data,
    is_chinese_text,
    name_variants,
    staff_names,
)
from records.models import Record

__all__ = [
    "PLACEHOLDERS",
    "Anonymiser",
    "anonymiser_for",
    "identifying_data",
    "is_chinese_text",
    "name_variants",
    "snapshot",
    "staff_names",
]


def _scrub_items(items: list[dict] | None, anonymiser: Anonymiser, keep: tuple[str, ...]) -> list[dict]:
    """Attachment and collaboration entries: short free text (notes) scrubbed, codes in `keep` as they are."""
    cleaned = []
    for item in items or []:
        cleaned.append(
            {
                key: value if key in keep or not isinstance(value, str) else anonymiser.text(value)
                for key, value in item.items()
            }
        )
    return cleaned


def snapshot(record: Record, anonymiser: Anonymiser) -> dict[str, Any]:
    """The columns of a TrainingCase copied from the record, every text scrubbed."""
    customer = record.customer
    chinese = record.language.value == "zh"
    return {
        "language": record.language,
        "channel": record.channel,
        "channel_platform": anonymiser.text(record.channel_platform),
        "contacted_at": record.contacted_at,
        "duration_minutes": record.duration_minutes,
        "category": record.category,
        "subcategory": record.subcategory,
        "priority": record.priority,
        "status": record.status,
        "emotion": record.emotion,
        "customer": {
            "label": PLACEHOLDERS["customer"][0 if chinese else 1],
            "customer_type": customer.customer_type.value,
            "tier": customer.tier.value,
            "industry": customer.industry,
        },
        "problem_description": anonymiser.text(record.problem_description) or "",
        "customer_request": anonymiser.text(record.customer_request),
        "key_details": anonymiser.text(record.key_details),
        "handling_steps": anonymiser.text(record.handling_steps),
        "resolution": anonymiser.text(record.resolution),
        "customer_feedback": anonymiser.text(record.customer_feedback),
        "satisfaction": record.satisfaction,
        "details": {
            "tags": [anonymiser.text(tag) for tag in record.tags or []],
            "attachments": _scrub_items(record.attachments, anonymiser, keep=("type",)),
            "collaboration": _scrub_items(record.collaboration, anonymiser, keep=("ticket_no",)),
            "follow_ups": [
                {
                    "action": anonymiser.text(follow_up.action),
                    "owner": anonymiser.owner(follow_up.owner, chinese),
                    "due": follow_up.due.isoformat() if follow_up.due else None,
                    "done": follow_up.done,
                }
                for follow_up in record.follow_ups
            ],
            "satisfaction_efficiency": record.satisfaction_efficiency,
            "satisfaction_resolution": record.satisfaction_resolution,
            "satisfaction_attitude": record.satisfaction_attitude,
            "related_count": len(record.related),
        },
    }
