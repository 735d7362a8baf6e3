"""The SLA worklist: open breaches and overdue follow-ups one may act on, filtered, sorted and counted by team, and
the bulk actions on them (reassign, set priority, add a follow-up), each checked record by record.

The rows come from records.sla (the same rules as the dashboard and the reports), limited by records.access's scope;
archived records are left out (read-only, nothing to act on).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records.access import NotFound, PermissionDenied, record_scope, require
from records.assignment import assign_record, handler_id, resolve_user
from records.db import db
from records.enums import Priority, Role
from records.importing import flatten_messages
from records.models import Record, Team, User
from records.operations import RecordArchived, add_follow_up, get_record_for, update_record
from records.sla import open_breaches, overdue_follow_ups
from records.timeutil import local_day_start, to_local

#: Deadline kinds a worklist row can be: respond and resolve (records.sla) and follow-ups.
WORK_KINDS = ("respond", "resolve", "follow_up")
SORTS = ("overdue", "due", "priority", "record", "team")
PRIORITY_RANK = {Priority.URGENT.value: 0, Priority.HIGH.value: 1, Priority.MEDIUM.value: 2, Priority.LOW.value: 3}
#: Records one bulk action may change; a page of the worklist is at most 200 rows.
BULK_LIMIT = 200
BULK_ACTIONS = ("reassign", "priority", "follow_up")
WORKLIST_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
#: Ids per IN (...) lookup: well under SQLite's limit of bound parameters however long the list is.
LOOKUP_BATCH = 500


@dataclass
class WorklistFilters:
    team: str | None = None
    #: The handler (assignee, else the agent who took the contact), by username, agent code or e-mail.
    agent: str | None = None
    priority: Priority | None = None
    kind: str | None = None
    #: Only rows at least this many hours past their deadline.
    overdue_hours: float | None = None
    sort: str = "overdue"


@dataclass(frozen=True)
class WorkItem:
    kind: str
    record_id: int
    number: str
    priority: str
    team: str | None
    agent: str
    handler: str
    handler_id: int
    #: The deadline (naive UTC); a follow-up's is the end of its due day.
    due: datetime
    overdue_minutes: float
    follow_up_id: int | None = None
    #: A follow-up's action (masked) and written owner.
    action: str | None = None
    owner: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "record": self.number,
            "priority": self.priority,
            "team": self.team,
            "agent": self.agent,
            "handler": self.handler,
            "due": self.due.isoformat(timespec="seconds") + "Z",
            "overdue_minutes": self.overdue_minutes,
            "follow_up_id": self.follow_up_id,
            "action": self.action,
            "owner": self.owner,
        }


@dataclass
class Worklist:
    items: list[WorkItem]
    #: Rows per team over every filter but the team's (None: records without a team).
    team_counts: dict[str | None, int] = field(default_factory=dict)


def require_worklist(user: User) -> None:
    require(user.role in WORKLIST_ROLES, _l("The worklist is for agents, supervisors and administrators."))


def _conditions(user: User, filters: WorklistFilters) -> list[sa.ColumnElement[bool]]:
    conditions = [record_scope(user), Record.archived_at.is_(None)]
    if filters.priority:
        conditions.append(Record.priority == filters.priority)
    if filters.agent:
        person = resolve_user(filters.agent, field="agent")
        if user.role != Role.ADMIN and person.role != Role.ADMIN and person.team_id != user.team_id:
            # Someone of another team is answered like nobody: the filter tells no one who works elsewhere.
            raise ValidationError({"agent": [_l("There is no user %(name)s.", name=repr(filters.agent))]})
        conditions.append(handler_id() == person.id)
    return conditions


def worklist(user: User, filters: WorklistFilters, *, now: datetime) -> Worklist:
    """Every row the user may act on that passes the filters, sorted; `team_counts` ignores the team filter."""
    require_worklist(user)
    if filters.kind is not None and filters.kind not in WORK_KINDS:
        raise ValidationError({"kind": [_l("Choose respond, resolve or follow-up.")]})
    if filters.sort not in SORTS:
        raise ValidationError({"sort": [_l("Sort by overdue, due, priority, record or team.")]})
    if filters.team and not db.session.scalar(sa.select(Team.id).where(Team.name == filters.team)):
        raise ValidationError({"team": [_l("There is no team %(name)s.", name=repr(filters.team))]})
    where = sa.and_(*_conditions(user, filters))
    items: list[WorkItem] = []
    if filters.kind in (None, "respond", "resolve"):
        for breach in open_breaches(db.session, now=now, where=where):
            if filters.kind is None or breach.kind == filters.kind:
                items.append(
                    WorkItem(
                        kind=breach.kind,
                        record_id=breach.record_id,
                        number=breach.number,
                        priority=breach.priority,
                        team=breach.team,
                        agent=breach.agent,
                        handler=breach.agent,
                        handler_id=breach.agent_id,
                        due=breach.due,
                        overdue_minutes=breach.overdue_minutes,
                    )
                )
    if filters.kind in (None, "follow_up"):
        for item in overdue_follow_ups(db.session, today=to_local(now).date(), where=where):
            due = local_day_start(item.due + timedelta(days=1))
            items.append(
                WorkItem(
                    kind="follow_up",
                    record_id=item.record_id,
                    number=item.number,
                    priority="",
                    team=item.team,
                    agent=item.agent,
                    handler=item.agent,
                    handler_id=item.agent_id,
                    due=due,
                    overdue_minutes=round((now - due).total_seconds() / 60, 1),
                    follow_up_id=item.follow_up_id,
                    action=item.action,
                    owner=item.owner,
                )
            )
    items = _with_handlers(items)
    if filters.overdue_hours:
        items = [item for item in items if item.overdue_minutes >= filters.overdue_hours * 60]
    counts = Counter(item.team for item in items)
    if filters.team:
        items = [item for item in items if item.team == filters.team]
    items.sort(key=_sort_key(filters.sort))
    return Worklist(items, dict(sorted(counts.items(), key=lambda pair: (pair[0] is None, pair[0] or ""))))


def _with_handlers(items: list[WorkItem]) -> list[WorkItem]:
    """Fill in who handles each row's record (its assignee, else its agent) and the follow-ups' priorities."""
    ids = sorted({item.record_id for item in items})
    known = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        rows = db.session.execute(
            sa.select(Record.id, Record.priority, handler_id(), User.display_name)
            .join(User, User.id == handler_id())
            .where(Record.id.in_(ids[start : start + LOOKUP_BATCH]))
        )
        known.update({row[0]: (getattr(row[1], "value", row[1]), row[2], row[3]) for row in rows})
    filled = []
    for item in items:
        priority, person_id, name = known[item.record_id]
        filled.append(WorkItem(**{**item.__dict__, "priority": priority, "handler_id": person_id, "handler": name}))
    return filled


def _sort_key(sort: str):
    if sort == "due":
        return lambda item: (item.due, item.number, item.kind)
    if sort == "priority":
        return lambda item: (PRIORITY_RANK.get(item.priority, 9), -item.overdue_minutes, item.number)
    if sort == "record":
        return lambda item: (item.number, item.kind)
    if sort == "team":
        return lambda item: (item.team is None, item.team or "", -item.overdue_minutes, item.number)
    return lambda item: (-item.overdue_minutes, item.number, item.kind)


# ----- bulk actions --------------------------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    #: Record numbers changed (or already as asked).
    done: list[str] = field(default_factory=list)
    #: (the reference given, why it was refused), in the order given.
    refused: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"done": self.done, "refused": [{"record": ref, "reason": why} for ref, why in self.refused]}


def bulk_apply(user: User, references: list[str], action: str, params: dict[str, Any]) -> BulkOutcome:
    """Apply one action to each record: what the user may do to a record is checked for that record, and a record
    refused (not visible, not changeable, archived, breaking a rule) is listed with the reason, the others done.

    params: reassign {"assignee": user reference or None (back to the agent)}; priority {"priority": Priority};
    follow_up: a FollowUpInputSchema-loaded follow-up."""
    require_worklist(user)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [_l("Choose reassign, priority or follow-up.")]})
    references = list(dict.fromkeys(ref.strip() for ref in references if ref and ref.strip()))
    if not references:
        raise ValidationError({"records": [_l("Choose at least one record.")]})
    if len(references) > BULK_LIMIT:
        raise ValidationError({"records": [_l("At most %(limit)d records at once.", limit=BULK_LIMIT)]})
    assignee = None
    if action == "reassign":
        assignee = resolve_user(params.get("assignee"))
    elif action == "priority" and not isinstance(params.get("priority"), Priority):
        raise ValidationError({"priority": [_l("Choose a priority.")]})
    outcome = BulkOutcome()
    for reference in references:
        try:
            record = get_record_for(user, reference)
        except (NotFound, PermissionDenied):
            # The same answer for a record that does not exist and one of another team: nothing to probe.
            outcome.refused.append((reference, str(_l("No such record among those you may see."))))
            continue
        savepoint = db.session.begin_nested()
        try:
            if action == "reassign":
                assign_record(record, assignee, by=user)
            elif action == "priority":
                update_record(record, {"priority": params["priority"]}, by=user)
            else:
                add_follow_up(record, dict(params), by=user)
            savepoint.commit()
            outcome.done.append(record.number)
        except RecordArchived:
            savepoint.rollback()
            outcome.refused.append((reference, str(_l("Archived under the retention policy: read-only."))))
        except PermissionDenied:
            savepoint.rollback()
            if action == "reassign":
                reason = _l("Only administrators and the supervisors of the record's team reassign it.")
            else:
                reason = _l("You may not change this record.")
            outcome.refused.append((reference, str(reason)))
        except ValidationError as exc:
            savepoint.rollback()
            outcome.refused.append((reference, " ".join(message for _key, message in flatten_messages(exc.messages))))
    return outcome
