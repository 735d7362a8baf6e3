"""Training packs (collections): ordered cases with an introduction; who may open them; curating them.

A draft pack is the trainers' own; a published one is read by every agent (audience "everyone") or by the agents it
is assigned to (scoring.cases.training); an archived one is read by nobody but keeps its assignments and readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from records import audit
from records.access import NotFound, require
from records.db import db, like_pattern
from records.enums import Role
from records.models import User
from records.timeutil import utcnow
from scoring.cases.dimensions import criteria_of, known_criteria
from scoring.cases.models import (
    CaseCollection,
    CollectionAssignment,
    CollectionItem,
    PackAudience,
    PackStatus,
    TrainingCase,
)
from scoring.cases.operations import CURATORS, check_free_text, known_names, require_curator

#: Most cases one pack holds; a pack is read in one sitting or a few.
MAX_CASES = 200


# ----- visibility --------------------------------------------------------------------------------------------------


def readable_condition(user: User) -> sa.ColumnElement[bool]:
    """Packs the user may open: curators all; supervisors published ones; agents the published packs for everyone
    and those assigned to them."""
    if user.role in CURATORS:
        return sa.true()
    published = CaseCollection.status == PackStatus.PUBLISHED
    if user.role == Role.SUPERVISOR:
        return published
    assigned = sa.select(CollectionAssignment.collection_id).where(CollectionAssignment.agent_id == user.id)
    return sa.and_(published, sa.or_(CaseCollection.audience == PackAudience.EVERYONE, CaseCollection.id.in_(assigned)))


def get_collection(collection_id: int) -> CaseCollection:
    collection = db.session.get(CaseCollection, collection_id) if 0 < collection_id < 2**31 else None
    if collection is None:
        raise NotFound(f"No training pack {collection_id}.")
    return collection


def lock_collection(collection: CaseCollection) -> None:
    """Hold the pack's row until the transaction ends and read the pack again, before changing it.

    Two edits of a pack's cases, or an edit and a deletion, then run one after the other on PostgreSQL instead of
    failing on rows the other deleted or acting on a status the other changed (SQLite runs one writer at a time)."""
    db.session.flush()
    found = db.session.scalar(sa.select(CaseCollection.id).where(CaseCollection.id == collection.id).with_for_update())
    if found is None:
        raise NotFound(f"No training pack {collection.id}.")
    db.session.expire(collection)


def collection_for(user: User, collection_id: int) -> CaseCollection:
    collection = get_collection(collection_id)
    readable = db.session.scalar(
        sa.select(sa.func.count()).where(CaseCollection.id == collection.id, readable_condition(user))
    )
    require(bool(readable), "This training pack is not published to you.")
    return collection


@dataclass
class PackFilters:
    q: str | None = None
    status: PackStatus | None = None


def list_collections(user: User, filters: PackFilters, *, page: int = 1, per_page: int = 25):
    """The packs the user may open, the most recently changed first."""
    query = sa.select(CaseCollection).where(readable_condition(user))
    if filters.status is not None:
        query = query.where(CaseCollection.status == filters.status)
    if filters.q and filters.q.strip():
        for word in filters.q.split():
            pattern = like_pattern(word)
            query = query.where(
                sa.or_(
                    CaseCollection.title.ilike(pattern, escape="\\"),
                    CaseCollection.introduction.ilike(pattern, escape="\\"),
                )
            )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.options(selectinload(CaseCollection.items).selectinload(CollectionItem.case))
        .order_by(CaseCollection.updated_at.desc(), CaseCollection.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total)


def count_by_status() -> dict[str, int]:
    counts = {status.value: 0 for status in PackStatus}
    for status, count in db.session.execute(
        sa.select(CaseCollection.status, sa.func.count()).group_by(CaseCollection.status)
    ):
        counts[PackStatus(status).value] = count
    return counts


def teaches(collection: CaseCollection) -> set[str]:
    """The criteria a pack teaches: those the trainer tagged it with and those of its cases' dimensions."""
    return set(collection.criteria or []) | criteria_of([key for case in collection.cases for key in case.dimensions])


# ----- curating ----------------------------------------------------------------------------------------------------


def _check_criteria(values: list[str] | None) -> list[str]:
    known = known_criteria()
    chosen = list(dict.fromkeys(values or []))
    unknown = [key for key in chosen if key not in known]
    if unknown:
        raise ValidationError({"criteria": [_l("Choose criteria from the list.")]})
    return chosen


def _cases_in_order(case_ids: list[int]) -> list[TrainingCase]:
    ids = list(case_ids)
    if len(set(ids)) != len(ids):
        raise ValidationError({"case_ids": [_l("A case appears twice in the pack.")]})
    if len(ids) > MAX_CASES:
        raise ValidationError({"case_ids": [f"A pack holds at most {MAX_CASES} cases."]})
    found = {case.id: case for case in db.session.scalars(sa.select(TrainingCase).where(TrainingCase.id.in_(ids)))}
    missing = [case_id for case_id in ids if case_id not in found]
    if missing:
        raise ValidationError({"case_ids": [_l("No case %(id)s.", id=missing[0])]})
    return [found[case_id] for case_id in ids]


