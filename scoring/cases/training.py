"""Assigning training packs and reading them: who was given which pack, who opened it and who finished it.

Trainers and administrators assign published packs to any active agent, supervisors to the agents of their team.
Opening a published pack records when an agent first opened it; the agent marks it read when done.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from records import audit
from records.access import NotFound, require
from records.db import db
from records.enums import Role
from records.models import User
from records.timeutil import utcnow
from scoring.cases.dimensions import known_criteria
from scoring.cases.models import CaseCollection, CollectionAssignment, CollectionReading, PackStatus
from scoring.cases.operations import CURATORS, check_free_text, known_names
from scoring.cases.packs import PackFilters, list_collections

#: Roles that assign published packs (supervisors to their own team).
ASSIGNERS = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
#: Roles a pack is assigned to and whose reading is tracked.
LEARNERS = (Role.AGENT,)


def can_assign(user: User) -> bool:
    return user.role in ASSIGNERS


def require_assigner(user: User) -> None:
    require(can_assign(user), "Only supervisors, trainers and administrators assign training packs.")


# ----- assigning ---------------------------------------------------------------------------------------------------


def assignable_agents(by: User) -> list[User]:
    """Active agents the user may assign packs to: a supervisor's team, or everyone for curators."""
    query = sa.select(User).where(User.role.in_(LEARNERS), User.active.is_(True)).order_by(User.display_name)
    if by.role == Role.SUPERVISOR:
        query = query.where(User.team_id == by.team_id) if by.team_id else query.where(sa.false())
    elif by.role not in CURATORS:
        return []
    return list(db.session.scalars(query))


def assign_collection(
    collection: CaseCollection,
    agents: list[User],
    *,
    by: User,
    due: date | None = None,
    note: str | None = None,
    criterion: str | None = None,
) -> list[CollectionAssignment]:
    """Assign a published pack to agents (again: the due date, note and criterion are updated)."""
    require_assigner(by)
    if collection.status != PackStatus.PUBLISHED:
        raise ValidationError({"status": [_l("Publish the pack before assigning it.")]})
    if not agents:
        raise ValidationError({"agents": [_l("Choose the agents to assign the pack to.")]})
    allowed = {user.id for user in assignable_agents(by)}
    refused = [agent.username for agent in agents if agent.id not in allowed]
    if refused:
        if by.role == Role.SUPERVISOR:
            message = _l("Packs are assigned to agents of your team only: %(names)s.", names=", ".join(refused))
        else:
            message = _l("Packs are assigned to active agents only: %(names)s.", names=", ".join(refused))
        raise ValidationError({"agents": [message]})
    if criterion is not None and criterion not in known_criteria():
        raise ValidationError({"criterion": [_l("Choose criteria from the list.")]})
    if note:
        check_free_text({"note": note}, known_names())
    existing = {
        assignment.agent_id: assignment
        for assignment in db.session.scalars(
            sa.select(CollectionAssignment).where(CollectionAssignment.collection_id == collection.id)
        )
    }
    result = []
    for agent in agents:
        assignment = existing.get(agent.id)
        if assignment is None:
            assignment = CollectionAssignment(collection_id=collection.id, agent_id=agent.id)
            db.session.add(assignment)
        assignment.assigned_by_id = by.id
        assignment.assigned_at = utcnow()
        assignment.due = due
        assignment.note = (note or "").strip() or None
        assignment.criterion = criterion
        result.append(assignment)
    db.session.flush()
    audit.log(by, "collection.assign", collection, agents=[agent.username for agent in agents], criterion=criterion)
    return result


def unassign_collection(collection: CaseCollection, agent: User, *, by: User) -> None:
    require_assigner(by)
    require(
        by.role != Role.SUPERVISOR or (by.team_id is not None and agent.team_id == by.team_id),
        "Supervisors manage the assignments of their own team only.",
    )
    assignment = db.session.scalar(
        sa.select(CollectionAssignment).where(
            CollectionAssignment.collection_id == collection.id, CollectionAssignment.agent_id == agent.id
        )
    )
    if assignment is None:
        raise NotFound(f"The pack is not assigned to {agent.username}.")
    db.session.delete(assignment)
    audit.log(by, "collection.unassign", collection, agent=agent.username)


# ----- reading -----------------------------------------------------------------------------------------------------


def reading_of(collection: CaseCollection, user: User) -> CollectionReading | None:
    return db.session.scalar(
        sa.select(CollectionReading).where(
            CollectionReading.collection_id == collection.id, CollectionReading.user_id == user.id
        )
    )


