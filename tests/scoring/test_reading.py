"""How the text checks read: one script for the patterns, the record's own script in verdicts, prefilters that never
hide a match, readings kept per text that callers cannot spoil."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from demo.generator import generate_demo_rows
from scoring import reading

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
FIELDS = ("problem_description", "customer_request", "key_details", "handling_steps", "resolution")


def test_traditional_text_is_read_and_quoted_in_its_own_script():
    assert reading.judgements("客戶脾氣很差，一直在罵人。") == ["脾氣很差"]
    assert reading.detail_evidence("客戶11月20日租的車（合約號RC8810234）還車後被多扣了300元。")["time"] == "11月20日"
    steps = reading.read_steps("核實客戶身分，然後重置登錄密碼")
    assert steps.done == ["核實客戶身分", "重置登錄密碼"]
    assert reading.own_words("客戶說「你們太慢了」，要求轉人工。") == "，要求轉人工。"


def test_a_reading_kept_for_a_text_is_not_changed_by_its_caller():
    text = "Checked the order."
    reading.read_steps(text).done.append("Called the carrier")
    reading.detail_evidence(text)["time"] = "today"
    assert reading.read_steps(text).done == ["Checked the order"]
    assert "time" not in reading.detail_evidence(text)


@pytest.mark.parametrize(
    ("source", "flags", "needed"),
    [
        (r"\b(?:a|an|one)\s*(?:days?|hours?)\b", re.IGNORECASE, {"day", "hour"}),
        (r"(?:very )?(?:rude|slow) customer", 0, {" customer"}),
        (r"客户(?:说|称)[^，]*", 0, {"客户"}),
        (r"\d+:\d{2}|\d+/\d+", 0, {":", "/"}),
        (r"\d+|today", 0, None),
    ],
)
def test_the_words_every_match_contains(source, flags, needed):
    parsed = reading._sre_parser.parse(source, flags).data
    assert reading._needed_words(parsed) == (frozenset(needed) if needed else None)


def _texts() -> list[str]:
    lines = [line for path in sorted(DATA.glob("scoring_checks_*.jsonl")) for line in path.read_text().splitlines()]
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    rows = generate_demo_rows(600, now=datetime(2026, 11, 20, 12))
    texts += [row[name] for row in rows for name in FIELDS if row.get(name)]
    # Case-blind matching lets these letters stand for ASCII ones: the prefilter must step aside.
    return [*texts, "Customer is ſtupid", "KARENS", "The Rude CUSTOMER", "he is RUDE"]


def test_a_prefilter_never_hides_a_match():
    guarded = [search for searches in reading._DETAIL_SEARCHES.values() for search in searches]
    guarded += [
        (reading._REPORTED_EN, reading._REPORTED_EN_NEEDS),
        (reading._INSULTS, reading._INSULTS_NEEDS),
        (reading._ABOUT_CUSTOMER, reading._ABOUT_CUSTOMER_NEEDS),
    ]
    hidden = [
        (expression.pattern[:40], text)
        for text in map(reading.fold, _texts())
        for expression, prefilter in guarded
        if expression.search(text) and not prefilter.may_match(reading.lowered(text))
    ]
    matched = sum(1 for text in _texts() for expression, _ in guarded if expression.search(text))
    assert matched > 1000 and hidden == []
