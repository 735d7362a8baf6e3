"""Service functions of the case library: training cases made from records, searched and curated by trainers.

Training packs (collections, assignments, reading) are in scoring.cases.packs. Like the other operations modules
these validate, change the session and audit-log, flush but never commit.

Who does what: trainers and administrators curate (make, edit and delete cases and packs); supervisors read the
library and assign published packs to their team; agents read the published packs meant for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import NotFound, can_view_record, require
from records.db import db, like_pattern
from records.enums import Role
from records.models import Record, User
from scoring.cases.anonymising import Anonymiser, anonymiser_for, identifying_data, snapshot, staff_names
from scoring.cases.dimensions import dimension_keys
from scoring.cases.models import CaseCollection, CaseKind, CollectionItem, PackStatus, TrainingCase
from scoring.operations import scorecard
from scoring.reports import latest_grades

#: Roles that make, edit and delete cases and packs.
CURATORS = (Role.TRAINER, Role.ADMIN)
#: Roles that browse and search the whole library (supervisors: to pick packs for their team).
LIBRARY_READERS = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
#: The free texts of a case a trainer may still edit (to take out something the scrubber missed).
SNAPSHOT_TEXT_FIELDS = (
    "problem_description",
    "customer_request",
    "key_details",
    "handling_steps",
    "resolution",
    "customer_feedback",
)
#: Text fields of a case searched by the library's search box.
SEARCHED_FIELDS = ("title", "commentary", *SNAPSHOT_TEXT_FIELDS)
#: A title made from the problem description is cut to this many characters.
DEFAULT_TITLE_LENGTH = 60


def can_curate(user: User) -> bool:
    return user.role in CURATORS


def can_read_library(user: User) -> bool:
    return user.role in LIBRARY_READERS


def require_curator(user: User) -> None:
    require(can_curate(user), "Only trainers and administrators curate the case library.")


def require_library_reader(user: User) -> None:
    require(can_read_library(user), "Only supervisors, trainers and administrators open the case library.")


# ----- reading the library -----------------------------------------------------------------------------------------


def get_case(case_id: int) -> TrainingCase:
    case = db.session.get(TrainingCase, case_id) if 0 < case_id < 2**31 else None
    if case is None:
        raise NotFound(f"No case {case_id}.")
    return case


def case_for(user: User, case_id: int) -> TrainingCase:
    require_library_reader(user)
    return get_case(case_id)


@dataclass
class CaseFilters:
    q: str | None = None
    kind: CaseKind | None = None
    dimension: str | None = None


def search_condition(q: str) -> sa.ColumnElement[bool]:
    """Cases whose title, commentary or snapshot texts contain every word of q (case-insensitive)."""
    conditions = []
    for word in q.split():
        pattern = like_pattern(word)
        conditions.append(
            sa.or_(*(getattr(TrainingCase, name).ilike(pattern, escape="\\") for name in SEARCHED_FIELDS))
        )
    return sa.and_(*conditions)


def dimension_condition(column: sa.ColumnElement, key: str) -> sa.ColumnElement[bool]:
    """A JSON list column holding key. Keys are plain ASCII (dimensions.parse_dimensions), so the serialised list
    reads the same on SQLite and PostgreSQL."""
    return sa.cast(column, sa.Text).like(f'%"{key}"%')


def list_cases(filters: CaseFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[TrainingCase], int]:
    """Newest first."""
    query = sa.select(TrainingCase)
    if filters.q and filters.q.strip():
        query = query.where(search_condition(filters.q))
    if filters.kind is not None:
        query = query.where(TrainingCase.kind == filters.kind)
    if filters.dimension:
        query = query.where(dimension_condition(TrainingCase.dimensions, filters.dimension))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(TrainingCase.created_at.desc(), TrainingCase.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total)


def count_by_kind() -> dict[str, int]:
    counts = {kind.value: 0 for kind in CaseKind}
    for kind, count in db.session.execute(sa.select(TrainingCase.kind, sa.func.count()).group_by(TrainingCase.kind)):
        counts[CaseKind(kind).value] = count
    return counts


def case_ids_from_records(record_ids: list[int]) -> dict[int, int]:
    """record id → the id of a case made from it, for the records that already have one."""
    if not record_ids:
        return {}
    rows = db.session.execute(
        sa.select(TrainingCase.source_record_id, sa.func.min(TrainingCase.id))
        .where(TrainingCase.source_record_id.in_(record_ids))
        .group_by(TrainingCase.source_record_id)
    )
    return {record_id: case_id for record_id, case_id in rows}


def packs_of(case: TrainingCase, *, for_update: bool = False) -> list[CaseCollection]:
    """The packs holding the case; for_update holds their rows as packs.lock_collection does."""
    query = (
        sa.select(CaseCollection)
        .join(CollectionItem, CollectionItem.collection_id == CaseCollection.id)
        .where(CollectionItem.case_id == case.id)
        .order_by(CaseCollection.title)
    )
    if for_update:
        query = query.with_for_update(of=CaseCollection)
    return list(db.session.scalars(query))


# ----- checks ------------------------------------------------------------------------------------------------------


def check_dimensions(values: list[str] | None, *, required: bool = True) -> list[str]:
    allowed = dimension_keys()
    chosen = list(dict.fromkeys(values or []))
    unknown = [key for key in chosen if key not in allowed]
    if unknown:
        raise ValidationError({"dimensions": [_l("Choose dimensions from the list.")]})
    if required and not chosen:
        raise ValidationError({"dimensions": [_l("Choose at least one dimension the case teaches.")]})
    return chosen


def free_text_errors(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, list[str]]:
    """Trainers' texts go to every agent who reads the pack: nothing in them may identify anyone."""
    errors = {}
    for field, text in values.items():
        found = identifying_data(text, names) if isinstance(text, str) else []
        if found:
            errors[field] = [
                _l(
                    "Remove personal data (names, phone numbers, addresses, ID or card numbers) first: %(found)s.",
                    found=", ".join(found[:3]),
                )
            ]
    return errors


