"""The demo data generator: deterministic, importable rows that look like a real support desk's records."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import mean
from typing import Any

import pytest

from demo import phrases as demo_phrases
from demo.generator import (
    DEMO_PASSWORDS,
    DEMO_TEAMS,
    DEMO_TOPIC_CATEGORIES,
    DEMO_TOPICS,
    DEMO_USERS,
    TEAM_LANGUAGE,
    generate_demo_rows,
)
from records.enums import Channel, CustomerTier, CustomerType, Emotion, Priority, Status
from records.formats import CANONICAL_COLUMNS
from records.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 22, 10, 0)
DAYS = 120

REQUIRED_COLUMNS = ("external_id", "channel", "contacted_at", "agent", "status", "problem_description")
FREE_TEXT = ("problem_description", "customer_request", "key_details", "handling_steps", "resolution")
SCORES = ("satisfaction", "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude")

CN_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
CARD_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{16,19}(?![\dX])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
ORDER_NUMBER = re.compile(r"DD\d{12}")
CJK = re.compile(r"[\u4e00-\u9fff]")

AGENTS = {user.username: user for user in DEMO_USERS if user.role == "agent"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return generate_demo_rows(now=NOW, days=DAYS)


def contacted(row: dict[str, Any]) -> datetime:
    return datetime.strptime(row["contacted_at"], "%Y-%m-%d %H:%M")


def customer_key(row: dict[str, Any]) -> str:
    return row.get("customer_phone") or row["customer_email"]


def rule_violations(row: dict[str, Any], *, now: datetime, days: int) -> list[str]:
    """What the importer would reject in a row, plus what the demo promises about its values."""
    problems = [f"unknown column {key}" for key in row if key not in CANONICAL_COLUMNS]
    problems += [f"missing {key}" for key in REQUIRED_COLUMNS if not row.get(key)]
    for key, enum in (
        ("channel", Channel),
        ("status", Status),
        ("priority", Priority),
        ("emotion", Emotion),
        ("customer_type", CustomerType),
        ("customer_tier", CustomerTier),
    ):
        if key in row and row[key] not in enum.values():
            problems.append(f"{key} {row[key]!r} not allowed")
    if row.get("language") not in ("zh", "en"):
        problems.append("language")
    if row.get("agent") not in AGENTS:
        problems.append(f"agent {row.get('agent')!r} is not a demo agent")

    try:
        when = contacted(row)
    except (KeyError, ValueError):
        problems.append(f"contacted_at {row.get('contacted_at')!r} is not YYYY-MM-DD HH:MM")
        when = now
    if not now - timedelta(days=days) <= when <= now - timedelta(minutes=10):
        problems.append(f"contacted_at {when} outside the period")
    if not isinstance(row.get("duration_minutes", 0), int) or not 0 <= row.get("duration_minutes", 0) <= 1440:
        problems.append("duration_minutes")

    status = row.get("status")
    if status == "resolved" and not str(row.get("resolution", "")).strip():
        problems.append("resolved without a resolution")
    open_follow_ups = [f for f in row.get("follow_ups", []) if not f["done"] and f["owner"].strip() and f["due"]]
    if status in ("pending", "transferred") and not open_follow_ups:
        problems.append(f"{status} without an open follow-up with owner and due date")
    for follow_up in row.get("follow_ups", []):
        if set(follow_up) != {"action", "owner", "due", "done"} or not isinstance(follow_up["done"], bool):
            problems.append(f"follow-up shape {follow_up}")
            continue
        due = date.fromisoformat(follow_up["due"])
        if not when.date() <= due <= when.date() + timedelta(days=7):
            problems.append(f"follow-up due {due} not within a few days of the contact")
    for key in SCORES:
        if key in row and (type(row[key]) is not int or not 1 <= row[key] <= 5):
            problems.append(f"{key} {row[key]!r} not an int 1-5")
    if row.get("customer_type") == "enterprise" and not row.get("company"):
        problems.append("enterprise customer without company")
    if row.get("channel") in ("social_media", "other") and not row.get("channel_platform"):
        problems.append("channel needs channel_platform")
    if not (row.get("customer_phone") or row.get("customer_email")):
        problems.append("customer cannot be matched: no phone and no e-mail")
    if "customer_phone" in row and not re.fullmatch(r"\+?[\d -]+", row["customer_phone"]):
        problems.append(f"phone {row['customer_phone']!r}")
    if "customer_email" in row and not EMAIL.fullmatch(row["customer_email"]):
        problems.append(f"email {row['customer_email']!r}")
    if row.get("category") or row.get("subcategory"):
        try:
            load_taxonomy().resolve(row.get("category"), row.get("subcategory"))
        except ValueError as exc:
            problems.append(str(exc))
    for attachment in row.get("attachments", []):
        if set(attachment) != {"type", "obtained_via", "note"} or not all(attachment.values()):
            problems.append(f"attachment {attachment}")
    for collaboration in row.get("collaboration", []):
        if set(collaboration) != {"department", "ticket_no", "note"} or not all(collaboration.values()):
            problems.append(f"collaboration {collaboration}")
    for key in ("tags", "customer_tags", "related"):
        if key in row and not (isinstance(row[key], list) and all(isinstance(v, str) and v for v in row[key])):
            problems.append(f"{key} is not a list of strings")
    for key in FREE_TEXT:
        text = row.get(key, "")
        # Unfilled slots or phrase-table markers must never reach a record.
        if "{" in text or "}" in text or text.startswith(("!", "[")):
            problems.append(f"{key} has template residue: {text!r}")
    return problems


# --- Determinism, size, speed -------------------------------------------------------------------------------------


def test_same_seed_and_now_give_the_same_rows(rows: list[dict[str, Any]]) -> None:
    assert generate_demo_rows(now=NOW, days=DAYS) == rows
    assert generate_demo_rows(now=NOW, days=DAYS, seed=7) != rows


def test_count_and_ids(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == 2400
    assert [row["external_id"] for row in rows[:2]] == ["demo-00001", "demo-00002"]
    assert len({row["external_id"] for row in rows}) == 2400
    assert {row["source"] for row in rows} == {"demo"}
    assert len(generate_demo_rows(17, now=NOW)) == 17
    assert generate_demo_rows(0, now=NOW) == []


def test_rows_are_oldest_first(rows: list[dict[str, Any]]) -> None:
    assert [row["contacted_at"] for row in rows] == sorted(row["contacted_at"] for row in rows)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_demo_rows(-1, now=NOW)
    with pytest.raises(ValueError):
        generate_demo_rows(now=NOW, days=0)
    with pytest.raises(ValueError, match="time zone"):
        generate_demo_rows(now=NOW, timezone_name="Mars/Olympus_Mons")


# --- The importer's rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "now", "days"),
    [(20261122, NOW, DAYS), (1, datetime(2026, 3, 5, 9, 17, 42), 30), (99, datetime(2025, 12, 31, 23, 59), 365)],
)
def test_every_row_satisfies_the_import_rules(seed: int, now: datetime, days: int) -> None:
    generated = generate_demo_rows(1200, now=now, days=days, seed=seed)
    problems = {row["external_id"]: rule_violations(row, now=now, days=days) for row in generated}
    assert {external_id: found for external_id, found in problems.items() if found} == {}


def test_the_rule_checker_catches_broken_rows(rows: list[dict[str, Any]]) -> None:
    resolved = next(row for row in rows if row["status"] == "resolved")
    pending = next(row for row in rows if row["status"] == "pending")
    broken = [
        {**resolved, "resolution": " "},
        {**pending, "follow_ups": [{**pending["follow_ups"][-1], "done": True}]},
        {**resolved, "satisfaction": 6},
        {**resolved, "customer_type": "enterprise", "company": ""},
        {**resolved, "channel": "social_media", "channel_platform": None},
        {**resolved, "contacted_at": (NOW + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")},
        {**resolved, "subcategory": "no_such_code"},
        {**resolved, "priority": "whenever"},
        {**resolved, "problem_description": "客户反映订单{order}未到"},
    ]
    for row in broken:
        assert rule_violations(row, now=NOW, days=DAYS), row


def test_contact_times_skip_the_hour_a_dst_switch_removes() -> None:
    # 2026-03-08 02:00-02:59 does not exist in New York; the importer could not place such a time.
    generated = generate_demo_rows(3000, now=datetime(2026, 3, 10, 12, 0), days=4, timezone_name="America/New_York")
    assert not [row for row in generated if row["contacted_at"].startswith("2026-03-08 02:")]


def test_an_aware_now_is_read_in_the_given_time_zone() -> None:
    aware = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert generate_demo_rows(50, now=aware) == generate_demo_rows(50, now=NOW)


# --- Users and teams -----------------------------------------------------------------------------------------------


def test_demo_users_cover_teams_and_roles() -> None:
    assert len(DEMO_TEAMS) >= 3
    assert {TEAM_LANGUAGE[team] for team in DEMO_TEAMS} == {"zh", "en"}
    assert len(AGENTS) >= 12
    assert len({user.username for user in DEMO_USERS}) == len(DEMO_USERS)
    assert len({user.agent_code for user in AGENTS.values()}) == len(AGENTS)
    for team in DEMO_TEAMS:
        members = [user for user in DEMO_USERS if user.team == team]
        assert sum(user.role == "agent" for user in members) >= 3, team
        assert sum(user.role == "supervisor" for user in members) == 1, team
    assert [user.role for user in DEMO_USERS if user.team is None] == ["trainer", "admin"]
    assert any(user.username == "admin" and user.role == "admin" for user in DEMO_USERS)
    for user in DEMO_USERS:
        assert user.password == DEMO_PASSWORDS[user.role]
        if user.role == "agent" and TEAM_LANGUAGE[user.team or ""] == "zh":
            assert re.fullmatch(rf"{user.team}-[\u4e00-\u9fff]{{2,3}}", user.display_name), user


def test_agents_mostly_handle_their_teams_language(rows: list[dict[str, Any]]) -> None:
    languages: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        languages[row["agent"]][row["language"]] += 1
    assert set(languages) == set(AGENTS)
    for username, counts in languages.items():
        team_language = TEAM_LANGUAGE[AGENTS[username].team or ""]
        assert counts[team_language] / counts.total() >= (0.95 if team_language == "en" else 0.8), username
    for row in rows:
        if row["language"] == "zh":
            assert CJK.search(row["problem_description"]), row
        else:
            assert not CJK.search(row["problem_description"] + row.get("resolution", "")), row


# --- Content -------------------------------------------------------------------------------------------------------


def test_topics_map_to_the_taxonomy(rows: list[dict[str, Any]]) -> None:
    assert len(DEMO_TOPICS) >= 20
    taxonomy = load_taxonomy()
    for category, subcategory in DEMO_TOPIC_CATEGORIES.values():
        assert taxonomy.resolve(category, subcategory) == (category, subcategory)
    in_rows = {(row["category"], row["subcategory"]) for row in rows if "category" in row}
    assert in_rows == set(DEMO_TOPIC_CATEGORIES.values())
    assert len({subcategory for _, subcategory in in_rows}) >= 18


def test_every_topic_is_phrased_many_ways_in_both_languages() -> None:
    for key, topic in demo_phrases.TOPICS.items():
        for lang in ("zh", "en"):
            texts = topic[lang]
            assert len(texts["problem"]) >= 5, (key, lang)
            assert len(texts["request"]) >= 5, (key, lang)
            assert len(texts["steps"]) >= 2, (key, lang)
            assert len(texts["resolution"]) >= 3, (key, lang)


def test_sub_issue_marks_agree_between_languages_and_fields() -> None:
    # A "[case]" mark ties a problem phrasing to the steps and resolutions of that sub-issue; a typo would orphan it.
    def cases(entries: tuple[Any, ...]) -> set[str]:
        found = set()
        for entry in entries:
            text = entry if isinstance(entry, str) else entry[0]
            mark = re.match(r"!?\[([\w,]+)\]", text)
            found |= set(mark.group(1).split(",")) if mark else set()
        return found

    for key, topic in demo_phrases.TOPICS.items():
        problem_cases = cases(topic["zh"]["problem"])
        assert cases(topic["en"]["problem"]) == problem_cases, key
        for lang in ("zh", "en"):
            for field in ("request", "details", "steps", "resolution", "unresolvable", "follow_up", "collab"):
                assert cases(topic[lang][field]) <= problem_cases, (key, lang, field)


def test_same_topic_is_phrased_differently(rows: list[dict[str, Any]]) -> None:
    descriptions = [row["problem_description"] for row in rows]
    assert len(set(descriptions)) / len(descriptions) >= 0.9
    by_topic: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if "subcategory" in row and row["language"] == "zh":
            # The phrasing without its filled-in values: order numbers, amounts, dates, versions differ anyway.
            by_topic[row["subcategory"]].append(re.sub(r"[\w.$-]*\d[\w.$-]*", "#", row["problem_description"]))
    shapes = {topic: len(set(texts)) for topic, texts in by_topic.items() if len(texts) >= 30}
    assert len(shapes) >= 15 and min(shapes.values()) >= 5, shapes


def test_language_mix(rows: list[dict[str, Any]]) -> None:
    languages = Counter(row["language"] for row in rows)
    assert 0.64 <= languages["zh"] / len(rows) <= 0.76


def test_status_mix(rows: list[dict[str, Any]]) -> None:
    shares = {status: count / len(rows) for status, count in Counter(row["status"] for row in rows).items()}
    targets = {"resolved": 0.65, "open": 0.08, "pending": 0.12, "transferred": 0.08, "unresolvable": 0.07}
    for status, target in targets.items():
        assert shares[status] == pytest.approx(target, abs=0.04), status


def test_unfinished_records_are_mostly_recent(rows: list[dict[str, Any]]) -> None:
    recent = [row for row in rows if contacted(row) >= NOW - timedelta(days=14)]
    older = [row for row in rows if contacted(row) < NOW - timedelta(days=45)]

    def unfinished(selection: list[dict[str, Any]]) -> float:
        return sum(row["status"] in ("open", "pending", "transferred") for row in selection) / len(selection)

    assert unfinished(recent) > 2 * unfinished(older)


def test_satisfaction_follows_the_outcome(rows: list[dict[str, Any]]) -> None:
    rated = [row for row in rows if "satisfaction" in row]
    assert 0.18 <= 1 - len(rated) / len(rows) <= 0.32
    resolved = [row["satisfaction"] for row in rated if row["status"] == "resolved"]
    assert mean(resolved) >= 3.9
    assert sum(score >= 4 for score in resolved) / len(resolved) >= 0.7
    assert {row["satisfaction"] for row in rated if row["status"] == "unresolvable"} <= {1, 2, 3}
    praised = [row for row in rated if row["satisfaction"] == 5 and "customer_feedback" in row]
    assert praised


def test_complaints_run_hot_and_high(rows: list[dict[str, Any]]) -> None:
    complaints = [row for row in rows if row.get("subcategory") in ("agent_attitude", "lost_package", "damaged_goods")]
    how_to = [row for row in rows if row.get("category") == "how_to"]
    upset = ("angry", "dissatisfied", "impatient")
    assert sum(row["priority"] in ("high", "urgent") for row in complaints) / len(complaints) >= 0.6
    assert sum(row["emotion"] in upset for row in complaints) / len(complaints) >= 0.5
    assert sum(row["priority"] in ("high", "urgent") for row in how_to) / len(how_to) <= 0.35
    assert sum(row["emotion"] == "calm" for row in how_to) / len(how_to) >= 0.5
    escalated = [row for row in complaints if row["status"] == "transferred"]
    assert escalated and all(row["priority"] in ("high", "urgent") for row in escalated)


def test_some_records_are_deliberately_incomplete(rows: list[dict[str, Any]]) -> None:
    incomplete = [row for row in rows if "category" not in row]
    assert 0.03 <= len(incomplete) / len(rows) <= 0.08
    for row in incomplete:
        assert "handling_steps" not in row and "customer_request" not in row, row
        assert len(row["problem_description"]) <= 40, row
    complete = [row for row in rows if "category" in row]
    assert sum("handling_steps" in row for row in complete) == len(complete)


def test_handling_steps_are_one_per_line(rows: list[dict[str, Any]]) -> None:
    steps = [row["handling_steps"].split("\n") for row in rows if "handling_steps" in row]
    assert all(len(lines) >= 3 and all(line.strip() for line in lines) for lines in steps)


def test_collaboration_names_department_and_ticket(rows: list[dict[str, Any]]) -> None:
    collaborations = [c for row in rows for c in row.get("collaboration", [])]
    assert len(collaborations) >= 0.15 * len(rows)
    assert any(c["department"] == "技术部" and c["ticket_no"].startswith("JS-") for c in collaborations)
    assert all(re.fullmatch(r"[A-Z]{2}-\d{8}-\d{3}", c["ticket_no"]) for c in collaborations)
    assert len({c["ticket_no"] for c in collaborations}) == len(collaborations)
    transferred = [row for row in rows if row["status"] == "transferred" and "category" in row]
    assert all(row.get("collaboration") for row in transferred)
    # A note that names a department is filed with that department.
    for c in collaborations:
        named = [
            name
            for name in ("技术部", "物流部", "财务部", "售后部", "仓储部", "风控部", "质检部", "产品部")
            if name in c["note"]
        ]
        assert not named or c["department"] == named[0], c


# --- Customers, repeats, personal data -----------------------------------------------------------------------------


def test_customers_look_real(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        phone = row.get("customer_phone")
        if phone and row["language"] == "zh":
            assert CN_MOBILE.fullmatch(phone), phone
        elif phone:
            assert phone.startswith(("+1 ", "+44 ")), phone
        if row["customer_type"] == "enterprise":
            assert row["company"] and row["industry"], row
    anonymous = sum("customer_name" not in row for row in rows) / len(rows)
    assert 0.02 <= anonymous <= 0.12
    tiers = Counter(row["customer_tier"] for row in rows)
    assert tiers["regular"] > tiers["vip"] > tiers["strategic"] > 0
    assert {row.get("industry") for row in rows} >= {"制造业", "零售业", "信息技术", "金融业", "教育", "医疗"}


def test_a_customer_keeps_the_same_contact_details(rows: list[dict[str, Any]]) -> None:
    seen: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        identity = (row.get("customer_name"), row.get("customer_email"), row["customer_type"], row.get("company"))
        assert seen.setdefault(customer_key(row), identity) == identity
    records_per_customer = Counter(customer_key(row) for row in rows)
    assert 500 <= len(records_per_customer) <= 900
    assert sum(count >= 3 for count in records_per_customer.values()) >= 50


def test_repeat_consultations_link_the_earlier_record(rows: list[dict[str, Any]]) -> None:
    by_id = {row["external_id"]: row for row in rows}
    repeats = [row for row in rows if "related" in row]
    assert 0.1 <= len(repeats) / len(rows) <= 0.2
    for row in repeats:
        (earlier_id,) = row["related"]
        earlier = by_id[earlier_id]
        assert earlier["contacted_at"] <= row["contacted_at"] and earlier_id < row["external_id"]
        assert customer_key(earlier) == customer_key(row)
        assert earlier["subcategory"] == row["subcategory"]
        assert contacted(row) - contacted(earlier) <= timedelta(days=30)


def test_personal_data_leaks_into_free_text_for_masking_to_find(rows: list[dict[str, Any]]) -> None:
    def text(row: dict[str, Any]) -> str:
        return "\n".join(row.get(key, "") for key in FREE_TEXT)

    with_mobile = [row for row in rows if CN_MOBILE.search(text(row))]
    assert len(with_mobile) >= 0.03 * len(rows)
    assert any("收不到验证码" in row["problem_description"] for row in with_mobile)
    with_pii = [row for row in rows if CN_MOBILE.search(text(row)) or EMAIL.search(text(row)) or "+44 7" in text(row)]
    with_pii += [row for row in rows if ID_NUMBER.search(text(row)) or CARD_NUMBER.search(text(row))]
    assert 0.08 <= len({row["external_id"] for row in with_pii}) / len(rows) <= 0.22

    id_numbers = [match for row in rows for match in ID_NUMBER.findall(text(row))]
    cards = [match for row in rows for match in CARD_NUMBER.findall(text(row)) if not ID_NUMBER.fullmatch(match)]
    assert id_numbers and all(_valid_id_number(number) for number in id_numbers)
    assert cards and all(_luhn_valid(number) for number in cards)
    # Order numbers sit next to the personal data and must not look like it.
    assert sum(bool(ORDER_NUMBER.search(text(row))) for row in rows) >= 0.3 * len(rows)
    assert not any(CN_MOBILE.search(order) for row in rows for order in ORDER_NUMBER.findall(text(row)))


def _valid_id_number(number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], weights, strict=True)) % 11] == number[17]


def _luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


# --- Time and trends -----------------------------------------------------------------------------------------------


def test_contacts_fall_mostly_in_business_hours_and_on_weekdays(rows: list[dict[str, Any]]) -> None:
    times = [contacted(row) for row in rows]
    assert sum(8 <= t.hour < 22 for t in times) / len(times) >= 0.85
    days = Counter(t.date() for t in times)
    weekdays = [days[d] for d in _days(NOW, DAYS) if d.weekday() < 5]
    weekends = [days[d] for d in _days(NOW, DAYS) if d.weekday() >= 5]
    assert mean(weekdays) > 1.3 * mean(weekends)


def _days(now: datetime, days: int) -> list[date]:
    return [now.date() - timedelta(days=offset) for offset in range(1, days)]


def test_login_failures_spike_after_the_release(rows: list[dict[str, Any]]) -> None:
    release = NOW - timedelta(days=21)
    assert _share(rows, "login", lambda r: contacted(r) >= release) > 2 * _share(
        rows, "login", lambda r: contacted(r) < release
    )


def test_deliveries_run_late_after_shopping_holidays(rows: list[dict[str, Any]]) -> None:
    peaks = [(datetime(2026, 10, 1), datetime(2026, 10, 13)), (datetime(2026, 11, 11), datetime(2026, 11, 23))]

    def in_peak(row: dict[str, Any]) -> bool:
        return any(start <= contacted(row) < end for start, end in peaks)

    assert _share(rows, "delivery_delay", in_peak) > 1.5 * _share(rows, "delivery_delay", lambda r: not in_peak(r))


def test_one_team_has_a_satisfaction_dip(rows: list[dict[str, Any]]) -> None:
    dip_start = NOW - timedelta(days=42)

    def drop(team: str) -> float:
        rated = [r for r in rows if "satisfaction" in r and AGENTS[r["agent"]].team == team]
        before = mean(r["satisfaction"] for r in rated if contacted(r) < dip_start)
        return before - mean(r["satisfaction"] for r in rated if contacted(r) >= dip_start)

    others = [drop(team) for team in DEMO_TEAMS if team != "客服B组"]
    assert drop("客服B组") > max(others) + 0.2


def _share(rows: list[dict[str, Any]], subcategory: str, selected: Any) -> float:
    selection = [row for row in rows if selected(row)]
    return sum(row.get("subcategory") == subcategory for row in selection) / len(selection)
