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


def next_number(prefix: str, day: date, width: int, taken: sa.ColumnElement) -> str:
    """The next free number of the day, e.g. R202405200001. Safe under concurrent writers.

    The UPDATE takes a row lock on PostgreSQL (SQLite serialises writers), so two requests never share a number;
    numbers kept from an import are skipped.
    """
    key = f"{prefix}{day:%Y%m%d}"
    bump = (
        sa.update(SequenceCounter)
        .where(SequenceCounter.key == key)
        .values(last=SequenceCounter.last + 1)
        .returning(SequenceCounter.last)
    )
    while True:
        value = db.session.execute(bump).scalar()
        if value is None:
            try:
                with db.session.begin_nested():
                    db.session.execute(sa.insert(SequenceCounter).values(key=key, last=1))
                value = 1
            except IntegrityError:
                value = db.session.execute(bump).scalar_one()
        number = f"{key}{value:0{width}d}"
        if not db.session.scalar(sa.select(sa.literal(True)).where(taken == number)):
            return number


def kept_number(number: str | None, pattern: str, taken: sa.ColumnElement) -> str | None:
    """A number brought along by an import, if it has the right form and is still free here."""
    if (
        number
        and re.fullmatch(pattern, number)
        and not db.session.scalar(sa.select(sa.literal(True)).where(taken == number))
    ):
        return number
    return None