def check_free_text(values: dict[str, Any], names: tuple[str, ...]) -> None:
    errors = free_text_errors(values, names)
    if errors:
        raise ValidationError(errors)


def known_names(case: TrainingCase | None = None, record: Record | None = None) -> tuple[str, ...]:
    """Names a case's texts must not contain: every account's, and the source record's customer while it exists."""
    record = record or (case.source_record if case is not None else None)
    names = list(staff_names())
    if record is not None:
        names += [record.customer.name or "", *(follow_up.owner for follow_up in record.follow_ups)]
    return tuple(name for name in names if name)


# ----- making and editing cases ------------------------------------------------------------------------------------


def scores_at_the_time(record: Record, anonymiser: Anonymiser) -> dict[str, Any]:
    """The record's automatic score per criterion, the supervisor's grade if any, and the score that counts.

    Explanations quote the record ("not specific: 王先生说…"), so they are scrubbed like the record's texts.
    """
    card = scorecard(record)
    grade = latest_grades([record.id]).get(record.id)

    def scrubbed(texts: dict[str, str] | None) -> dict[str, str] | None:
        return {language: anonymiser.text(text) or "" for language, text in texts.items()} if texts else None

    criteria = [
        {
            "key": item["key"],
            "name": item["name"],
            "kind": item["kind"],
            "critical": item["critical"],
            "points": item["points"],
            "scale": item["scale"],
            "explanation": scrubbed(item["explanation"]),
            "suggestion": scrubbed(item["suggestion"]),
        }
        for item in card["criteria"]
        if item["applicable"]
    ]
    return {
        "score": grade.score if grade else card["score"],
        "auto_score": card["score"],
        "grade_score": grade.score if grade else None,
        "critical_failed": card["critical_failed"],
        "rubric_version": card["rubric_version"],
        "criteria": criteria,
    }


