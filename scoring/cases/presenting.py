"""Cases and packs as dicts: what the API answers, the pages show and the exports write."""

from __future__ import annotations

from typing import Any

from records.models import User
from records.presenting import iso_utc
from scoring.cases.dimensions import criterion_label, dimension_by_key, known_criteria
from scoring.cases.models import CaseCollection, CollectionAssignment, CollectionReading, TrainingCase
from scoring.cases.operations import SNAPSHOT_TEXT_FIELDS, can_read_library
from scoring.cases.packs import teaches


def dimension_names(keys: list[str]) -> list[dict[str, Any]]:
    by_key = dimension_by_key()
    return [
        {"key": key, "name": {"zh": by_key[key].zh, "en": by_key[key].en} if key in by_key else {"zh": key, "en": key}}
        for key in keys
    ]


def criterion_names(keys: list[str] | set[str]) -> list[dict[str, Any]]:
    names = known_criteria()
    return [{"key": key, "name": names.get(key, {"zh": key, "en": key})} for key in sorted(keys)]


def case_dict(case: TrainingCase, *, viewer: User | None = None) -> dict[str, Any]:
    """A case as anyone who may read it sees it; the link to the source record only for library readers (agents
    reading a pack need no way back to a colleague's record)."""
    library = viewer is None or can_read_library(viewer)
    record = case.source_record if library else None
    return {
        "id": case.id,
        "title": case.title,
        "kind": case.kind.value,
        "dimensions": dimension_names(case.dimensions or []),
        "commentary": case.commentary,
        "language": case.language.value,
        "source_record": record.number if record is not None else None,
        "source_deleted": library and case.source_record_id is None,
        "channel": case.channel.value,
        "channel_platform": case.channel_platform,
        "contacted_at": iso_utc(case.contacted_at),
        "duration_minutes": case.duration_minutes,
        "category": case.category,
        "subcategory": case.subcategory,
        "priority": case.priority.value,
        "status": case.status.value,
        "emotion": case.emotion.value if case.emotion else None,
        "customer": dict(case.customer or {}),
        **{name: getattr(case, name) for name in SNAPSHOT_TEXT_FIELDS},
        "satisfaction": case.satisfaction,
        "details": dict(case.details or {}),
        "score": case.score,
        "auto_score": case.auto_score,
        "grade_score": case.grade_score,
        "critical_failed": case.critical_failed,
        "rubric_version": case.rubric_version,
        "criteria": list(case.criteria or []),
        "created_by": case.created_by.display_name if case.created_by and library else None,
        "created_at": iso_utc(case.created_at),
        "updated_at": iso_utc(case.updated_at),
    }


def case_summary(case: TrainingCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "title": case.title,
        "kind": case.kind.value,
        "dimensions": dimension_names(case.dimensions or []),
        "category": case.category,
        "subcategory": case.subcategory,
        "status": case.status.value,
        "score": case.score,
        "created_at": iso_utc(case.created_at),
    }


def collection_dict(
    collection: CaseCollection,
    *,
    viewer: User | None = None,
    cases: bool = True,
    assignment: CollectionAssignment | None = None,
    reading: CollectionReading | None = None,
) -> dict[str, Any]:
    """A pack; with `cases` its cases in reading order, and the viewer's own assignment and reading if given."""
    data = {
        "id": collection.id,
        "title": collection.title,
        "introduction": collection.introduction,
        "status": collection.status.value,
        "audience": collection.audience.value,
        "criteria": criterion_names(collection.criteria or []),
        "teaches": criterion_names(teaches(collection)),
        "case_count": len(collection.items),
        "created_by": collection.created_by.display_name if collection.created_by else None,
        "created_at": iso_utc(collection.created_at),
        "updated_at": iso_utc(collection.updated_at),
        "published_at": iso_utc(collection.published_at),
        "assignment": {
            "assigned_at": iso_utc(assignment.assigned_at),
            "due": assignment.due.isoformat() if assignment.due else None,
            "note": assignment.note,
            "criterion": assignment.criterion,
        }
        if assignment
        else None,
        "reading": {
            "first_opened_at": iso_utc(reading.first_opened_at),
            "completed_at": iso_utc(reading.completed_at),
        }
        if reading
        else None,
    }
    if cases:
        data["cases"] = [case_dict(case, viewer=viewer) for case in collection.cases]
    return data


def criterion_text(key: str | None, language: str) -> str:
    return criterion_label(key, language) if key else ""
