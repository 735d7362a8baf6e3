"""Who may see and change what.

agent: own records and the customers of those records; supervisor: the team's; trainer: every record but scrubbed
(no customer identity, personal data in text always masked, no changes); admin: everything.
Contact details and personal data in text are masked unless the role may reveal them and asks to; every reveal is
audit-logged by the caller.
"""

from __future__ import annotations

import sqlalchemy as sa

from records.enums import Role
from records.models import Customer, Record, User


class PermissionDenied(Exception):
    """The user is signed in but their role does not allow this."""


class NotFound(Exception):
    """No such record, customer or follow-up."""


def record_scope(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause limiting records to those the user may see."""
    if user.role in (Role.ADMIN, Role.TRAINER):
        return sa.true()
    if user.role == Role.SUPERVISOR:
        return Record.team_id == user.team_id if user.team_id else sa.false()
    return Record.agent_id == user.id


def customer_scope(user: User) -> sa.ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return sa.true()
    if user.role == Role.TRAINER:
        # Trainers work with scrubbed records; customer profiles identify people.
        return sa.false()
    return Customer.id.in_(sa.select(Record.customer_id).where(record_scope(user)))


def can_view_record(user: User, record: Record) -> bool:
    if user.role in (Role.ADMIN, Role.TRAINER):
        return True
    if user.role == Role.SUPERVISOR:
        return user.team_id is not None and record.team_id == user.team_id
    return record.agent_id == user.id


def can_edit_record(user: User, record: Record) -> bool:
    return user.role != Role.TRAINER and can_view_record(user, record)


def can_reveal_record(user: User, record: Record) -> bool:
    return user.role != Role.TRAINER and can_view_record(user, record)


def can_create_records(user: User) -> bool:
    return user.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def is_scrubbed_viewer(user: User) -> bool:
    return user.role == Role.TRAINER


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)
