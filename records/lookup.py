"""Finding customers and records by what a caller tells the agent, and the caller behind an incoming call.

A search text is read as whatever it can be at once: a phone number in any format (13886168491, 138-8616-8491,
+86 138 8616 8491), the last 4 digits of the phone together with a name (王 8491), an e-mail address, a customer or
record number, or an order number in a record's key details. Phones are compared by `records.customers.phone_key`
(digits only, without the +86), which customers carry in an indexed column.

Trainers never match a customer's identity: they see records scrubbed of it, and a search by phone would tell them
whose records they are reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records.access import customer_scope, is_scrubbed_viewer, record_scope, require
from records.customers import email_key, phone_key
from records.db import db, like_pattern
from records.models import Customer, Record, User
from records.sla import OPEN_STATUSES

#: Fewest digits read as a phone number: 5-digit service numbers (95588) exist; a shorter run is a number in text.
MIN_PHONE_DIGITS = 5
#: Most digits of a phone number (E.164) with an international prefix (00) in front.
MAX_PHONE_DIGITS = 17
#: How many trailing digits of a phone, given with a name, identify a caller ("尾号8491").
LAST_DIGITS = 4
#: Records shown as a caller's last contacts on the incoming-call page.
LAST_CONTACTS = 5

_PHONE_SHAPE = re.compile(r"\+?[\d\s().\-]+")
_CHINESE_MOBILE = re.compile(r"1[3-9]\d{9}")
_LAST_DIGITS_AND_NAME = re.compile(
    rf"^(?:(?:尾号)?(?P<digits_first>\d{{{LAST_DIGITS}}})\s*(?P<name_after>.*\D.*)"
    rf"|(?P<name_before>.*\D)\s*(?:尾号)?(?P<digits_last>\d{{{LAST_DIGITS}}}))$"
)
# "王先生 8491" names the customer 王 whatever their given name: the honorific is how agents write a name not given.
_HONORIFIC = re.compile(r"(?:先生|女士|小姐)$|^(?:mr|mrs|ms|miss)\.?\s+", re.IGNORECASE)
# Customer, record, order and tracking numbers: one word holding a run of digits (C20240501001, DD20240520001).
_REFERENCE = re.compile(r"[A-Za-z0-9_/\-]*\d{4,}[A-Za-z0-9_/\-]*")


@dataclass(frozen=True)
class Lookup:
    """What a search text can be; every reading that applies is searched."""

    text: str
    phone_keys: tuple[str, ...] = ()
    email: str | None = None
    last_digits: str | None = None
    name: str | None = None
    reference: bool = False

    @property
    def pattern(self) -> str:
        return like_pattern(self.text)


def phone_keys(text: str | None) -> tuple[str, ...]:
    """The stored phone keys a typed number can have; empty when the text is not a phone number.

    A Chinese mobile is stored without its country code when written +86 or 86, but with 0086 as typed.
    """
    text = (text or "").strip()
    if not _PHONE_SHAPE.fullmatch(text):
        return ()
    key = phone_key(text) or ""
    if not MIN_PHONE_DIGITS <= len(key) <= MAX_PHONE_DIGITS:
        return ()
    if key.startswith("0086") and len(key) == 15:
        key = key[4:]
    international = text.startswith(("+", "00")) and not re.match(r"(?:\+|00)\s*86", text)
    if _CHINESE_MOBILE.fullmatch(key) and not international:
        return key, "0086" + key
    return (key,)


def parse_lookup(text: str) -> Lookup:
    # PostgreSQL refuses text holding NUL; no name or number holds one.
    text = text.replace("\x00", "").strip()
    last_digits = name = None
    match = _LAST_DIGITS_AND_NAME.match(text)
    if match and not _PHONE_SHAPE.fullmatch(text):
        last_digits = match["digits_first"] or match["digits_last"]
        name = _HONORIFIC.sub("", (match["name_after"] or match["name_before"]).strip()).strip() or None
    return Lookup(
        text=text,
        phone_keys=phone_keys(text),
        email=email_key(text) if "@" in text and " " not in text else None,
        last_digits=last_digits if name else None,
        name=name,
        reference=bool(_REFERENCE.fullmatch(text)),
    )


def customer_identity_match(lookup: Lookup) -> sa.ColumnElement[bool] | None:
    """Customers whose phone, e-mail, number, or last phone digits and name the lookup gives; None if it gives none."""
    conditions: list[sa.ColumnElement[bool]] = []
    if lookup.phone_keys:
        conditions.append(Customer.phone_key.in_(lookup.phone_keys))
    if lookup.email:
        conditions.append(Customer.email_key == lookup.email)
    if lookup.last_digits and lookup.name:
        conditions.append(
            sa.and_(
                Customer.phone_key.like(f"%{lookup.last_digits}"),
                Customer.name.ilike(like_pattern(lookup.name), escape="\\"),
            )
        )
    if lookup.reference:
        conditions.append(Customer.number == lookup.text.upper())
    return sa.or_(*conditions) if conditions else None


def customer_search(user: User, text: str) -> sa.ColumnElement[bool]:
    """The customers list's keyword: name, number or company as typed, or the caller's identity, or a record of theirs
    (its number, or an order number in its key details) among the records the user may see."""
    lookup = parse_lookup(text)
    pattern = lookup.pattern
    conditions = [
        Customer.name.ilike(pattern, escape="\\"),
        Customer.number.ilike(pattern, escape="\\"),
        Customer.company.ilike(pattern, escape="\\"),
    ]
    identity = customer_identity_match(lookup)
    if identity is not None:
        conditions.append(identity)
    if lookup.reference:
        records = sa.select(Record.customer_id).where(
            record_scope(user),
            sa.or_(Record.number == lookup.text.upper(), Record.key_details.ilike(pattern, escape="\\")),
        )
        conditions.append(Customer.id.in_(records))
    return sa.or_(*conditions)


def record_search(user: User, text: str, text_columns: list[sa.ColumnElement]) -> sa.ColumnElement[bool]:
    """The records list's keyword: the record's number and text (`text_columns`), and its customer's name, company
    and identity; a phone number is also looked for in the text as digits."""
    lookup = parse_lookup(text)
    patterns = [lookup.pattern] + [like_pattern(key) for key in lookup.phone_keys if key != lookup.text]
    conditions = [column.ilike(pattern, escape="\\") for pattern in patterns for column in text_columns]
    if not is_scrubbed_viewer(user):
        customer_conditions = [
            Customer.name.ilike(lookup.pattern, escape="\\"),
            Customer.company.ilike(lookup.pattern, escape="\\"),
        ]
        identity = customer_identity_match(lookup)
        if identity is not None:
            customer_conditions.append(identity)
        conditions.append(Record.customer_id.in_(sa.select(Customer.id).where(sa.or_(*customer_conditions))))
    return sa.or_(*conditions)


# ----- the incoming call -------------------------------------------------------------------------------------------


@dataclass
class Caller:
    """A customer on the phone, as the agent taking the call may see them."""

    customer: Customer
    open_records: list[Record]
    last_contacts: list[Record]
    tags: list[str]


def callers(user: User, phone: str | None) -> list[Caller]:
    """The customers the user may see who have this phone number (usually one), with their open records, last
    contacts and the tags of both; an empty list for a number nobody the user may see has."""
    require(not is_scrubbed_viewer(user), "Trainers work with scrubbed records, not customer profiles.")
    phone = (phone or "").replace("\x00", "").strip()
    if not phone:
        raise ValidationError({"phone": [_l("Give the caller's phone number, e.g. ?phone=13886168491.")]})
    keys = phone_keys(phone)
    if not keys:
        raise ValidationError(
            {"phone": [_l("%(phone)s is not a phone number, or the caller withheld it.", phone=repr(phone[:40]))]}
        )
    customers = db.session.scalars(
        sa.select(Customer).where(Customer.phone_key.in_(keys), customer_scope(user)).order_by(Customer.id)
    )
    return [_caller(user, customer) for customer in customers]


def _caller(user: User, customer: Customer) -> Caller:
    visible = sa.select(Record).where(
        Record.customer_id == customer.id, record_scope(user), Record.archived_at.is_(None)
    )
    newest_first = (Record.contacted_at.desc(), Record.id.desc())
    open_records = list(db.session.scalars(visible.where(Record.status.in_(OPEN_STATUSES)).order_by(*newest_first)))
    last_contacts = list(db.session.scalars(visible.order_by(*newest_first).limit(LAST_CONTACTS)))
    tags = list(customer.tags or [])
    for record in open_records + last_contacts:
        tags.extend(tag for tag in record.tags or [] if tag not in tags)
    return Caller(customer=customer, open_records=open_records, last_contacts=last_contacts, tags=tags)
