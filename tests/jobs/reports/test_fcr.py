"""First-contact resolution's repeat rule at its edges: exactly FCR_REPEAT_DAYS later, a minute later, same minute."""

from __future__ import annotations

from datetime import datetime

from jobs.reports.figures import build_figures
from jobs.reports.periods import parse_period


def _customer(phone: str) -> dict:
    return {"name": "张先生", "phone": phone}


def test_a_contact_again_within_the_repeat_days_is_not_resolved_at_first_contact(app, make_record):
    again = _customer("13800000001")
    make_record(contacted_at="2025-06-10 10:00", customer=again)  # contacted again exactly 7 days later: not FCR
    make_record(contacted_at="2025-06-17 10:00", customer=again)  # nothing after it: FCR
    later = _customer("13800000002")
    make_record(contacted_at="2025-06-11 10:00", customer=later)  # the next contact is 7 days and a minute later: FCR
    make_record(contacted_at="2025-06-18 10:01", customer=later)  # FCR
    same_minute = _customer("13800000003")
    make_record(contacted_at="2025-06-12 10:00", customer=same_minute)  # another entered after it, same minute: not FCR
    make_record(contacted_at="2025-06-12 10:00", customer=same_minute)  # FCR

    fcr = build_figures(parse_period("monthly", "2025-06"), now=datetime(2025, 7, 5))["fcr"]

    assert fcr["records"]["current"] == 6
    assert fcr["resolved_first_contact"]["current"] == 4
    assert fcr["rate"]["current"] == 0.6667
