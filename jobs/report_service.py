"""The report's service-level figures: deadlines missed by the period's records (records.sla decides what respond
and resolve mean) and follow-ups done late or still overdue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from jobs.report_common import CURRENT, PREVIOUS, Window, compare, enum_name, iso, rate
from records.enums import Priority
from records.models import Record, Team
from records.sla import (
    breach_counts,
    count_overdue_follow_ups,
    follow_up_timeliness,
    overdue_follow_ups,
    rules_as_dict,
    sla_breaches,
    sla_rules,
)

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


def sla_figures(session: Session, window: Window, now: datetime, today: date) -> dict[str, Any]:
    rules = sla_rules()
    which = window.which()
    rows = breach_counts(
        session,
        start=window.start,
        end=window.end,
        now=now,
        group_by=(which, Record.priority, Record.team_id),
        rules=rules,
    )
    for row in rows:
        row["which"], priority, row["team_id"] = row.pop("group")
        row["priority"] = Priority(priority).value

    def pick(which_: str, **match: Any) -> dict[str, int]:
        return _sum([row for row in rows if row["which"] == which_ and all(row[k] == v for k, v in match.items())])

    team_ids = sorted({row["team_id"] for row in rows if row["team_id"] is not None})
    teams = dict(
        session.execute(
            Team.__table__.select().with_only_columns(Team.id, Team.name).where(Team.id.in_(team_ids))
        ).all()
    )
    period = window.current
    breaches = sla_breaches(
        session, now=now, start=period.starts_at, end=period.ends_at, limit=SLA_EXAMPLES, rules=rules
    )
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