def default_title(problem: str) -> str:
    first_line = next((line.strip() for line in problem.splitlines() if line.strip()), "")
    if len(first_line) <= DEFAULT_TITLE_LENGTH:
        return first_line
    return first_line[: DEFAULT_TITLE_LENGTH - 1].rstrip() + "…"


def create_case(record: Record, values: dict[str, Any], *, by: User) -> TrainingCase:
    """A case from a record: its anonymised snapshot and the scores it has now, with the trainer's kind,
    dimensions, title and commentary. `values`: kind (required), dimensions (at least one), title, commentary."""
    require_curator(by)
    require(can_view_record(by, record), "You may not see this record.")
    errors: dict[str, list[str]] = {}
    if values.get("kind") is None:
        errors["kind"] = [_l("Say whether the case is exemplary or cautionary.")]
    try:
        dimensions = check_dimensions(values.get("dimensions"))
    except ValidationError as exc:
        errors.update(exc.messages)
    names = known_names(record=record)
    errors.update(free_text_errors({name: values.get(name) for name in ("title", "commentary")}, names))
    if errors:
        raise ValidationError(errors)

    anonymiser = anonymiser_for(record, staff=names)
    fields = snapshot(record, anonymiser)
    case = TrainingCase(
        kind=CaseKind(values["kind"]),
        dimensions=dimensions,
        commentary=(values.get("commentary") or "").strip() or None,
        source_record_id=record.id,
        created_by_id=by.id,
        **fields,
        **scores_at_the_time(record, anonymiser),
    )
    case.title = (values.get("title") or "").strip() or default_title(case.problem_description) or str(record.number)
    db.session.add(case)
    db.session.flush()
    audit.log(by, "case.create", case, record=record.number, kind=case.kind.value)
    return case


#: What update_case changes: the trainer's fields and the snapshot's free texts.
EDITABLE_FIELDS = ("title", "kind", "dimensions", "commentary", *SNAPSHOT_TEXT_FIELDS)


def update_case(case: TrainingCase, changes: dict[str, Any], *, by: User) -> list[str]:
    """Edit a case; returns the fields that changed. The snapshot keeps what the record said, so only its free
    texts are editable, and only to take something out: every text is checked for identifying data again."""
    require_curator(by)
    values = {name: changes[name] for name in EDITABLE_FIELDS if name in changes}
    if "title" in values and not (values["title"] or "").strip():
        raise ValidationError({"title": [_l("A case needs a title.")]})
    if "problem_description" in values and not (values["problem_description"] or "").strip():
        raise ValidationError({"problem_description": [_l("A case needs the problem description.")]})
    if "kind" in values:
        if values["kind"] is None:
            raise ValidationError({"kind": [_l("Say whether the case is exemplary or cautionary.")]})
        values["kind"] = CaseKind(values["kind"])
    if "dimensions" in values:
        values["dimensions"] = check_dimensions(values["dimensions"])
    texts = {name: value for name, value in values.items() if name not in ("kind", "dimensions")}
    check_free_text(texts, known_names(case))
    changed = []
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)
    if changed:
        db.session.flush()
        audit.log(by, "case.update", case, fields=changed)
    return changed


def delete_case(case: TrainingCase, *, by: User) -> None:
    """Delete a case. One in a published pack stays until it is taken out of the pack (its readers would lose it)."""
    require_curator(by)
    published = [pack.title for pack in packs_of(case, for_update=True) if pack.status == PackStatus.PUBLISHED]
    if published:
        raise ValidationError(
            {
                "case": [
                    _l(
                        "The case is in published packs: %(packs)s. Remove it from them first.",
                        packs=", ".join(published),
                    )
                ]
            }
        )
    audit.log(by, "case.delete", case, title=case.title)
    db.session.delete(case)
    db.session.flush()
