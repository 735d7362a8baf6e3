"""Report figures kept per contact day (jobs.reports.days): a report reading them shows exactly what it shows computed
from the records, and every kind of write that changes a day's figures makes the kept rows of that day out of date.
The records are the hand-checked fixture of test_figures (June 2025 against May)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from jobs.erasure import RunMemo, erase_records
from jobs.erasure_requests import erase_record
from jobs.models import ReportDayRows
from jobs.reports import days as report_days
from jobs.reports.figures import DAY_PARTS, build_figures, keep_day_rows
from jobs.reports.periods import parse_period
from jobs.scheduling import run_now
from records import audit
from records.changes import ContactDayVersion, ended_before, longest_deadline, settled_before, touch
from records.db import db as database
from records.db import read_session
from records.enums import Role
from records.models import FollowUp, Record
from records.timeutil import parse_contact_time
from scoring.engine import current_rubric, store_scores
from tests.jobs.reports.test_figures import CUSTOMERS, NOW, build_report_fixture

JUNE = parse_period("monthly", "2025-06")
#: NOW is 2025-07-05 08:00 local: with the default rules (deadlines of at most 120 hours) June 30th is the first day
#: whose deadlines have not all passed, so reports scan it for the breaches; every other part is kept for all of June.
FIRST_UNSETTLED = date(2025, 6, 30)
#: The parts whose rows wait for the deadlines.
WAITING = {part.name for part in DAY_PARTS if part.waits_for_deadlines}


@pytest.fixture
def records(db, make_user, make_record, make_article):
    return build_report_fixture(make_user, make_record, make_article)


@pytest.fixture
def scanned(monkeypatch) -> list[tuple[str, tuple[date, ...]]]:
    """(part, days) of every scan of the records a report or refresh makes."""
    calls: list[tuple[str, tuple[date, ...]]] = []
    original = report_days.computed_rows

    def spy(session, part, days, now):
        calls.append((part.name, days))
        return original(session, part, days, now)

    monkeypatch.setattr(report_days, "computed_rows", spy)
    return calls


def _figures() -> dict:
    return build_figures(JUNE, now=NOW)


def _fresh_figures() -> dict:
    """The figures computed from the records alone, with nothing kept."""
    database.session.execute(sa.delete(ReportDayRows))
    database.session.commit()
    return _figures()


def _keep() -> dict[str, int]:
    database.session.commit()
    return keep_day_rows(now=NOW)


def test_days_are_kept_once_over_or_once_their_deadlines_have_passed(app, db, monkeypatch):
    assert {"sla", "breaches"} == WAITING
    assert ended_before(NOW) == date(2025, 7, 5)
    assert longest_deadline() == timedelta(hours=120)
    assert settled_before(NOW) == FIRST_UNSETTLED
    # Exactly 120 hours after the end of June 30th, June 30th has just settled.
    assert settled_before(parse_contact_time("2025-07-06 00:00")) == date(2025, 7, 1)
    assert settled_before(parse_contact_time("2025-07-05 23:59")) == FIRST_UNSETTLED
    monkeypatch.setitem(app.config, "SLA_RULES", {"low": {"resolve_hours": 240}})
    assert longest_deadline() == timedelta(hours=240)
    assert settled_before(NOW) == date(2025, 6, 25)


def test_kept_days_give_the_same_figures_and_only_days_not_settled_are_scanned(app, records, scanned):
    computed = _figures()
    assert {days[-1] for _part, days in scanned} == {JUNE.last_day}

    scanned.clear()
    kept_days = report_days.KEEP_DAYS
    assert _keep() == {part.name: kept_days - 5 if part.name in WAITING else kept_days for part in DAY_PARTS}
    # In runs of at most a month, up to the last day that can be kept.
    assert max(days[-1] for part, days in scanned if part in WAITING) == FIRST_UNSETTLED - timedelta(days=1)
    assert max(days[-1] for part, days in scanned if part not in WAITING) == date(2025, 7, 4)
    assert max(len(days) for _part, days in scanned) == report_days.FILL_CHUNK_DAYS
    assert {part for part, _days in scanned} == {part.name for part in DAY_PARTS}

    scanned.clear()
    assert _figures() == computed
    # Only the breaches of June 30th were scanned.
    assert sorted(scanned) == [("breaches", (FIRST_UNSETTLED,)), ("sla", (FIRST_UNSETTLED,))]

    scanned.clear()
    assert _keep() == {part.name: 0 for part in DAY_PARTS}
    assert scanned == []


def test_the_nightly_job_keeps_the_days_and_drops_older_ones(app, records):
    database.session.add(ReportDayRows(part="contacts", day=date(2020, 1, 1), settings="old", version=0, rows=[]))
    database.session.commit()
    output = run_now("report_days", trigger="cli:test")
    # Run now: every day up to yesterday is over, and up to six days ago settled.
    kept = {part.name: report_days.KEEP_DAYS - (5 if part.name in WAITING else 0) for part in DAY_PARTS}
    assert output == {"computed_days": kept}
    with read_session() as session:
        days = session.scalars(sa.select(ReportDayRows.day).where(ReportDayRows.part == "contacts")).all()
    assert len(days) == report_days.KEEP_DAYS and date(2020, 1, 1) not in days


def _changed_figures_match(before: dict) -> dict:
    """After a write: the report with kept rows equals the report computed afresh, and differs from `before`."""
    kept = _figures()
    assert kept == _fresh_figures()
    assert kept != before
    return kept


def test_editing_a_record_of_a_settled_day(app, records):
    _keep()
    before = _figures()
    record = database.session.get(Record, records["R4"].id)
    record.satisfaction = 5
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["satisfaction"]["overall"]["current"] != before["satisfaction"]["overall"]["current"]


def test_moving_a_record_to_another_day(app, records):
    _keep()
    before = _figures()
    record = database.session.get(Record, records["P2"].id)  # May 15th
    record.contacted_at = parse_contact_time("2025-06-16 11:00")
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["volume"]["total"]["current"] == before["volume"]["total"]["current"] + 1


def test_a_follow_up_added_later(app, records):
    _keep()
    before = _figures()
    database.session.add(FollowUp(record_id=records["R1"].id, action="回访", owner="a1", due=date(2025, 6, 5)))
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["fcr"]["resolved_first_contact"]["current"] == before["fcr"]["resolved_first_contact"]["current"] - 1


def test_a_repeat_contact_days_later(app, records, make_record):
    """R1 (customer c1, login failure, June 3rd) is resolved at first contact until c1 calls again two days later."""
    _keep()
    before = _figures()
    first = database.session.get(Record, records["R1"].id)
    again = make_record(
        agent=first.agent,
        customer=CUSTOMERS["c1"],
        contacted_at="2025-06-05 09:00",
        channel="phone",
        category="malfunction",
        subcategory="login",
        status="resolved",
    )
    assert again.customer_id == first.customer_id
    after = _changed_figures_match(before)
    # The new contact is resolved at first contact in R1's place.
    assert after["fcr"]["records"]["current"] == before["fcr"]["records"]["current"] + 1
    assert after["fcr"]["resolved_first_contact"] == before["fcr"]["resolved_first_contact"]


def test_rescoring_by_bulk_statement(app, records):
    _keep()
    before = _figures()
    store_scores(database.session, current_rubric(), [database.session.get(Record, records["R4"].id)])
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["quality"]["mean_auto"] != before["quality"]["mean_auto"]


def test_a_late_first_response_in_the_audit_log(app, records, make_user):
    """R5 (high priority, June 20th 14:00) was never answered: a response an hour later ends its respond breach."""
    _keep()
    before = _figures()
    staff = make_user(Role.AGENT)
    entry = audit.log(staff, "record.update", database.session.get(Record, records["R5"].id))
    entry.at = parse_contact_time("2025-06-20 15:00")
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["sla"]["respond_breaches"]["current"] == before["sla"]["respond_breaches"]["current"] - 1


def test_erasing_records(app, records):
    _keep()
    before = _figures()
    doomed = database.session.get(Record, records["R4"].id)
    erase_records([doomed.id], [doomed.number], RunMemo())
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["volume"]["total"]["current"] == before["volume"]["total"]["current"] - 1


def test_deleting_a_record(app, records, make_user):
    _keep()
    before = _figures()
    database.session.expire_all()  # as a later request would find it: nothing loaded yet
    erase_record(database.session.get(Record, records["R6"].id), by=make_user(Role.ADMIN))
    database.session.commit()
    after = _changed_figures_match(before)
    assert after["volume"]["total"]["current"] == before["volume"]["total"]["current"] - 1


def test_kept_rows_of_other_settings_are_not_used(app, records, scanned, monkeypatch):
    _keep()
    monkeypatch.setitem(app.config, "SLA_RULES", {"medium": {"respond_hours": 1}})
    scanned.clear()
    kept = _figures()
    assert len(scanned) == len(DAY_PARTS)  # every part scanned all its days at once
    assert kept == _fresh_figures()


def _versions() -> dict[date, int]:
    with read_session() as session:
        return dict(session.execute(sa.select(ContactDayVersion.day, ContactDayVersion.version)).all())


def test_the_days_a_transaction_changed_are_bumped_once_when_it_commits(app, db):
    touch(database.session, [parse_contact_time("2025-06-15 08:00")])
    touch(database.session, [parse_contact_time("2025-06-16 09:00"), None])
    assert _versions() == {}  # nothing locked before the commit
    database.session.commit()
    # June 15th, 16th and the seven days before each, once.
    assert _versions() == {date(2025, 6, 8) + timedelta(days=offset): 1 for offset in range(9)}

    touch(database.session, [parse_contact_time("2025-06-16 09:00")])
    database.session.rollback()
    database.session.commit()
    assert set(_versions().values()) == {1}  # a rolled-back transaction changed nothing


def test_a_savepoint_rolled_back_keeps_its_transaction_s_days(app, db):
    touch(database.session, [parse_contact_time("2025-06-15 08:00")])
    savepoint = database.session.begin_nested()
    touch(database.session, [parse_contact_time("2025-05-15 08:00")])
    savepoint.rollback()
    database.session.commit()
    assert date(2025, 6, 15) in _versions()


def test_rows_are_stored_compactly_and_read_back_equal():
    uniform = [{"channel": "phone", "records": 3, "score": 1.5}, {"channel": "email", "records": 1, "score": None}]
    assert report_days.packed(uniform) == {
        "keys": ["channel", "records", "score"],
        "values": [["phone", 3, 1.5], ["email", 1, None]],
    }
    assert report_days.unpacked(report_days.packed(uniform)) == uniform
    # Rows with different keys (criteria a team's records never met) stay as they are.
    mixed = [{"team_id": 1, "crit_a_n": 2}, {"team_id": 2}]
    assert report_days.packed(mixed) == mixed and report_days.unpacked(mixed) == mixed
    assert report_days.packed([]) == []


def test_adding_up_days_sums_measures_and_keeps_none_where_every_day_had_none():
    days = [
        (date(2025, 6, 1), [{"team_id": 1, "records": 2, "score": None}, {"team_id": 2, "records": 1, "score": 4.0}]),
        (date(2025, 6, 2), [{"team_id": 1, "records": 3, "score": None, "late": 1}]),
    ]
    groups = report_days.add_up(days, lambda _day, row: (row["team_id"],), ("team_id",))
    assert groups == {
        (1,): {"team_id": 1, "records": 5, "score": None, "late": 1},
        (2,): {"team_id": 2, "records": 1, "score": 4.0},
    }


def test_a_record_falls_on_its_local_day_where_clocks_change(app, db, make_record, monkeypatch):
    """Europe/Berlin moved its clocks forward on 2025-03-30: that day is 23 hours long."""
    monkeypatch.setitem(app.config, "TIMEZONE", "Europe/Berlin")
    for contacted in ("2025-03-29 23:59", "2025-03-30 00:00", "2025-03-30 23:59", "2025-03-31 00:30"):
        make_record(contacted_at=contacted)
    span = report_days.DaySpan((date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)))
    with read_session() as session:
        day = span.day()
        counted = dict(session.execute(sa.select(day, sa.func.count()).where(span.contacted()).group_by(day)).all())
    assert counted == {0: 1, 1: 2, 2: 1}
