"""The SLA worklist: rows by role, filters, sorting, counts by team; bulk actions checked record by record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marshmallow import ValidationError

from records.db import db
from records.enums import Priority, Role
from records.schemas import FollowUpInputSchema
from records.timeutil import to_local, utcnow
from records.worklist import WorklistFilters, bulk_apply, worklist


def hours_ago(hours: float) -> str:
    return to_local(utcnow() - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def floor(make_user, make_record):
    people = {
        "a1": make_user(Role.AGENT, team="客服A组", username="a1"),
        "a2": make_user(Role.AGENT, team="客服A组", username="a2"),
        "b1": make_user(Role.AGENT, team="客服B组", username="b1"),
        "sup_a": make_user(Role.SUPERVISOR, team="客服A组", username="sup_a"),
        "admin": make_user(Role.ADMIN, username="admin1"),
    }
    overdue_day = (to_local(utcnow()).date() - timedelta(days=2)).isoformat()
    records = {
        # high: resolve within 24 h — 50 h ago is 26 h overdue; urgent (8 h) 10 h ago is 2 h overdue.
        "a1_high": make_record(people["a1"], status="open", priority="high", contacted_at=hours_ago(50)),
        "a1_urgent": make_record(people["a1"], status="open", priority="urgent", contacted_at=hours_ago(10)),
        "a2_pending": make_record(
            people["a2"],
            status="pending",
            priority="low",
            contacted_at=hours_ago(20),
            follow_ups=[{"action": "回电确认", "owner": "a2", "due": overdue_day}],
        ),
        "b1_high": make_record(people["b1"], status="open", priority="high", contacted_at=hours_ago(30)),
        "a1_fine": make_record(people["a1"], status="open", priority="low", contacted_at=hours_ago(1)),
    }
    return people, records


def numbers(rows):
    return [row.number for row in rows]


def test_each_role_sees_the_rows_of_its_records(floor):
    people, records = floor
    now = utcnow()
    mine = worklist(people["a1"], WorklistFilters(), now=now)
    assert numbers(mine.items) == [records["a1_high"].number, records["a1_urgent"].number]
    team = worklist(people["sup_a"], WorklistFilters(), now=now)
    assert {row.number for row in team.items} == {
        r.number for k, r in records.items() if k in ("a1_high", "a1_urgent", "a2_pending")
    }
    everyone = worklist(people["admin"], WorklistFilters(), now=now)
    assert everyone.team_counts == {"客服A组": 3, "客服B组": 1}
    follow_up = next(row for row in everyone.items if row.kind == "follow_up")
    assert follow_up.owner == "a2" and follow_up.action == "回电确认" and follow_up.overdue_minutes > 24 * 60


def test_filters_and_sorts(floor):
    people, records = floor
    now, admin = utcnow(), people["admin"]
    by_team = worklist(admin, WorklistFilters(team="客服B组"), now=now)
    assert numbers(by_team.items) == [records["b1_high"].number]
    assert by_team.team_counts == {"客服A组": 3, "客服B组": 1}  # the team filter does not change the counts
    assert numbers(worklist(admin, WorklistFilters(priority=Priority.URGENT), now=now).items) == [
        records["a1_urgent"].number
    ]
    assert [row.kind for row in worklist(admin, WorklistFilters(kind="follow_up"), now=now).items] == ["follow_up"]
    assert numbers(worklist(admin, WorklistFilters(agent="a2"), now=now).items) == [records["a2_pending"].number]
    long_overdue = worklist(admin, WorklistFilters(overdue_hours=20), now=now).items
    assert {row.number for row in long_overdue} == {records["a1_high"].number, records["a2_pending"].number}
    by_priority = worklist(admin, WorklistFilters(sort="priority"), now=now).items
    assert [row.priority for row in by_priority] == ["urgent", "high", "high", "low"]
    with pytest.raises(ValidationError):
        worklist(admin, WorklistFilters(kind="nonsense"), now=now)
    with pytest.raises(ValidationError):
        worklist(admin, WorklistFilters(team="无此组"), now=now)
    with pytest.raises(ValidationError):
        worklist(admin, WorklistFilters(agent="ghost"), now=now)


def test_an_assigned_record_moves_to_its_handler(floor):
    people, records = floor
    outcome = bulk_apply(people["sup_a"], [records["a1_high"].number], "reassign", {"assignee": "a2"})
    db.session.commit()
    assert outcome.done == [records["a1_high"].number] and not outcome.refused
    rows = worklist(people["a2"], WorklistFilters(), now=utcnow()).items
    assert records["a1_high"].number in numbers(rows)
    assert next(row for row in rows if row.number == records["a1_high"].number).handler == people["a2"].display_name


def test_bulk_actions_check_each_record(floor):
    people, records = floor
    refs = [records["a1_high"].number, records["b1_high"].number, "R00000000", records["a1_urgent"].number]
    outcome = bulk_apply(people["sup_a"], refs, "priority", {"priority": Priority.URGENT})
    db.session.commit()
    assert outcome.done == [records["a1_high"].number, records["a1_urgent"].number]
    # Another team's record and a record that does not exist get the same answer.
    assert [ref for ref, _why in outcome.refused] == [records["b1_high"].number, "R00000000"]
    assert len({why for _ref, why in outcome.refused}) == 1
    db.session.refresh(records["a1_high"])
    db.session.refresh(records["b1_high"])
    assert records["a1_high"].priority == Priority.URGENT and records["b1_high"].priority == Priority.HIGH
    # Agents may not hand records to others; each refusal says why.
    refused = bulk_apply(people["a1"], [records["a1_high"].number], "reassign", {"assignee": "a2"})
    assert refused.done == [] and "supervisor" in refused.refused[0][1]
    follow_up = FollowUpInputSchema().load({"action": "回访", "owner_user": "a1", "due": "2026-12-31"})
    added = bulk_apply(people["a1"], [records["a1_high"].number, records["a1_urgent"].number], "follow_up", follow_up)
    db.session.commit()
    assert len(added.done) == 2
    assert records["a1_high"].follow_ups[-1].owner_user == people["a1"]
    with pytest.raises(ValidationError):
        bulk_apply(people["a1"], [], "priority", {"priority": Priority.LOW})
    with pytest.raises(ValidationError):
        bulk_apply(people["a1"], [records["a1_high"].number], "explode", {})
