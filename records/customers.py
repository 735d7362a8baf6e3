"""Customers: recognising a returning customer, numbering, profiles and their history."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import (
    NotFound,
    can_manage_customer,
    customer_scope,
    is_scrubbed_viewer,
    record_scope,
    require,
)
from records.db import db, hold_lock, row_id
from records.enums import CustomerTier, CustomerType
from records.models import Customer, Record, Team, User
from records.numbering import CUSTOMER_NUMBER, kept_number, next_number
from records.timeutil import to_local

ANONYMOUS_NAME = "匿名客户"
#: Advisory-lock namespace of customer phone and e-mail keys (records.db.hold_lock); "CUST" in ASCII.
CUSTOMER_KEY_LOCK = 0x43555354


def phone_key(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    # Chinese numbers are written with and without the country code; compare them without it.
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def email_key(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


def find_or_create_customer(
    details: dict[str, Any],
    first_contact: datetime,
    *,
    by: User | str | None,
    number: str | None = None,
    team: Team | None = None,
    unverified: bool = False,
) -> Customer:
    """A returning customer is recognised by phone or e-mail; anyone else becomes a new customer, owned by `team`.

    `number` (from an import) is kept for the new customer, so customers keep the number they were told.
    `unverified` (a public contact request: nobody checked that the writer owns the phone or e-mail) always makes a
    new customer, flagged so; such customers are never recognised as returning either.
    """
    keys = phone_key(details.get("phone")), email_key(details.get("email"))
    if not unverified:
        existing = returning_customer(*keys)
        if existing is not None:
            return existing
    customer = Customer(
        number=kept_number(number, CUSTOMER_NUMBER, Customer.number)
        or next_number("C", to_local(first_contact).date(), 3),
        name=(details.get("name") or "").strip() or ANONYMOUS_NAME,
        phone=details.get("phone"),
        phone_key=keys[0],
        email=details.get("email"),
        email_key=keys[1],
        customer_type=details.get("customer_type") or CustomerType.INDIVIDUAL,
        company=details.get("company"),
        industry=details.get("industry"),
        tier=details.get("tier") or CustomerTier.REGULAR,
        tags=details.get("tags") or [],
        team=team,
        unverified=unverified,
    )
    db.session.add(customer)
    audit.log(by, "customer.create", customer, **({"unverified": True} if unverified else {}))
    return customer


def returning_customer(phone: str | None, email: str | None) -> Customer | None:
    """The verified customer with this phone key or e-mail key (the earliest), locking both keys until commit."""
    keys = phone, email
    # Without the lock, concurrent requests with one new phone each found no customer and each created one.
    for key in sorted(f"{kind}:{key}" for kind, key in zip(("phone", "email"), keys, strict=True) if key):
        hold_lock(CUSTOMER_KEY_LOCK, key)  # sorted: two writers never wait for each other's second key
    conditions = []
    if phone:
        conditions.append(Customer.phone_key == phone)
    if email:
        conditions.append(Customer.email_key == email)
    if not conditions:
        return None
    query = sa.select(Customer).where(sa.or_(*conditions), Customer.unverified.is_(False))
    return db.session.scalar(query.order_by(Customer.id).limit(1))


def update_customer(customer: Customer, changes: dict[str, Any], *, by: User) -> Customer:
    require(can_manage_customer(by, customer), "Only the customer's own team and administrators change the profile.")
    for field, value in changes.items():
        setattr(customer, field, value)
    if "phone" in changes:
        customer.phone_key = phone_key(customer.phone)
    if "email" in changes:
        customer.email_key = email_key(customer.email)
    if customer.customer_type == CustomerType.ENTERPRISE and not customer.company:
        raise ValidationError({"company": [_l("An enterprise customer needs a company name.")]})
    audit.log(by, "customer.update", customer, fields=sorted(changes))
    return customer


def get_customer_for(user: User, reference: int | str) -> Customer:
    """The customer by id or number, if the user may see them.

    A customer the user may not see answers exactly like one that does not exist, so numbers cannot be probed.
    """
    require(not is_scrubbed_viewer(user), "Trainers work with scrubbed records, not customer profiles.")
    customer_id = row_id(reference)
    # An id given as text ("42" from a URL) is compared as a number: PostgreSQL does not compare integer with text.
    condition = Customer.id == customer_id if customer_id is not None else Customer.number == str(reference)
    if "\x00" not in str(reference):
        customer = db.session.scalar(sa.select(Customer).where(condition, customer_scope(user)))
        if customer is not None:
            return customer
    raise NotFound(f"No customer {reference}.")


def list_customers(user: User, *, q: str | None = None, page: int = 1, per_page: int = 25) -> tuple[list, int]:
    require(not is_scrubbed_viewer(user), "Trainers work with scrubbed records, not customer profiles.")
    # Imported here: records.lookup keys phones with this module's phone_key.
    from records.lookup import customer_search

    query = sa.select(Customer).where(customer_scope(user))
    if q:
        query = query.where(customer_search(user, q))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Customer.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(items), total or 0


def customer_history(customer: Customer, *, viewer: User, before: Record | None = None) -> list[Record]:
    """The customer's records the viewer may see, newest first; with `before`, only those earlier than that record.

    Other agents' and teams' records of the same customer are left out: serving a customer grants no more."""
    query = sa.select(Record).where(Record.customer_id == customer.id, record_scope(viewer))
    if before is not None:
        query = query.where(Record.id != before.id, Record.contacted_at <= before.contacted_at)
    return list(db.session.scalars(query.order_by(Record.contacted_at.desc(), Record.id.desc())))


def reveal_customer(customer: Customer, user: User) -> None:
    require(can_manage_customer(user, customer), "Only the customer's own team and administrators reveal the profile.")
    audit.log(user, "customer.reveal", customer)
