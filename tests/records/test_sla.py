"""Deadlines by priority: what respond and resolve mean, breaches in a period, open breaches, overdue follow-ups."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from kb.selfservice import SOURCE as SELF_SERVICE_SOURCE
from records.db import read_session
from records.enums import Priority, Role
from records.models import AuditLog, FollowUp, Record
from records.sla import (
    DEFAULT_SLA_RULES,
    WAITING_SOURCES,
    breach_counts,
    count_overdue_follow_ups,
    follow_up_timeliness,
    open_breaches,
    overdue_follow_ups,
    sla_breaches,
    sla_rules,
)

#: 2025-06-10 09:00 in Asia/Shanghai (the test app's timezone).
CONTACT = datetime(2025, 6, 10, 1, 0)
NOW = CONTACT + timedelta(hours=48)
START, END = datetime(2025, 6, 1), datetime(2025, 6, 11)


def _set(record: Record, **values) -> None:
    from records.db import db

    db.session.execute(sa.update(Record).where(Record.id == record.id).values(**values))
    db.session.commit()


def _staff_action(record: Record, user, at: datetime, action: str = "record.update") -> None:
    from records.db import db

    db.session.add(
        AuditLog(
            user_id=user.id, actor=user.username, action=action, object_type="record", object_id=record.number, at=at
        )
    )
    db.session.commit()


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, team="客服A组")


@pytest.fixture
def record_at(make_record, agent):
    def factory(
        *, priority="high", status="resolved", resolved_after=None, created_after=timedelta(minutes=5), **extra
    ):
        overrides = {"contacted_at": "2025-06-10 09:00", "priority": priority, "status": status, **extra}
        if status in ("pending", "transferred"):
            overrides.setdefault("follow_ups", [{"action": "回电", "owner": "王芳", "due": "2025-06-11"}])
        record = make_record(agent=agent, **overrides)
        values = {"created_at": CONTACT + created_after, "resolved_at": None}
        if resolved_after is not None:
            values["resolved_at"] = CONTACT + resolved_after
        _set(record, **values)
        return record

    return factory


def test_rules_default_to_the_guides_high_priority_deadlines(app):
    with app.app_context():
        rules = sla_rules()
        assert (rules[Priority.HIGH].respond_hours, rules[Priority.HIGH].resolve_hours) == (4, 24)
        assert set(rules) == set(Priority)
        assert DEFAULT_SLA_RULES["high"] == {"respond_hours": 4, "resolve_hours": 24}


def test_configured_rules_override_key_by_key(app):
    with app.app_context():
        rules = sla_rules({"high": {"respond_hours": 2}, "low": None})
        assert (rules[Priority.HIGH].respond_hours, rules[Priority.HIGH].resolve_hours) == (2, 24)
        assert (rules[Priority.LOW].respond_hours, rules[Priority.LOW].resolve_hours) == (None, None)
        assert rules[Priority.MEDIUM].resolve_hours == 72


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"critical": {"respond_hours": 1}}, "unknown priority 'critical'"),
        ({"high": {"respond_hours": -1}}, "positive number of hours"),
        ({"high": {"respond_hours": "4"}}, "positive number of hours"),
        ({"high": {"answer_hours": 4}}, "may only set respond_hours and resolve_hours"),
        (["high"], "must map priorities"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(app, raw, message):
    with app.app_context(), pytest.raises(ValueError, match=message):
        sla_rules(raw)


def test_help_center_contact_requests_are_the_records_that_wait_for_a_response():
    assert SELF_SERVICE_SOURCE in WAITING_SOURCES


def test_resolving_after_the_deadline_is_a_breach_met_late(db, record_at):
    late = record_at(resolved_after=timedelta(hours=30))
    in_time = record_at(resolved_after=timedelta(hours=20))
    with read_session() as session:
        breaches = sla_breaches(session, now=NOW, start=START, end=END)
    assert [(b.number, b.kind) for b in breaches] == [(late.number, "resolve")]
    breach = breaches[0]
    assert breach.due == CONTACT + timedelta(hours=24)
    assert breach.met_at == CONTACT + timedelta(hours=30)
    assert breach.overdue_minutes == 360.0
    assert not breach.open
    assert in_time.number not in {b.number for b in breaches}


def test_an_open_record_past_its_deadline_is_an_open_breach(db, record_at, make_user):
    overdue = record_at(priority="high", status="pending")  # 48 h open, high: 24 h
    not_yet = record_at(priority="medium", status="open")  # medium: 72 h
    record_at(priority="high", resolved_after=timedelta(hours=30))  # late, but resolved: not open
    with read_session() as session:
        found = open_breaches(session, now=NOW)
    assert [(b.number, b.kind, b.open) for b in found] == [(overdue.number, "resolve", True)]
    assert found[0].overdue_minutes == 24 * 60
    assert found[0].agent and found[0].team == "客服A组"
    assert not_yet.number not in {b.number for b in found}
    with read_session() as session:
        other_team = make_user(Role.SUPERVISOR, team="客服B组")
        assert open_breaches(session, now=NOW, where=Record.team_id == other_team.team_id) == []


def test_a_record_imported_already_resolved_has_no_known_resolution_time(db, record_at):
    # Created two days after the contact and resolved in the same save: the importer's stamp, not a resolution.
    record_at(resolved_after=timedelta(hours=48), created_after=timedelta(hours=48))
    record_at(status="unresolvable", resolution="无法处理")
    with read_session() as session:
        assert sla_breaches(session, now=NOW, start=START, end=END) == []
        counts = breach_counts(session, start=START, end=END, now=NOW)
    assert counts == [
        {
            "group": (),
            "records": 2,
            "respond_applicable": 0,
            "respond_breaches": 0,
            "resolve_applicable": 0,
            "resolve_breaches": 0,
        }
    ]


def test_a_record_resolved_at_the_contact_is_measured(db, record_at):
    # Saved resolved 36 minutes after the contact: the agent resolved it on the call.
    record_at(resolved_after=timedelta(minutes=36), created_after=timedelta(minutes=36))
    with read_session() as session:
        (counts,) = breach_counts(session, start=START, end=END, now=NOW)
    assert (counts["resolve_applicable"], counts["resolve_breaches"]) == (1, 0)


def test_contact_requests_are_responded_to_by_the_first_staff_action(db, record_at, agent):
    answered = record_at(priority="medium", status="open", source="self-service", channel="web")
    late = record_at(priority="high", status="open", source="self-service", channel="web")
    waiting = record_at(priority="high", status="open", source="self-service", channel="web")
    phone_call = record_at(priority="high", status="open")  # answered at the contact
    _staff_action(answered, agent, CONTACT + timedelta(hours=2))
    _staff_action(late, agent, CONTACT + timedelta(hours=6), action="follow_up.create")
    # Not responses: opening the record, and the system's own entries.
    _staff_action(waiting, agent, CONTACT + timedelta(hours=1), action="record.reveal")
    with read_session() as session:
        found = sla_breaches(session, now=NOW, start=START, end=END, kinds=("respond",))
        still_waiting = open_breaches(session, now=NOW)
        (counts,) = breach_counts(session, start=START, end=END, now=NOW)
    assert {(b.number, b.open) for b in found} == {(late.number, False), (waiting.number, True)}
    late_breach = next(b for b in found if b.number == late.number)
    assert late_breach.met_at == CONTACT + timedelta(hours=6)
    assert late_breach.overdue_minutes == 120.0
    assert {(b.number, b.kind) for b in still_waiting if b.kind == "respond"} == {(waiting.number, "respond")}
    assert phone_call.number not in {b.number for b in found}
    assert (counts["respond_applicable"], counts["respond_breaches"]) == (3, 2)
    # The three high-priority open records are past 24 h; the medium one is within 72 h.
    assert (counts["resolve_applicable"], counts["resolve_breaches"]) == (4, 3)


def test_configured_deadlines_change_the_breaches(app, db, record_at):
    record_at(resolved_after=timedelta(hours=30))
    app.config["SLA_RULES"] = {"high": {"resolve_hours": 36}}
    try:
        with read_session() as session:
            assert sla_breaches(session, now=NOW, start=START, end=END) == []
    finally:
        app.config.pop("SLA_RULES")


def test_breaches_are_counted_per_group(db, record_at):
    record_at(priority="high", resolved_after=timedelta(hours=30))
    record_at(priority="low", resolved_after=timedelta(hours=30))
    with read_session() as session:
        rows = breach_counts(session, start=START, end=END, now=NOW, group_by=(Record.priority,))
    by_priority = {Priority(row["group"][0]).value: row for row in rows}
    assert by_priority["high"]["resolve_breaches"] == 1
    assert by_priority["low"]["resolve_breaches"] == 0  # low: 120 h


def test_overdue_follow_ups_are_listed_most_overdue_first_with_personal_data_masked(db, make_record, agent):
    record = make_record(
        agent=agent,
        contacted_at="2025-06-10 09:00",
        status="pending",
        follow_ups=[
            {"action": "回电 13812345678 确认退款", "owner": "王芳", "due": "2025-06-12"},
            {"action": "寄送发票", "owner": "财务部-李", "due": "2025-06-11"},
            {"action": "确认到账", "owner": "王芳", "due": "2025-06-20"},
        ],
    )
    with read_session() as session:
        found = overdue_follow_ups(session, today=date(2025, 6, 15))
        assert count_overdue_follow_ups(session, today=date(2025, 6, 15)) == 2
    assert [(item.due, item.overdue_days) for item in found] == [(date(2025, 6, 11), 4), (date(2025, 6, 12), 3)]
    assert found[1].action == "回电 138****5678 确认退款"
    assert found[0].number == record.number and found[0].team == "客服A组"


def test_follow_up_timeliness_judges_the_end_of_the_local_due_day(db, make_record, agent):
    from records.db import db as database

    record = make_record(
        agent=agent,
        contacted_at="2025-06-10 09:00",
        status="pending",
        follow_ups=[
            {"action": "a", "owner": "王芳", "due": "2025-06-11"},
            {"action": "b", "owner": "王芳", "due": "2025-06-11"},
            {"action": "c", "owner": "王芳", "due": "2025-06-12"},
            {"action": "d", "owner": "王芳", "due": "2025-06-13"},
        ],
    )
    done_at = {
        "a": datetime(2025, 6, 11, 15, 59),  # 23:59 on the 11th in Shanghai: on time
        "b": datetime(2025, 6, 11, 16, 1),  # 00:01 on the 12th: late
    }
    for follow_up in record.follow_ups:
        if follow_up.action in done_at:
            database.session.execute(
                sa.update(FollowUp)
                .where(FollowUp.id == follow_up.id)
                .values(done=True, done_at=done_at[follow_up.action])
            )
    database.session.commit()
    with read_session() as session:
        (row,) = follow_up_timeliness(
            session, first_day=date(2025, 6, 11), after_day=date(2025, 6, 13), today=date(2025, 6, 14)
        )
    assert row == {"group": (), "due": 3, "done": 2, "done_on_time": 1, "done_late": 1, "overdue_open": 1}
