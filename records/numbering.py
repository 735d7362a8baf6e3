"""Daily numbers: customers C + YYYYMMDD + 3 digits, records R + YYYYMMDD + 4 digits."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from records.db import db
from records.models import SequenceCounter

CUSTOMER_NUMBER = r"C\d{11,}"
RECORD_NUMBER = r"R\d{12,}"


def next_number(prefix: str, day: date, width: int) -> str:
    """The next number of the day, e.g. R202405200001. Safe under concurrent writers.

    The UPDATE takes a row lock on PostgreSQL (SQLite serialises writers), so two requests never share a number.
    """
    key = f"{prefix}{day:%Y%m%d}"
    bump = (
        sa.update(SequenceCounter)
        .where(SequenceCounter.key == key)
        .values(last=SequenceCounter.last + 1)
        .returning(SequenceCounter.last)
    )
    # no_autoflush: the counter does not depend on pending objects, and a flush per number doubles import time.
    with db.session.no_autoflush:
        value = db.session.execute(bump).scalar()
        if value is None:
            value = _start_counter(key, 1) or db.session.execute(bump).scalar_one()
    return f"{key}{value:0{width}d}"


def kept_number(number: str | None, pattern: str, taken: sa.ColumnElement) -> str | None:
    """A number brought along by an import, if it has the right form and is still free here.

    The day's counter is raised past it, so numbers given later never collide with it.
    """
    if not number or not re.fullmatch(pattern, number):
        return None
    with db.session.no_autoflush:
        if db.session.scalar(sa.select(sa.literal(True)).where(taken == number)):
            return None
        key, sequence = number[:9], int(number[9:])
        raised = db.session.execute(
            sa.update(SequenceCounter)
            .where(SequenceCounter.key == key, SequenceCounter.last < sequence)
            .values(last=sequence)
        )
        if not raised.rowcount and not db.session.get(SequenceCounter, key):
            _start_counter(key, sequence)
    return number


def _start_counter(key: str, value: int) -> int | None:
    """Create the day's counter at `value`; None when a concurrent writer created it first."""
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(SequenceCounter).values(key=key, last=value))
        return value
    except IntegrityError:
        return None