def assignment_of(collection: CaseCollection, user: User) -> CollectionAssignment | None:
    return db.session.scalar(
        sa.select(CollectionAssignment).where(
            CollectionAssignment.collection_id == collection.id, CollectionAssignment.agent_id == user.id
        )
    )


def open_collection(collection: CaseCollection, user: User) -> CollectionReading | None:
    """Record that a learner opened a published pack (the first time only); curators previewing it are not
    readers. Returns the learner's reading."""
    if user.role not in LEARNERS or collection.status != PackStatus.PUBLISHED:
        return None
    reading = reading_of(collection, user)
    if reading is None:
        reading = CollectionReading(collection_id=collection.id, user_id=user.id, first_opened_at=utcnow())
        db.session.add(reading)
        db.session.flush()
    return reading


def complete_collection(collection: CaseCollection, user: User) -> CollectionReading:
    """The learner marks the pack read (once; marking again keeps the first time)."""
    require(user.role in LEARNERS, "Only agents mark training packs as read.")
    if collection.status != PackStatus.PUBLISHED:
        raise ValidationError({"status": [_l("Only a published pack can be marked as read.")]})
    reading = open_collection(collection, user)
    assert reading is not None
    if reading.completed_at is None:
        reading.completed_at = utcnow()
        audit.log(user, "collection.complete", collection)
    return reading


def progress(collection: CaseCollection, viewer: User) -> list[dict[str, Any]]:
    """Who was assigned the pack and who read it: one row per agent assigned or having opened it; supervisors see
    their team's rows only."""
    require(can_assign(viewer), "Only supervisors, trainers and administrators see who read a pack.")
    assignments = {
        assignment.agent_id: assignment
        for assignment in db.session.scalars(
            sa.select(CollectionAssignment)
            .where(CollectionAssignment.collection_id == collection.id)
            .options(selectinload(CollectionAssignment.agent), selectinload(CollectionAssignment.assigned_by))
        )
    }
    readings = {
        reading.user_id: reading
        for reading in db.session.scalars(
            sa.select(CollectionReading)
            .where(CollectionReading.collection_id == collection.id)
            .options(selectinload(CollectionReading.user))
        )
    }
    rows = []
    for user_id in assignments.keys() | readings.keys():
        assignment, reading = assignments.get(user_id), readings.get(user_id)
        agent = assignment.agent if assignment else reading.user
        if viewer.role == Role.SUPERVISOR and (viewer.team_id is None or agent.team_id != viewer.team_id):
            continue
        rows.append(
            {
                "agent_id": agent.id,
                "username": agent.username,
                "name": agent.display_name,
                "team": agent.team.name if agent.team else None,
                "assigned": assignment is not None,
                "assigned_at": assignment.assigned_at if assignment else None,
                "assigned_by": assignment.assigned_by.display_name if assignment and assignment.assigned_by else None,
                "due": assignment.due if assignment else None,
                "criterion": assignment.criterion if assignment else None,
                "note": assignment.note if assignment else None,
                "first_opened_at": reading.first_opened_at if reading else None,
                "completed_at": reading.completed_at if reading else None,
            }
        )
    return sorted(rows, key=lambda row: (row["completed_at"] is not None, row["name"], row["agent_id"]))


def my_packs(user: User) -> list[dict[str, Any]]:
    """An agent's packs: those assigned to them and those published to everyone, with their reading state: unread
    before read, assigned (soonest due first) before the rest, then the newest."""
    collections, _total = list_collections(user, PackFilters(status=PackStatus.PUBLISHED), per_page=500)
    ids = [collection.id for collection in collections]
    assignments = {
        assignment.collection_id: assignment
        for assignment in db.session.scalars(
            sa.select(CollectionAssignment).where(
                CollectionAssignment.agent_id == user.id, CollectionAssignment.collection_id.in_(ids)
            )
        )
    }
    readings = {
        reading.collection_id: reading
        for reading in db.session.scalars(
            sa.select(CollectionReading).where(
                CollectionReading.user_id == user.id, CollectionReading.collection_id.in_(ids)
            )
        )
    }
    rows = [
        {"collection": collection, "assignment": assignments.get(collection.id), "reading": readings.get(collection.id)}
        for collection in collections
    ]

    def order(row: dict[str, Any]) -> tuple:
        assignment, reading = row["assignment"], row["reading"]
        published = row["collection"].published_at or datetime.min
        return (
            bool(reading and reading.completed_at),
            assignment is None,
            (assignment.due or date.max) if assignment else date.max,
            -published.timestamp(),
            row["collection"].id,
        )

    return sorted(rows, key=order)
