"""Who may see and change what.

agent: own records (taken or assigned to them) and the customers of those records; supervisor: the team's; trainer:
every record but scrubbed (no customer identity, personal data in text always masked, no changes); admin: everything.
Contact details and personal data in text are masked unless the role may reveal them and asks to; every reveal is
audit-logged by the caller.

A customer is seen through records: serving a customer (a record of theirs one may see) shows their masked profile
and those records, never the records of other agents or teams. Revealing or changing the profile's contact details
is for the team that owns it (the team of the record that created the customer) and for administrators: linking a
record to an existing customer, by number or by a phone one knows, grants nothing else.
"""

from __future__ import annotations

import sqlalchemy as sa

from records.db import db
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
    # A record assigned to an agent is theirs to handle; only someone who may change it assigns it, and only to a
    # member of its team (records.assignment.may_handle), so no record leaves its team this way.
    return sa.or_(Record.agent_id == user.id, Record.assignee_id == user.id)


def customer_scope(user: User) -> sa.ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return sa.true()
    if user.role == Role.TRAINER:
        # Trainers work with scrubbed records; customer profiles identify people.
        return sa.false()
    return Customer.id.in_(sa.select(Record.customer_id).where(record_scope(user)))


def can_manage_customer(user: User, customer: Customer) -> bool:
    """Whether the user may reveal and change the customer's profile (contact details, name, type, tier, tags).

    Administrators may; otherwise the customer must be visible to the user and owned by the user's team. A customer
    no team owns (made by someone without a team) is managed by whoever may see every one of their records.
    """
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.TRAINER or not can_view_customer(user, customer):
        return False
    if customer.team_id is not None:
        return user.team_id == customer.team_id
    beyond_reach = sa.select(Record.id).where(Record.customer_id == customer.id, sa.not_(record_scope(user)))
    return db.session.scalar(sa.select(sa.exists(beyond_reach))) is False


def can_view_customer(user: User, customer: Customer) -> bool:
    query = sa.select(sa.literal(True)).where(Customer.id == customer.id, customer_scope(user))
    return bool(db.session.scalar(query))


def can_view_record(user: User, record: Record) -> bool:
    if user.role in (Role.ADMIN, Role.TRAINER):
        return True
    if user.role == Role.SUPERVISOR:
        return user.team_id is not None and record.team_id == user.team_id
    return user.id in (record.agent_id, record.assignee_id)


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
