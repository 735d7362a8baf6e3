"""Who handles a record (工单分派): its assignee, set by rules when the record is created or by hand later.

The agent who took the contact stays the record's agent; the assignee is who handles it now (None: that agent).
Administrators keep an ordered list of rules (by category, customer tier, channel, team); the first active rule that
matches a new record picks one of its candidate users, in turn (round robin) or the one with the fewest open records
to handle. Supervisors (their team's records) and administrators reassign by hand. Every assignment writes a history
row (who, from, to, when, which rule) and an audit entry; an assignment is not a response to the customer
(records.sla.RESPOND_ACTIONS leaves "record.assign" out).

An assignee is always someone who could be given the record anyway: an active agent or supervisor of the record's
team, or an administrator. Assigning an agent lets them see and change that record (records.access.record_scope).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import can_edit_record, require
from records.db import db, row_id
from records.enums import Role
from records.models import AssignmentChange, AssignmentRule, Record, Team, User
from records.people import find_agent

STRATEGIES = ("round_robin", "fewest_open")
#: Longest rule name (assignment_rules.name).
RULE_NAME_CHARS = 120


def handler_id() -> sa.ColumnElement[int]:
    """Who handles a record in SQL: its assignee, else the agent who took the contact."""
    return sa.func.coalesce(Record.assignee_id, Record.agent_id)


def handler(record: Record) -> User:
    return record.assignee or record.agent


def may_handle(user: User, record: Record) -> bool:
    """Whether `user` may be the record's assignee: active, and an administrator or an agent or supervisor of the
    record's team (the agent who took a record without a team may keep it)."""
    if not user.active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role not in (Role.AGENT, Role.SUPERVISOR):
        return False
    if record.team_id is None:
        return user.id == record.agent_id
    return user.team_id == record.team_id


