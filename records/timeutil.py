"""Times are stored as naive UTC and shown in the deployment's timezone (default Asia/Shanghai)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

DEFAULT_TIMEZONE = "Asia/Shanghai"

_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")
#: Contact times before this year are typos (0001-01-01 from an empty date column, 1899-12-30 from Excel's day zero),
#: not contacts: refused, where they would otherwise overflow converting to UTC or fall to retention at once.
EARLIEST_CONTACT_YEAR = 1970


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_timezone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown timezone {name!r} in CONSULTKB_TIMEZONE.") from exc


def parse_contact_time(raw: str | datetime) -> datetime:
    """Parse a contact time to naive UTC, truncated to the minute.

    Accepts `YYYY-MM-DD HH:MM` (local time), with seconds, with slashes, or ISO 8601 with or without an offset.
    """
    if isinstance(raw, datetime):
        moment = raw
    else:
        text = str(raw).strip()
        moment = None
        for pattern in _LOCAL_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(re.sub(r"Z$", "+00:00", text))
            except ValueError:
                raise ValueError(_l("Not a time: %(text)s; use YYYY-MM-DD HH:MM.", text=repr(text))) from None
    if moment.year < EARLIEST_CONTACT_YEAR:
        raise ValueError(
            _l(
                "%(text)s is before %(year)s; check the year of the contact time.",
                text=repr(str(raw)),
                year=EARLIEST_CONTACT_YEAR,
            )
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_timezone())
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31 23:59 west of UTC is past the last datetime
        raise ValueError(_l("Not a time: %(text)s; use YYYY-MM-DD HH:MM.", text=repr(str(raw)))) from None
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(local_timezone()).replace(tzinfo=None)


def format_local(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def local_today() -> date:
    return datetime.now(local_timezone()).date()


def local_day_start(day: date) -> datetime:
    """The naive-UTC moment a local calendar day starts; date filters are given in local days."""
    local = datetime(day.year, day.month, day.day, tzinfo=local_timezone())
    return local.astimezone(UTC).replace(tzinfo=None)
