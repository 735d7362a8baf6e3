"""The report's service-level figures: deadlines missed by the period's records (records.sla decides what respond
and resolve mean) and follow-ups done late or still overdue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.reports.common import CURRENT, PREVIOUS, Window, compare, enum_name, iso, rate
from jobs.reports.days import DayPart, DaySpan, add_up, day_rows
from records.enums import Priority
from records.models import Record, Team, User
from records.sla import (
    Breach,
    breach_counts,
    count_overdue_follow_ups,
    follow_up_timeliness,
    most_overdue_first,
    overdue_follow_ups,
    rules_as_dict,
    sla_breaches,
    sla_rules,
)
from records.timeutil import to_local

#: Breaches and overdue follow-ups quoted as examples, most overdue first.
SLA_EXAMPLES = 5

_COUNTS = ("records", "respond_applicable", "respond_breaches", "resolve_applicable", "resolve_breaches")


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime | date) else value


def _sum(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {key: sum(row[key] for row in rows) for key in _COUNTS}


def _rates(current: dict[str, int], previous: dict[str, int]) -> dict[str, Any]:
    return {
        "respond_breaches": compare(current["respond_breaches"], previous["respond_breaches"]),
        "respond_breach_rate": compare(
            rate(current["respond_breaches"], current["respond_applicable"]),
            rate(previous["respond_breaches"], previous["respond_applicable"]),
        ),
        "respond_applicable": current["respond_applicable"],
        "resolve_breaches": compare(current["resolve_breaches"], previous["resolve_breaches"]),
        "resolve_breach_rate": compare(
            rate(current["resolve_breaches"], current["resolve_applicable"]),
            rate(previous["resolve_breaches"], previous["resolve_applicable"]),
        ),
        "resolve_applicable": current["resolve_applicable"],
    }


def sla_rows(session: Session, span: DaySpan, now: datetime) -> Iterable[dict[str, Any]]:
    """Records, deadlines and breaches per (day, priority, team)."""
    rows = breach_counts(
        session, start=span.start, end=span.end, now=now, group_by=(span.day(), Record.priority, Record.team_id)
    )
    for row in rows:
        row["day"], row["priority"], row["team_id"] = row.pop("group")
    return rows


SLA = DayPart("sla", sla_rows, waits_for_deadlines=True)


#: Breach fields not kept: names (looked up when quoted) and how overdue it is (depends on the time of the report).
_NOT_KEPT = ("agent", "team", "overdue_minutes")


def breach_rows(session: Session, span: DaySpan, now: datetime) -> list[dict[str, Any]]:
    """Per day, the candidates for the period's most overdue breaches, without names (looked up when quoted: a
    renamed agent does not bump a day): the SLA_EXAMPLES most overdue of the deadlines met late, and the
    SLA_EXAMPLES due first of those still not met, which are the most overdue whatever the time of the report
    (contact times and deadlines are whole minutes, so an earlier deadline is always more overdue)."""
    position = {day: index for index, day in enumerate(span.days)}
    by_day: dict[int, tuple[list[Breach], list[Breach]]] = defaultdict(lambda: ([], []))
    for breach in sla_breaches(session, now=now, start=span.start, end=span.end):
        late, still_open = by_day[position[to_local(breach.contacted_at).date()]]
        (still_open if breach.open else late).append(breach)
    rows = []
    for day, (late, still_open) in by_day.items():
        late.sort(key=most_overdue_first)
        still_open.sort(key=lambda breach: (breach.due, breach.number, breach.kind))
        for breach in (*late[:SLA_EXAMPLES], *still_open[:SLA_EXAMPLES]):
            fields = {key: _plain(value) for key, value in asdict(breach).items() if key not in _NOT_KEPT}
            rows.append({"day": day, **fields})
    return rows


BREACHES = DayPart("breaches", breach_rows, waits_for_deadlines=True)


def _most_overdue(session: Session, window: Window, now: datetime) -> list[Breach]:
    """The SLA_EXAMPLES most overdue breaches of the period, as records.sla.sla_breaches orders them."""
    period = window.current
    found = []
    for _day, rows in day_rows(session, BREACHES, period.first_day, period.after_day, now):
        for row in rows:
            due, met_at = datetime.fromisoformat(row["due"]), row["met_at"] and datetime.fromisoformat(row["met_at"])
            found.append(
                Breach(
                    **{key: row[key] for key in ("record_id", "number", "agent_id", "team_id", "priority", "status")},
                    kind=row["kind"],
                    agent=None,
                    team=None,
                    contacted_at=datetime.fromisoformat(row["contacted_at"]),
                    due=due,
                    met_at=met_at,
                    overdue_minutes=round(((met_at or now) - due).total_seconds() / 60, 1),
                )
            )
    chosen = sorted(found, key=most_overdue_first)[:SLA_EXAMPLES]
    agents = {breach.agent_id for breach in chosen}
    teams = {breach.team_id for breach in chosen} - {None}
    agent_names = dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(agents))).all())
    team_names = dict(session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(teams))).all())
    return [
        replace(breach, agent=agent_names.get(breach.agent_id), team=team_names.get(breach.team_id))
        for breach in chosen
    ]


def sla_figures(session: Session, window: Window, now: datetime, today: date) -> dict[str, Any]:
    rules = sla_rules()
    days = day_rows(session, SLA, window.first_day, window.after_day, now)
    groups = add_up(
        days, lambda day, row: (window.which_day(day), row["priority"], row["team_id"]), ("priority", "team_id")
    )
    rows = [
        {**row, "which": which, "priority": Priority(row["priority"]).value} for (which, *_group), row in groups.items()
    ]

    def pick(which_: str, **match: Any) -> dict[str, int]:
        return _sum([row for row in rows if row["which"] == which_ and all(row[k] == v for k, v in match.items())])

    team_ids = sorted({row["team_id"] for row in rows if row["team_id"] is not None})
    teams = dict(
        session.execute(
            Team.__table__.select().with_only_columns(Team.id, Team.name).where(Team.id.in_(team_ids))
        ).all()
    )
    breaches = _most_overdue(session, window, now)
    overdue = overdue_follow_ups(session, today=today, limit=SLA_EXAMPLES)
    follow_ups = {}
    for which_ in (CURRENT, PREVIOUS):
        counted = window.period(which_)
        found = follow_up_timeliness(session, first_day=counted.first_day, after_day=counted.after_day, today=today)
        follow_ups[which_] = found[0] if found else {"due": 0, "done": 0, "done_on_time": 0, "done_late": 0}
        follow_ups[which_].setdefault("overdue_open", 0)
    late = {w: follow_ups[w]["done_late"] + follow_ups[w]["overdue_open"] for w in (CURRENT, PREVIOUS)}
    return {
        "rules": rules_as_dict(rules),
        "as_of": iso(now),
        **_rates(pick(CURRENT), pick(PREVIOUS)),
        "by_priority": [
            {
                "key": priority.value,
                "name": enum_name(Priority, priority.value),
                **_rates(pick(CURRENT, priority=p), pick(PREVIOUS, priority=p)),
            }
            for priority in Priority
            for p in (priority.value,)
            if pick(CURRENT, priority=p)["records"] or pick(PREVIOUS, priority=p)["records"]
        ],
        "by_team": [
            {
                "team_id": team_id,
                "name": teams.get(team_id),
                **_rates(pick(CURRENT, team_id=team_id), pick(PREVIOUS, team_id=team_id)),
            }
            for team_id in team_ids
        ],
        "examples": [{key: _plain(value) for key, value in breach.as_dict().items()} for breach in breaches],
        "follow_ups": {
            "due": compare(follow_ups[CURRENT]["due"], follow_ups[PREVIOUS]["due"]),
            "done_on_time": compare(follow_ups[CURRENT]["done_on_time"], follow_ups[PREVIOUS]["done_on_time"]),
            "late": compare(late[CURRENT], late[PREVIOUS]),
            "late_rate": compare(
                rate(late[CURRENT], follow_ups[CURRENT]["due"]), rate(late[PREVIOUS], follow_ups[PREVIOUS]["due"])
            ),
            "still_open": follow_ups[CURRENT]["overdue_open"],
            "overdue_now": count_overdue_follow_ups(session, today=today),
            "examples": [{key: _plain(value) for key, value in item.as_dict().items()} for item in overdue],
        },
    }