def can_assign(user: User, record: Record) -> bool:
    """Reassigning is for administrators and the supervisors of the record's team."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPERVISOR and can_edit_record(user, record)


def resolve_user(reference: str | int | None, *, field: str = "assignee") -> User | None:
    """A user by id, username, agent code or e-mail; None for an empty reference; a 422 naming `field` else."""
    if reference is None or (isinstance(reference, str) and not reference.strip()):
        return None
    user = None
    key = row_id(reference.strip() if isinstance(reference, str) else reference)
    if key is not None:
        user = db.session.get(User, key)
    if user is None and isinstance(reference, str):
        user = find_agent(reference)
    if user is None:
        raise ValidationError({field: [_l("There is no user %(name)s.", name=repr(str(reference)))]})
    return user


def assign_record(
    record: Record, assignee: User | None, *, by: User | None, rule: AssignmentRule | None = None
) -> bool:
    """Make `assignee` handle the record (None: back to the agent who took it); False when nothing changes.

    `by` None is the system applying `rule`. Checks who may assign and who may be assigned; writes the history."""
    if by is not None:
        # Anyone who may change the record may take it on themselves; giving it to someone else is for supervisors.
        taking = assignee is not None and assignee.id == by.id and can_edit_record(by, record)
        require(
            taking or can_assign(by, record),
            _l("Only administrators and the supervisors of the record's team assign records to others."),
        )
        if record.archived_at is not None:
            raise ValidationError(
                {"assignee": [_l("Record %(number)s is archived and read-only.", number=record.number)]}
            )
    if assignee is not None and not may_handle(assignee, record):
        if not named_to(assignee, record):
            raise ValidationError(
                {
                    "assignee": [
                        _l(
                            "This user cannot handle record %(number)s: choose an active agent or supervisor of its "
                            "team, or an administrator.",
                            number=record.number,
                        )
                    ]
                }
            )
        raise ValidationError(
            {
                "assignee": [
                    _l(
                        "%(name)s cannot handle record %(number)s: choose an active agent or supervisor of its team, "
                        "or an administrator.",
                        name=assignee.display_name,
                        number=record.number,
                    )
                ]
            }
        )
    new_id = assignee.id if assignee is not None else None
    if new_id == record.assignee_id:
        return False
    previous = record.assignee_id
    record.assignee = assignee
    db.session.add(
        AssignmentChange(
            record=record,
            by_id=by.id if by else None,
            from_user_id=previous,
            to_user_id=new_id,
            rule_name=rule.name if rule else None,
        )
    )
    audit.log(
        by or "system",
        "record.assign",
        record,
        assignee=assignee.username if assignee else None,
        previous=db.session.get(User, previous).username if previous else None,
        rule=rule.name if rule else None,
    )
    db.session.flush()
    return True


def named_to(person: User, record: Record) -> bool:
    """Whether a refusal may name the person: members of the record's team and administrators. Anyone else was
    typed by id, e-mail or code from outside the team, and naming them would tell who works elsewhere."""
    return person.role == Role.ADMIN or (person.team_id is not None and person.team_id == record.team_id)


def follow_up_fields(item: dict[str, Any], record: Record) -> dict[str, Any]:
    """A follow-up's columns from loaded input: `owner_user` (a user who may handle the record) sets the owner, and
    the written owner defaults to their name; a written owner that names such a user exactly (username, agent code,
    e-mail or display name) links them too, so imported follow-ups reach their owners. Other names stay text only."""
    values = dict(item)
    reference = values.pop("owner_user", None)
    owner = resolve_user(reference, field="owner_user") if reference else None
    if owner is not None and not may_handle(owner, record) and not named_to(owner, record):
        raise ValidationError(
            {
                "owner_user": [
                    _l(
                        "This user cannot own follow-ups of record %(number)s: choose an active agent or supervisor "
                        "of its team, or an administrator.",
                        number=record.number,
                    )
                ]
            }
        )
    if owner is not None and not may_handle(owner, record):
        raise ValidationError(
            {
                "owner_user": [
                    _l(
                        "%(name)s cannot own follow-ups of record %(number)s: choose an active agent or supervisor of "
                        "its team, or an administrator.",
                        name=owner.display_name,
                        number=record.number,
                    )
                ]
            }
        )
    if owner is None and reference is None and values.get("owner"):
        named = find_agent(values["owner"])
        owner = named if named is not None and may_handle(named, record) else None
    if owner is not None:
        values["owner_id"] = owner.id
        values["owner"] = (values.get("owner") or "").strip() or owner.display_name
    elif reference is not None or "owner" in values:
        values["owner_id"] = None
    return values


def assignment_history(record: Record) -> list[AssignmentChange]:
    return list(
        db.session.scalars(
            sa.select(AssignmentChange)
            .where(AssignmentChange.record_id == record.id)
            .order_by(AssignmentChange.at, AssignmentChange.id)
        )
    )


# ----- rules ---------------------------------------------------------------------------------------------------------


def list_rules() -> list[AssignmentRule]:
    return list(db.session.scalars(sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)))


def rule_matches(rule: AssignmentRule, record: Record) -> bool:
    return (
        (rule.category is None or rule.category == record.category)
        and (rule.customer_tier is None or rule.customer_tier == record.customer.tier)
        and (rule.channel is None or rule.channel == record.channel)
        and (rule.team_id is None or rule.team_id == record.team_id)
    )


def open_counts(user_ids: list[int]) -> dict[int, int]:
    """Open records each user handles (assigned to them, or taken by them and assigned to nobody)."""
    from records.sla import OPEN_STATUSES

    rows = db.session.execute(
        sa.select(handler_id(), sa.func.count())
        .where(handler_id().in_(user_ids), Record.status.in_(OPEN_STATUSES), Record.archived_at.is_(None))
        .group_by(handler_id())
    )
    counts = dict.fromkeys(user_ids, 0)
    counts.update({user_id: count for user_id, count in rows})
    return counts


def pick_candidate(rule: AssignmentRule, record: Record) -> User | None:
    """The candidate of `rule` who gets `record`: among those who may handle it, the next in turn after the last one
    (round robin, by user id) or the one with the fewest open records (ties: the lowest id)."""
    candidates = sorted((user for user in rule.candidates if may_handle(user, record)), key=lambda user: user.id)
    if not candidates:
        return None
    if rule.strategy == "fewest_open":
        counts = open_counts([user.id for user in candidates])
        return min(candidates, key=lambda user: (counts[user.id], user.id))
    after = [user for user in candidates if rule.last_user_id is not None and user.id > rule.last_user_id]
    return (after or candidates)[0]


def apply_rules(record: Record) -> User | None:
    """Assign a new record by the first matching active rule that has a candidate who may handle it."""
    for rule in list_rules():
        if not rule.active or not rule_matches(rule, record):
            continue
        chosen = pick_candidate(rule, record)
        if chosen is None:
            continue
        if rule.strategy == "round_robin":
            # Two records created at once may both read the same last user; the turn then skips one, no harm.
            rule.last_user_id = chosen.id
        assign_record(record, chosen, by=None, rule=rule)
        return chosen
    return None


def require_admin(by: User) -> None:
    require(by.role == Role.ADMIN, _l("Only administrators configure assignment rules."))


def rule_values(data: dict[str, Any], current: AssignmentRule | None = None) -> dict[str, Any]:
    """Check loaded rule input (AssignmentRuleInputSchema): names resolve to a category, team and users."""
    from records.operations import taxonomy

    values = dict(data)
    errors: dict[str, list[Any]] = {}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            errors["name"] = [_l("Give the rule a name.")]
    if values.get("strategy") is not None and values["strategy"] not in STRATEGIES:
        errors["strategy"] = [_l("Choose round robin or fewest open records.")]
    if "category" in values:
        category = (values["category"] or "").strip() or None
        if category is not None:
            try:
                category, _sub = taxonomy().resolve(category, None)
            except ValueError as exc:
                errors["category"] = [str(exc)]
        values["category"] = category
    if "team" in values:
        name = (values.pop("team") or "").strip()
        team = db.session.scalar(sa.select(Team).where(Team.name == name)) if name else None
        if name and team is None:
            errors["team"] = [_l("There is no team %(name)s.", name=repr(name))]
        values["team_id"] = team.id if team else None
    if "candidates" in values:
        users = []
        for reference in values.pop("candidates") or []:
            try:
                user = resolve_user(reference, field="candidates")
            except ValidationError as exc:
                errors.setdefault("candidates", []).extend(exc.messages["candidates"])
                continue
            if user is not None and user.role not in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
                errors.setdefault("candidates", []).append(
                    _l(
                        "%(name)s cannot handle records (role %(role)s).",
                        name=user.display_name,
                        role=user.role.label_lazy(),
                    )
                )
            elif user is not None and user not in users:
                users.append(user)
        if not users and "candidates" not in errors:
            errors["candidates"] = [_l("Choose at least one user to assign records to.")]
        values["candidates"] = users
    elif current is None:
        errors["candidates"] = [_l("Choose at least one user to assign records to.")]
    if errors:
        raise ValidationError(errors)
    return values


RULE_FIELDS = ("name", "active", "category", "customer_tier", "channel", "team_id", "strategy", "candidates")


def create_rule(data: dict[str, Any], *, by: User) -> AssignmentRule:
    """A new rule, last in the order (or at `position`)."""
    require_admin(by)
    values = rule_values(data)
    last = db.session.scalar(sa.select(sa.func.max(AssignmentRule.position))) or 0
    rule = AssignmentRule(position=last + 1, **{key: values[key] for key in RULE_FIELDS if key in values})
    db.session.add(rule)
    db.session.flush()
    audit.log(by, "assignment_rule.create", rule, name=rule.name)
    return rule


def update_rule(rule: AssignmentRule, data: dict[str, Any], *, by: User) -> AssignmentRule:
    require_admin(by)
    values = rule_values(data, rule)
    for key in RULE_FIELDS:
        if key in values:
            setattr(rule, key, values[key])
    audit.log(by, "assignment_rule.update", rule, fields=sorted(key for key in RULE_FIELDS if key in values))
    db.session.flush()
    return rule


def move_rule(rule: AssignmentRule, offset: int, *, by: User) -> None:
    """Move the rule up (-1) or down (+1) in the order the rules are tried."""
    require_admin(by)
    rules = list_rules()
    index = rules.index(rule)
    target = max(0, min(len(rules) - 1, index + offset))
    rules.insert(target, rules.pop(index))
    for position, each in enumerate(rules, start=1):
        each.position = position
    audit.log(by, "assignment_rule.move", rule, position=target + 1)
    db.session.flush()


def delete_rule(rule: AssignmentRule, *, by: User) -> None:
    require_admin(by)
    audit.log(by, "assignment_rule.delete", rule, name=rule.name)
    db.session.delete(rule)
    db.session.flush()


def get_rule(rule_id: int) -> AssignmentRule | None:
    key = row_id(rule_id)
    return db.session.get(AssignmentRule, key) if key is not None else None


def rule_to_dict(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": rule.position,
        "name": rule.name,
        "active": rule.active,
        "category": rule.category,
        "customer_tier": rule.customer_tier.value if rule.customer_tier else None,
        "channel": rule.channel.value if rule.channel else None,
        "team": rule.team.name if rule.team else None,
        "strategy": rule.strategy,
        "candidates": [user.username for user in rule.candidates],
    }