def _set_cases(collection: CaseCollection, cases: list[TrainingCase]) -> bool:
    if [item.case_id for item in collection.items] == [case.id for case in cases]:
        return False
    existing = {item.case_id: item for item in collection.items}
    items = []
    for position, case in enumerate(cases):
        item = existing.pop(case.id, None) or CollectionItem(case=case)
        item.position = position
        items.append(item)
    collection.items = items
    return True


PACK_FIELDS = ("title", "introduction", "audience", "criteria", "case_ids")


def _validated_pack_values(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    values = {name: values[name] for name in PACK_FIELDS if name in values}
    if (creating or "title" in values) and not (values.get("title") or "").strip():
        raise ValidationError({"title": [_l("A training pack needs a title.")]})
    if "audience" in values and values["audience"] is None:
        values["audience"] = PackAudience.ASSIGNED
    if "criteria" in values:
        values["criteria"] = _check_criteria(values["criteria"])
    texts = {name: values[name] for name in ("title", "introduction") if values.get(name)}
    check_free_text(texts, known_names())
    return values


def create_collection(values: dict[str, Any], *, by: User) -> CaseCollection:
    """A draft pack: title (required), introduction, audience, criteria it teaches, case_ids in reading order."""
    require_curator(by)
    values = _validated_pack_values(values, creating=True)
    cases = _cases_in_order(values.get("case_ids") or [])
    collection = CaseCollection(
        title=values["title"].strip(),
        introduction=(values.get("introduction") or "").strip() or None,
        audience=PackAudience(values.get("audience") or PackAudience.ASSIGNED),
        criteria=values.get("criteria") or [],
        created_by_id=by.id,
    )
    db.session.add(collection)
    _set_cases(collection, cases)
    db.session.flush()
    audit.log(by, "collection.create", collection, title=collection.title, cases=len(cases))
    return collection


def update_collection(collection: CaseCollection, changes: dict[str, Any], *, by: User) -> list[str]:
    """Edit a pack (any status); `case_ids` replaces its cases and their order. Returns the fields that changed."""
    require_curator(by)
    lock_collection(collection)
    values = _validated_pack_values(changes, creating=False)
    changed = []
    if "case_ids" in values:
        cases = _cases_in_order(values.pop("case_ids") or [])
        if collection.status == PackStatus.PUBLISHED and not cases:
            raise ValidationError({"case_ids": [_l("A published pack needs at least one case; archive it instead.")]})
        if _set_cases(collection, cases):
            changed.append("case_ids")
    for name, value in values.items():
        if name in ("title", "introduction"):
            value = (value or "").strip() or None
        elif name == "audience":
            value = PackAudience(value)
        if getattr(collection, name) != value:
            setattr(collection, name, value)
            changed.append(name)
    if changed:
        collection.updated_at = utcnow()
        db.session.flush()
        audit.log(by, "collection.update", collection, fields=changed)
    return changed


def add_case(collection: CaseCollection, case: TrainingCase, *, by: User) -> bool:
    """Append a case to a pack; False when it is there already."""
    require_curator(by)
    lock_collection(collection)
    if any(item.case_id == case.id for item in collection.items):
        return False
    update_collection(collection, {"case_ids": [*(item.case_id for item in collection.items), case.id]}, by=by)
    return True


def publish_collection(collection: CaseCollection, *, by: User) -> CaseCollection:
    require_curator(by)
    lock_collection(collection)
    if collection.status == PackStatus.PUBLISHED:
        raise ValidationError({"status": [_l("The pack is published already.")]})
    if not collection.items:
        raise ValidationError({"case_ids": [_l("Add at least one case before publishing the pack.")]})
    collection.status = PackStatus.PUBLISHED
    collection.published_at = utcnow()
    collection.updated_at = utcnow()
    audit.log(by, "collection.publish", collection, audience=collection.audience.value)
    return collection


def archive_collection(collection: CaseCollection, *, by: User) -> CaseCollection:
    """Agents no longer see an archived pack; its assignments and readings are kept."""
    require_curator(by)
    lock_collection(collection)
    if collection.status != PackStatus.PUBLISHED:
        raise ValidationError({"status": [_l("Only a published pack is archived; delete a draft instead.")]})
    collection.status = PackStatus.ARCHIVED
    collection.updated_at = utcnow()
    audit.log(by, "collection.archive", collection)
    return collection


def delete_collection(collection: CaseCollection, *, by: User) -> None:
    """Only a draft is deleted: a pack agents were given keeps its history of who read it (archive it instead)."""
    require_curator(by)
    lock_collection(collection)
    if collection.status != PackStatus.DRAFT:
        raise ValidationError({"status": [_l("Only a draft pack can be deleted; archive a published one.")]})
    audit.log(by, "collection.delete", collection, title=collection.title)
    db.session.delete(collection)
    db.session.flush()
