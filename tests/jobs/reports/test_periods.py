"""Report periods: ISO weeks and months of the configured timezone, as naive-UTC bounds."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from jobs.reports.periods import last_complete_period, parse_period, period_containing


def test_a_month_is_its_local_days_in_utc(app):
    with app.app_context():  # Asia/Shanghai, UTC+8
        period = parse_period("monthly", "2026-10")
        assert (period.kind, period.label) == ("monthly", "2026-10")
        assert period.starts_at == datetime(2026, 9, 30, 16, 0)
        assert period.ends_at == datetime(2026, 10, 31, 16, 0)
        assert (period.first_day, period.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
        assert len(period.days()) == 31


def test_an_iso_week_starts_on_monday_and_may_belong_to_the_next_year(app):
    with app.app_context():
        week = parse_period("weekly", "2026-W46")
        assert week.label == "2026-W46"
        assert (week.first_day, week.last_day) == (date(2026, 11, 9), date(2026, 11, 15))
        assert week.starts_at == datetime(2026, 11, 8, 16, 0)
        # 2024-12-30 is in ISO week 1 of 2025.
        assert parse_period("weekly", "2025-W01").first_day == date(2024, 12, 30)


def test_labels_are_normalised(app):
    with app.app_context():
        assert parse_period("weekly", "2026w5").label == "2026-W05"
        assert parse_period("monthly", " 2026-3 ").label == "2026-03"


def test_previous_and_next_periods_cross_years(app):
    with app.app_context():
        assert parse_period("monthly", "2026-01").previous().label == "2025-12"
        assert parse_period("monthly", "2025-12").next().label == "2026-01"
        assert parse_period("weekly", "2026-W01").previous().label == "2025-W52"
        assert parse_period("weekly", "2020-W53").next().label == "2021-W01"
        month = parse_period("monthly", "2026-10")
        assert month.previous().ends_at == month.starts_at


@pytest.mark.parametrize(
    ("kind", "label", "message"),
    [
        ("weekly", "2026-10", "ISO week, like 2026-W46"),
        ("monthly", "2026-W46", "like 2026-10"),
        ("monthly", "2026-13", "Month 13 does not exist"),
        ("weekly", "2026-W54", "2026 has ISO weeks 1 to 53"),
        ("weekly", "2025-W53", "2025 has ISO weeks 1 to 52"),
        ("monthly", "", "like 2026-10"),
        ("monthly", "0001-01", "from 1900 to 9998"),
        ("daily", "2026-10-01", "use weekly or monthly"),
    ],
)
def test_bad_labels_say_what_is_wrong(app, kind, label, message):
    with app.app_context(), pytest.raises(ValueError, match=message):
        parse_period(kind, label)


def test_the_last_complete_period_is_judged_in_local_time(app):
    with app.app_context():
        # 2026-11-01 01:00 in Shanghai is still 2026-10-31 in UTC: October has ended locally.
        assert last_complete_period("monthly", datetime(2026, 10, 31, 17, 0)).label == "2026-10"
        assert last_complete_period("monthly", datetime(2026, 10, 31, 15, 0)).label == "2026-09"
        # Monday 2026-11-16 00:30 local: week 46 is complete.
        assert last_complete_period("weekly", datetime(2026, 11, 15, 16, 30)).label == "2026-W46"
        assert period_containing("weekly", datetime(2026, 11, 15, 15, 30)).label == "2026-W46"


def test_periods_follow_the_configured_timezone(app):
    with app.app_context():
        app.config["TIMEZONE"] = "Europe/Berlin"
        try:
            # Berlin leaves summer time on 2026-10-25: October starts at UTC+2 and ends at UTC+1.
            period = parse_period("monthly", "2026-10")
            assert period.starts_at == datetime(2026, 9, 30, 22, 0)
            assert period.ends_at == datetime(2026, 10, 31, 23, 0)
        finally:
            app.config["TIMEZONE"] = "Asia/Shanghai"
