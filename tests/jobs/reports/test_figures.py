"""The improvement report's figures on a hand-built fixture whose expected numbers were worked out by hand.

June 2025 (the report's month) has six records, May 2025 three; times below are Asia/Shanghai.

|rec|contact    |agent|channel    |subcategory (category)    |status      |prio  |sat/eff/res/att|min|resolved      |
|---|-----------|-----|-----------|--------------------------|------------|------|---------------|---|--------------|
|R1 |06-03 10:00|a1/A |phone      |login (malfunction)       |resolved    |medium|5/5/5/5        |10 |saved +36 min |
|R2 |06-10 09:00|a1/A |phone      |login (malfunction)       |resolved    |high  |4/4/4/3        |20 |+30 h (late)  |
|R3 |06-12 15:00|b1/B |online_chat|data_sync (malfunction)   |pending     |low   |—              |5  |— (R2's cust.)|
|R4 |06-08 11:00|b1/B |email      |refund_progress (billing) |resolved    |medium|2/2/1/3        |30 |+3 h, hand-off|
|R5 |06-20 14:00|a1/A |web (self) |delivery_delay (logistics)|open        |high  |—              |—  |never answered|
|R6 |06-25 16:00|b1/B |phone      |delivery_delay (logistics)|resolved    |medium|5/5/5/5        |15 |imported +48 h|
|P1 |05-06 10:00|a1/A |phone      |login (malfunction)       |resolved    |medium|5/5/5/5        |12 |+1 h          |
|P2 |05-15 11:00|b1/B |phone      |refund_progress (billing) |resolved    |medium|5/5/5/4        |8  |+4 h          |
|P3 |05-28 09:30|b1/B |online_chat|duplicate_charge (billing)|unresolvable|medium|1/1/1/1        |25 |—             |

The report is judged at 2025-07-05 08:00 local. Scores, grades, follow-ups and the knowledge base are set below.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from jobs.reports import recommendations as report_recommendations
from jobs.reports import records as report_records
from jobs.reports.figures import build_figures
from jobs.reports.needs import keyword_figures
from jobs.reports.periods import parse_period
from kb.models import ArticleFeedback, Proposal, ProposalStatus, SearchEvent, SearchSession
from records.db import db as database
from records.enums import Language, Role
from records.models import FollowUp, Record
from records.timeutil import parse_contact_time
from scoring.engine import current_rubric
from scoring.models import Grade, RecordScore

NOW = datetime(2025, 7, 5, 0, 0)  # 08:00 local
PII_PHONE = "13812345678"
CUSTOMER_NAME = "王小明"


def _local(text: str) -> datetime:
    return parse_contact_time(text)


RECORDS = {
    "R1": dict(
        agent="a1",
        contacted_at="2025-06-03 10:00",
        channel="phone",
        category="malfunction",
        subcategory="login",
        status="resolved",
        priority="medium",
        sat=(5, 5, 5, 5),
        duration_minutes=10,
        customer_request="希望尽快恢复登录",
        key_details="订单 DD20250603001",
        created=timedelta(minutes=36),
        resolved=timedelta(minutes=36),
        customer="c1",
    ),
    "R2": dict(
        agent="a1",
        contacted_at="2025-06-10 09:00",
        channel="phone",
        category="malfunction",
        subcategory="login",
        status="resolved",
        priority="high",
        sat=(4, 4, 4, 3),
        duration_minutes=20,
        customer_request="希望恢复账号",
        created=timedelta(minutes=10),
        resolved=timedelta(hours=30),
        customer="c2",
    ),
    "R3": dict(
        agent="b1",
        contacted_at="2025-06-12 15:00",
        channel="online_chat",
        category="malfunction",
        subcategory="data_sync",
        status="pending",
        priority="low",
        sat=(None, None, None, None),
        duration_minutes=5,
        follow_ups=[{"action": "回电确认同步结果", "owner": "b1", "due": "2025-06-14"}],
        created=timedelta(minutes=10),
        customer="c2",
    ),
    "R4": dict(
        agent="b1",
        contacted_at="2025-06-08 11:00",
        channel="email",
        category="billing",
        subcategory="refund_progress",
        status="resolved",
        priority="medium",
        sat=(2, 2, 1, 3),
        duration_minutes=30,
        collaboration=[{"department": "财务部", "ticket_no": "CW-1"}],
        follow_ups=[{"action": "确认到账", "owner": "b1", "due": "2025-06-10"}],
        customer_feedback=f"{CUSTOMER_NAME}说退款太慢，电话{PII_PHONE}",
        created=timedelta(minutes=5),
        resolved=timedelta(hours=3),
        customer="c3",
    ),
    "R5": dict(
        agent="a1",
        contacted_at="2025-06-20 14:00",
        channel="web",
        category="logistics",
        subcategory="delivery_delay",
        status="open",
        priority="high",
        sat=(None, None, None, None),
        duration_minutes=None,
        emotion=None,
        handling_steps=None,
        source="self-service",
        created=timedelta(minutes=0),
        customer="c4",
    ),
    "R6": dict(
        agent="b1",
        contacted_at="2025-06-25 16:00",
        channel="phone",
        category="logistics",
        subcategory="delivery_delay",
        status="resolved",
        priority="medium",
        sat=(5, 5, 5, 5),
        duration_minutes=15,
        emotion=None,
        created=timedelta(hours=48),
        resolved=timedelta(hours=48),
        customer="c5",
    ),
    "P1": dict(
        agent="a1",
        contacted_at="2025-05-06 10:00",
        channel="phone",
        category="malfunction",
        subcategory="login",
        status="resolved",
        priority="medium",
        sat=(5, 5, 5, 5),
        duration_minutes=12,
        created=timedelta(minutes=10),
        resolved=timedelta(hours=1),
        customer="c6",
    ),
    "P2": dict(
        agent="b1",
        contacted_at="2025-05-15 11:00",
        channel="phone",
        category="billing",
        subcategory="refund_progress",
        status="resolved",
        priority="medium",
        sat=(5, 5, 5, 4),
        duration_minutes=8,
        created=timedelta(minutes=10),
        resolved=timedelta(hours=4),
        customer="c7",
    ),
    "P3": dict(
        agent="b1",
        contacted_at="2025-05-28 09:30",
        channel="online_chat",
        category="billing",
        subcategory="duplicate_charge",
        status="unresolvable",
        priority="medium",
        sat=(1, 1, 1, 1),
        duration_minutes=25,
        follow_ups=[{"action": "退款复核", "owner": "b1", "due": "2025-05-29"}],
        resolution="第三方渠道扣款，需客户联系发卡行",
        created=timedelta(minutes=10),
        customer="c8",
    ),
}

#: Automatic points (core_fields of 4, specific_problem of 2, timeliness of 2) and score of each record.
SCORES = {
    "R1": ({"core_fields": 4, "specific_problem": 2, "timeliness": 2}, 100.0, False),
    "R2": ({"core_fields": 4, "specific_problem": 1, "timeliness": 2}, 90.0, False),
    "R3": ({"core_fields": 3, "specific_problem": 0, "timeliness": 2}, 60.0, False),
    "R4": ({"core_fields": 4, "specific_problem": 0, "timeliness": 0}, 40.0, False),
    "R5": ({"core_fields": 2, "specific_problem": 2, "timeliness": 2}, 80.0, False),
    "R6": ({"core_fields": 4, "specific_problem": 2, "timeliness": 1}, 95.0, False),
    "P1": ({"core_fields": 4, "specific_problem": 2, "timeliness": 2}, 100.0, False),
    "P2": ({"core_fields": 4, "specific_problem": 0, "timeliness": 2}, 70.0, False),
    "P3": ({"core_fields": 4, "specific_problem": 0, "timeliness": 1}, 50.0, True),
}

CUSTOMERS = {f"c{n}": {"name": f"客户{n}", "phone": f"1390000000{n}"} for n in range(1, 9)}
CUSTOMERS["c3"] = {"name": CUSTOMER_NAME, "phone": PII_PHONE}


def build_report_fixture(make_user, make_record, make_article) -> dict:
    """The records, scores, follow-ups and knowledge base of the module docstring; returns the records by name."""
    people = {"a1": make_user(Role.AGENT, team="客服A组"), "b1": make_user(Role.AGENT, team="客服B组")}
    supervisor = make_user(Role.SUPERVISOR, team="客服B组")
    records = {}
    for name, spec in RECORDS.items():
        spec = dict(spec)
        satisfaction = dict(
            zip(
                ("satisfaction", "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude"),
                spec.pop("sat"),
                strict=True,
            )
        )
        created, resolved = spec.pop("created"), spec.pop("resolved", None)
        agent = people[spec.pop("agent")]
        customer = CUSTOMERS[spec.pop("customer")]
        payload = {
            "customer": customer,
            "customer_request": None,
            "key_details": None,
            "problem_description": f"{name}：客户反映问题，订单 DD2025{name}。",
            **satisfaction,
            **spec,
        }
        if payload["status"] != "resolved":
            payload.setdefault("resolution", None)
        payload["follow_ups"] = [
            {**item, "owner": people[item["owner"]].display_name} for item in payload.get("follow_ups", [])
        ]
        record = make_record(agent=agent, **payload)
        contact = _local(spec["contacted_at"])
        database.session.execute(
            sa.update(Record)
            .where(Record.id == record.id)
            .values(created_at=contact + created, resolved_at=contact + resolved if resolved else None)
        )
        records[name] = record
    database.session.commit()

    # Follow-ups: R4's done on time (the 9th, due the 10th), P3's done two days late (due the 29th), R3's still open.
    for name, done_at in (("R4", datetime(2025, 6, 9, 4, 0)), ("P3", datetime(2025, 5, 31, 4, 0))):
        database.session.execute(
            sa.update(FollowUp).where(FollowUp.record_id == records[name].id).values(done=True, done_at=done_at)
        )
    # Scores last: the scoring hook rescored every record as it was saved.
    rubric = current_rubric()
    for name, (points, score, critical) in SCORES.items():
        database.session.execute(
            sa.update(RecordScore)
            .where(RecordScore.record_id == records[name].id)
            .values(points=points, score=score, critical_failed=critical, rubric_id=rubric.id)
        )
    database.session.add(
        Grade(record_id=records["R3"].id, grader_id=supervisor.id, rubric_id=rubric.id, points={}, score=70.0)
    )

    # Knowledge base: an article on login published in June; none on delivery delays or refunds.
    article = make_article(title="登录失败怎么办", category="malfunction", subcategory="login")
    database.session.execute(
        sa.update(type(article)).where(type(article).id == article.id).values(published_at=datetime(2025, 6, 2))
    )
    june, may = datetime(2025, 6, 5), datetime(2025, 5, 5)
    database.session.add_all(
        [
            Proposal(title="物流延迟", category="logistics", subcategory="delivery_delay", created_at=june),
            Proposal(
                title="退款",
                category="billing",
                subcategory="refund_progress",
                status=ProposalStatus.APPROVED,
                created_at=may,
                reviewed_at=june,
            ),
            SearchSession(id="s1", started_at=june, searches=1),
            SearchSession(id="s2", started_at=june, searches=1, record_id=records["R5"].id),
            SearchEvent(session_id="s1", at=june, kind="search", query=f"手机号{PII_PHONE}怎么改", result_count=0),
            SearchEvent(session_id="s1", at=june, kind="search", query="物流", result_count=3),
            SearchEvent(session_id="s2", at=june, kind="search", query="退款", result_count=2),
            SearchEvent(session_id="s2", at=june, kind="click", article_id=article.id),
            # s1 read the article and never asked (a successful deflection); s2 read it and asked an hour later.
            SearchEvent(session_id="s1", at=june, kind="view", article_id=article.id),
            SearchEvent(session_id="s2", at=june, kind="view", article_id=article.id),
            SearchEvent(session_id="s2", at=june + timedelta(hours=1), kind="contact"),
            *(
                ArticleFeedback(article_id=article.id, helpful=helpful, created_at=june)
                for helpful in (True, True, False)
            ),
        ]
    )
    database.session.commit()
    return records


@pytest.fixture
def fixture_records(db, make_user, make_record, make_article):
    return build_report_fixture(make_user, make_record, make_article)


@pytest.fixture
def figures(app, fixture_records, monkeypatch):
    # The recommendation rules' minimum sizes, scaled to a nine-record fixture.
    monkeypatch.setattr(report_recommendations, "MIN_RECORDS", 2)
    monkeypatch.setattr(report_records, "RISING_MIN_RECORDS", 2)
    return build_figures(parse_period("monthly", "2025-06"), now=NOW)


def _by_key(rows: list[dict]) -> dict:
    return {row["key"]: row for row in rows}


def test_figures_are_plain_json(figures):
    assert json.loads(json.dumps(figures)) == figures
    assert (figures["period"], figures["previous_period"], figures["kind"]) == ("2025-06", "2025-05", "monthly")
    assert figures["starts_at"] == "2025-05-31T16:00:00"


def test_volume_by_channel_and_category_with_change(figures):
    volume = figures["volume"]
    assert volume["total"] == {"current": 6, "previous": 3, "change": 3, "change_ratio": 1.0}
    channels = _by_key(volume["by_channel"])
    assert {key: (row["current"], row["previous"]) for key, row in channels.items()} == {
        "phone": (3, 2),
        "online_chat": (1, 1),
        "email": (1, 0),
        "web": (1, 0),
    }
    assert channels["phone"]["share"] == 0.5 and channels["phone"]["previous_share"] == 0.6667
    assert channels["email"]["change_ratio"] is None  # nothing to compare with
    assert [row["key"] for row in volume["by_channel"]] == ["phone", "online_chat", "email", "web"]
    categories = _by_key(volume["by_category"])
    assert {key: (row["current"], row["previous"]) for key, row in categories.items()} == {
        "malfunction": (3, 1),
        "logistics": (2, 0),
        "billing": (1, 2),
    }
    billing = _by_key(categories["billing"]["subcategories"])
    assert {key: (row["current"], row["previous"]) for key, row in billing.items()} == {
        "refund_progress": (1, 1),
        "duplicate_charge": (0, 1),
    }
    assert categories["malfunction"]["name"] == {"zh": "功能故障", "en": "Malfunction"}


def test_top_three_problems_with_trend_and_masked_examples(figures, fixture_records):
    top = figures["top_problems"]
    assert [(p["subcategory"], p["current"], p["previous"], p["trend"]) for p in top] == [
        ("login", 2, 1, "rising"),
        ("delivery_delay", 2, 0, "new"),
        ("refund_progress", 1, 1, "steady"),
    ]
    assert top[0]["name"]["zh"] == "功能故障 / 登录异常"
    assert top[0]["satisfaction"] == 4.5
    # The newest records of each problem, every one carrying its id and number.
    assert [e["number"] for e in top[0]["examples"]] == [fixture_records["R2"].number, fixture_records["R1"].number]
    assert all(e["record_id"] and e["number"] for p in top for e in p["examples"])
    refund = top[2]["examples"][0]
    assert PII_PHONE not in json.dumps(refund, ensure_ascii=False) and CUSTOMER_NAME not in refund["feedback"]
    assert "138****5678" in refund["feedback"]


def test_satisfaction_and_its_sub_scores(figures):
    satisfaction = figures["satisfaction"]
    assert satisfaction["overall"] == {"current": 4.0, "previous": 3.67, "change": 0.33, "change_ratio": 0.0899}
    assert (satisfaction["efficiency"]["current"], satisfaction["efficiency"]["previous"]) == (4.0, 3.67)
    assert (satisfaction["resolution"]["current"], satisfaction["resolution"]["previous"]) == (3.75, 3.67)
    assert (satisfaction["attitude"]["current"], satisfaction["attitude"]["previous"]) == (4.0, 3.33)
    assert (satisfaction["satisfied_share"]["current"], satisfaction["satisfied_share"]["previous"]) == (0.75, 0.6667)
    assert (satisfaction["rating_rate"]["current"], satisfaction["rating_rate"]["previous"]) == (0.6667, 1.0)
    channels = _by_key(satisfaction["by_channel"])
    assert (channels["phone"]["current"], channels["phone"]["previous"], channels["phone"]["change"]) == (
        4.67,
        5.0,
        -0.33,
    )
    # The trend in 7-day steps: June 8-14 holds R2 (4) and R4 (2); May 15-21 holds P2 (5).
    steps = {(s["which"], s["step"]): s for s in satisfaction["trend"]}
    assert len(steps) == 10
    assert (steps["current", 1]["label"], steps["current", 1]["records"], steps["current", 1]["overall"]) == (
        "06-08–06-14",
        3,
        3.0,
    )
    assert steps["current", 1]["attitude"] == 3.0
    assert steps["previous", 2]["overall"] == 5.0
    assert steps["current", 4]["overall"] is None and steps["current", 4]["label"] == "06-29–06-30"


def test_first_contact_resolution(figures):
    # R1 and R6 (R2: the customer came back two days later; R4 was handed off); P1 and P2.
    fcr = figures["fcr"]
    assert fcr["rate"] == {"current": 0.3333, "previous": 0.6667, "change": -0.3334, "change_ratio": -0.5001}
    assert fcr["resolved_first_contact"]["current"] == 2
    assert fcr["repeat_days"] == 7


def test_handling_and_resolution_times_use_medians_and_p90(figures):
    handling, resolution = figures["times"]["handling"], figures["times"]["resolution"]
    assert handling["current"] == {"count": 5, "mean": 16.0, "median": 15.0, "p90": 26.0}
    assert handling["previous"] == {"count": 3, "mean": 15.0, "median": 12.0, "p90": 22.4}
    assert handling["median"]["change"] == 3.0
    # R1 0.6 h, R4 3 h, R2 30 h; R6 was imported already resolved, so its resolution time is unknown.
    assert resolution["current"] == {"count": 3, "mean": 11.2, "median": 3.0, "p90": 24.6}
    assert resolution["previous"] == {"count": 2, "mean": 2.5, "median": 2.5, "p90": 3.7}
    assert resolution["unknown"] == {"current": 1, "previous": 0}


def test_sla_breaches_and_follow_ups(figures, fixture_records):
    sla = figures["sla"]
    # Resolve: R2 late (30 h > 24 h), R3 open past 120 h, R5 open past 24 h, of R1 R2 R3 R4 R5 (R6 unknown).
    assert sla["resolve_breaches"]["current"] == 3 and sla["resolve_applicable"] == 5
    assert sla["resolve_breach_rate"] == {"current": 0.6, "previous": 0.0, "change": 0.6, "change_ratio": None}
    # Respond: R5, a help-center request nobody answered.
    assert (sla["respond_breaches"]["current"], sla["respond_applicable"]) == (1, 1)
    assert sla["respond_breach_rate"]["previous"] is None
    priorities = _by_key(sla["by_priority"])
    assert (priorities["high"]["resolve_breaches"]["current"], priorities["high"]["resolve_applicable"]) == (2, 2)
    assert (priorities["medium"]["resolve_breaches"]["current"], priorities["medium"]["resolve_applicable"]) == (0, 2)
    assert priorities["low"]["resolve_breaches"]["current"] == 1
    assert {row["name"]: row["resolve_breaches"]["current"] for row in sla["by_team"]} == {"客服A组": 2, "客服B组": 1}
    numbers = [item["number"] for item in sla["examples"]]
    assert set(numbers) == {fixture_records[name].number for name in ("R2", "R3", "R5")}
    assert all("record_id" in item for item in sla["examples"])
    follow_ups = sla["follow_ups"]
    assert follow_ups["due"] == {"current": 2, "previous": 1, "change": 1, "change_ratio": 1.0}
    assert (follow_ups["done_on_time"]["current"], follow_ups["late"]["current"], follow_ups["late"]["previous"]) == (
        1,
        1,
        1,
    )
    assert follow_ups["late_rate"]["current"] == 0.5
    assert follow_ups["overdue_now"] == 1 and follow_ups["still_open"] == 1
    assert follow_ups["examples"][0]["number"] == fixture_records["R3"].number


def test_quality_by_team_and_agent_and_the_weakest_criterion(figures):
    quality = figures["quality"]
    # R3's grade (70) replaces its automatic 60.
    assert quality["mean_auto"]["current"] == 77.5
    assert quality["mean_score"] == {"current": 79.17, "previous": 73.33, "change": 5.84, "change_ratio": 0.0796}
    assert quality["graded"]["current"] == 1 and quality["critical_failed"]["previous"] == 1
    teams = {row["name"]: row for row in quality["by_team"]}
    assert teams["客服A组"]["mean_score"]["current"] == 90.0
    assert teams["客服B组"]["mean_score"]["current"] == 68.33
    assert teams["客服B组"]["weakest"]["key"] == "specific_problem"
    assert teams["客服B组"]["weakest"]["losing_share"]["current"] == 0.6667
    agents = {row["name"]: row for row in quality["by_agent"]}
    assert len(agents) == 2 and {row["team"] for row in agents.values()} == {"客服A组", "客服B组"}
    weakest = quality["weakest_criteria"]
    assert [row["key"] for row in weakest] == ["specific_problem", "timeliness", "core_fields"]
    assert (weakest[0]["losing"], weakest[0]["applicable"], weakest[0]["mean_fraction"]) == (3, 6, 0.5833)
    assert weakest[0]["losing_share"]["previous"] == 0.6667
    assert (weakest[1]["losing_share"]["current"], weakest[1]["mean_fraction"]) == (0.3333, 0.75)


def test_fill_rates_and_the_alert_under_half(figures):
    rates = _by_key(figures["quality"]["fill_rates"])
    assert (rates["customer_request"]["filled"], rates["customer_request"]["applicable"]) == (2, 6)
    assert rates["customer_request"]["alert"] and rates["key_details"]["alert"]
    assert rates["key_details"]["rate"]["current"] == 0.1667
    assert rates["emotion"]["rate"]["current"] == 0.6667 and not rates["emotion"]["alert"]
    assert (rates["resolution"]["applicable"], rates["satisfaction"]["filled"]) == (4, 4)
    assert (rates["follow_ups"]["applicable"], rates["follow_ups"]["filled"]) == (1, 1)
    assert rates["collaboration"]["applicable"] == 0 and rates["collaboration"]["rate"]["current"] is None
    assert not rates["collaboration"]["alert"]
    assert figures["quality"]["alert_below"] == 0.5


def test_knowledge_base_figures(figures):
    knowledge = figures["knowledge"]
    assert knowledge["new_proposals"]["current"] == 1 and knowledge["new_proposals"]["previous"] == 1
    assert knowledge["approved_proposals"]["current"] == 1
    assert knowledge["published_articles"]["current"] == 1
    assert knowledge["open_proposals"] == 1
    coverage = {item["subcategory"]: item for item in knowledge["coverage"]}
    assert coverage["login"]["covered"] and coverage["login"]["examples"][0]["title"] == "登录失败怎么办"
    assert not coverage["delivery_delay"]["covered"] and coverage["delivery_delay"]["open_proposals"] == 1
    assert not coverage["refund_progress"]["covered"]
    help_center = knowledge["help_center"]
    assert help_center["searches"]["current"] == 3
    assert help_center["zero_result_rate"]["current"] == 0.3333
    assert help_center["helpful_ratio"]["current"] == 0.6667
    # s1 read the article and never asked, s2 asked an hour after reading: one success, one failure.
    assert help_center["deflection_successful"]["current"] == help_center["deflection_failed"]["current"] == 1
    assert help_center["deflection_potential"]["current"] == 0
    assert help_center["deflection_success_rate"]["current"] == 0.5
    assert help_center["click_through_rate"]["current"] == 0.3333  # s2's search was followed by a click
    assert help_center["contact_after_search_rate"]["current"] == 0.5
    assert help_center["sessions"]["current"] == 2 and help_center["deflection_days"] == 7
    # June's records R1-R6 are of customers c1, c2 (twice), c3, c4 and c5; May's P1-P3 of three: 2 ÷ 5 sessions.
    assert help_center["customers_contacted"]["current"] == 5 and help_center["customers_contacted"]["previous"] == 3
    assert help_center["self_service_score"]["current"] == 0.4
    assert help_center["self_service_score"]["previous"] == 0.0  # May: no help-center session, three customers
    assert "deflection_rate" not in help_center  # the old "searched without a contact request" figure is gone
    assert help_center["top_zero_result_queries"] == [{"query": "手机号138****5678怎么改", "count": 1}]


def test_exemplary_and_negative_cases(figures, fixture_records):
    cases = figures["cases"]
    assert [item["number"] for item in cases["exemplary"]] == [
        fixture_records["R1"].number,
        fixture_records["R6"].number,
    ]
    assert [item["score"] for item in cases["exemplary"]] == [100.0, 95.0]
    (negative,) = cases["negative"]
    assert negative["number"] == fixture_records["R4"].number and negative["satisfaction"] == 2
    assert negative["feedback"] == "[姓名]说退款太慢，电话138****5678"


def test_recommendations_are_derived_from_the_figures(figures):
    found = {item["kind"]: item for item in figures["recommendations"]}
    assert set(found) == {
        "rising_topic_without_article",
        "top_problem_without_article",
        "channel_satisfaction_fell",
        "resolve_breaches",
        "respond_breaches",
        "overdue_follow_ups",
        "team_failing_criterion",
        "field_fill_rate",
        "fcr_fell",
    }
    assert found["rising_topic_without_article"]["figure"]["subcategory"] == "delivery_delay"
    assert found["top_problem_without_article"]["figure"]["subcategory"] == "refund_progress"
    assert found["channel_satisfaction_fell"]["figure"]["key"] == "phone"
    assert found["team_failing_criterion"]["figure"]["team"] == "客服B组"
    assert found["team_failing_criterion"]["figure"]["criterion"] == "specific_problem"
    fields = [item["figure"]["field"] for item in figures["recommendations"] if item["kind"] == "field_fill_rate"]
    assert fields == ["key_details", "customer_request"]
    for item in figures["recommendations"]:
        assert item["zh"] and item["en"] and item["figure"]
    assert "物流延迟" in found["rising_topic_without_article"]["zh"]
    assert "Delivery delay" in found["rising_topic_without_article"]["en"]
    # The most urgent come first.
    severities = [item["severity"] for item in figures["recommendations"]]
    assert severities == sorted(severities, key=lambda severity: severity != "high")


def test_without_enough_records_nothing_is_recommended_about_groups(app, fixture_records):
    figures = build_figures(parse_period("monthly", "2025-06"), now=NOW)  # the real minimum sizes
    kinds = {item["kind"] for item in figures["recommendations"]}
    assert "channel_satisfaction_fell" not in kinds and "team_failing_criterion" not in kinds
    assert "rising_topic_without_article" not in kinds


def test_a_weekly_report_compares_with_the_week_before(app, fixture_records):
    figures = build_figures(parse_period("weekly", "2025-W24"), now=NOW)  # June 9-15: R2, R3; June 2-8: R1, R4
    assert figures["previous_period"] == "2025-W23"
    assert figures["volume"]["total"] == {"current": 2, "previous": 2, "change": 0, "change_ratio": 0.0}
    assert [step["label"] for step in figures["satisfaction"]["trend"] if step["which"] == "current"][:2] == [
        "06-09",
        "06-10",
    ]
    assert figures["fcr"]["rate"]["current"] == 0.0  # R2 was followed by R3; R3 is pending


def test_an_empty_period_has_no_figures_to_compare(app, db):
    figures = build_figures(parse_period("monthly", "2025-06"), now=NOW)
    assert figures["volume"]["total"] == {"current": 0, "previous": 0, "change": 0, "change_ratio": None}
    assert figures["satisfaction"]["overall"]["current"] is None
    assert figures["times"]["handling"]["current"]["median"] is None
    assert figures["top_problems"] == [] and figures["cases"] == {"exemplary": [], "negative": []}
    assert figures["recommendations"] == []


def test_customer_needs_are_the_words_that_set_this_period_apart():
    samples = {
        "current": [("希望增加订单导出功能", Language.ZH)] * 4 + [("希望尽快退款", Language.ZH)] * 4,
        "previous": [("希望尽快退款", Language.ZH)] * 6 + [("please add order export", Language.EN)] * 3,
    }
    rows = keyword_figures(samples)
    words = [row["word"] for row in rows]
    assert "导出" in words
    export = next(row for row in rows if row["word"] == "导出")
    assert (export["mentions"], export["texts"], export["share"], export["previous_share"]) == (4, 8, 0.5, 0.0)
    assert "希望" not in words  # in every text: says nothing
    assert all(row["language"] == "zh" for row in rows)  # English texts only in the previous period


def test_needs_are_read_from_scrubbed_text(figures):
    needs = figures["needs"]
    assert needs["texts_read"] == {"current": 3, "previous": 0}
    assert all(PII_PHONE not in row["word"] and CUSTOMER_NAME not in row["word"] for row in needs["keywords"])


def test_the_next_month_compares_with_the_fixture_month(app, fixture_records):
    # The period after the fixture: every record is "previous".
    figures = build_figures(parse_period("monthly", "2025-07"), now=NOW + timedelta(days=40))
    assert figures["volume"]["total"] == {"current": 0, "previous": 6, "change": -6, "change_ratio": -1.0}
    assert date.fromisoformat(figures["first_day"]) == date(2025, 7, 1)


def test_building_figures_never_waits_for_sqlites_write_lock(app, fixture_records):
    """A report reads while imports write: with another connection holding the write lock it still completes."""
    import sqlite3

    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    writer = sqlite3.connect(database.engine.url.database, timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        figures = build_figures(parse_period("monthly", "2025-06"), now=NOW)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert figures["volume"]["total"]["current"] == 6
    assert figures["knowledge"]["help_center"]["searches"]["current"] == 3


def test_fill_rates_in_sql_follow_the_quality_pages_rules(app, fixture_records, make_user, make_record):
    """The report counts fill rates in SQL, the quality pages on loaded records: both count the same."""
    from scoring.reports import score_report

    # Transferred records: collaboration filled by a hand-off, by a linked record, or not at all.
    follow_up = [{"action": "等待技术部回复", "owner": "王芳", "due": "2025-06-20"}]
    for extra in (
        {"collaboration": [{"department": "技术部", "ticket_no": "JS-1"}]},
        {"related": [fixture_records["R1"].number]},
        {"key_details": "  ", "customer_request": ""},
    ):
        # A record is linked by someone who may see it (records.operations.resolve_related): R1's agent.
        agent = fixture_records["R1"].agent if "related" in extra else None
        make_record(agent, contacted_at="2025-06-18 10:00", status="transferred", follow_ups=follow_up, **extra)
    period = parse_period("monthly", "2025-06")
    page = score_report(viewer=make_user(Role.ADMIN), start=period.starts_at, end=period.ends_at)
    figures = build_figures(period, now=NOW)
    ours = {row["key"]: (row["filled"], row["applicable"]) for row in figures["quality"]["fill_rates"]}
    assert ours == {row["key"]: (row["filled"], row["applicable"]) for row in page["fill_rates"]}
    assert ours["collaboration"] == (2, 3)
