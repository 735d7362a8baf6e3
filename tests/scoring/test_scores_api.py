"""The scores API: a record's scorecard, paged scores with the report summary, the rubric and its versions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from records.enums import Role
from records.timeutil import local_today
from tests.scoring.test_reports import October, build_october

OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def october(make_user, make_record) -> October:
    return build_october(make_user, make_record)


def test_a_records_scorecard_with_its_effective_score(client, october, token_for):
    graded = october.records[3]
    response = client.get(f"/api/v1/records/{graded.number}/score", headers=token_for(october.admin))
    assert response.status_code == 200, response.json
    card = response.json
    assert card["record_number"] == graded.number and card["rubric_version"] == 1
    assert (card["auto"], card["grade"], card["effective"], card["graded_by"]) == (72, 90, 90, "sA")
    assert card["auto"] == card["score"]
    specific = next(item for item in card["criteria"] if item["key"] == "specific_problem")
    assert specific["name"]["zh"] == "问题描述具体" and specific["scale"] == 2
    assert card["computed_at"].endswith("Z")


def test_an_ungraded_record_counts_with_its_automatic_score(client, make_record, token_for):
    record = make_record()
    response = client.get(f"/api/v1/records/{record.id}/score", headers=token_for(record.agent))
    assert response.status_code == 200
    assert response.json["grade"] is None and response.json["effective"] == response.json["score"]
    weak = [item for item in response.json["criteria"] if item["applicable"] and item["points"] < item["scale"]]
    assert all(item["explanation"]["en"] and item["suggestion"]["zh"] for item in weak)


def test_personal_data_quoted_in_explanations_is_masked(client, make_record, make_user, token_for):
    record = make_record(problem_description="张先生电话13812345678说有问题")
    for viewer, expected in (
        (make_user(Role.ADMIN), "张先生电话138****5678说有问题"),
        # Trainers read explanations anonymised as they read the record: no customer, no part of the number.
        (make_user(Role.TRAINER), "客户A电话[电话]说有问题"),
    ):
        card = client.get(f"/api/v1/records/{record.number}/score", headers=token_for(viewer)).json
        explanation = next(item for item in card["criteria"] if item["key"] == "specific_problem")["explanation"]
        assert "13812345678" not in str(card)
        if viewer.role == Role.TRAINER:
            # The placeholders follow the language of the explanation around the quote.
            assert expected in explanation["zh"] and "Customer A电话[phone]说有问题" in explanation["en"]
            assert "张先生" not in str(explanation) and "5678" not in str(explanation)
        else:
            assert expected in explanation["zh"] and expected in explanation["en"]


def test_scorecard_access(client, october, token_for):
    record = october.records[0]  # a1's
    assert client.get(f"/api/v1/records/{record.number}/score").status_code == 401
    assert client.get(f"/api/v1/records/{record.number}/score", headers=token_for(october.b1)).status_code == 403
    assert client.get("/api/v1/records/R209901010001/score", headers=token_for(october.admin)).status_code == 404


def test_scores_are_paged_newest_first_with_the_summary(client, october, token_for):
    headers = token_for(october.admin)
    response = client.get("/api/v1/scores", query_string={**OCTOBER, "per_page": 4}, headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["total"] == 6 and len(body["items"]) == 4
    assert body["items"][0]["record_number"] == october.records[5].number
    assert body["summary"]["mean_effective"] == 81.5 and body["summary"]["mean_auto"] == 78.5
    assert body["summary"]["first_day"] == "2026-10-01"
    assert "records" not in body["summary"]
    second = client.get("/api/v1/scores", query_string={**OCTOBER, "per_page": 4, "page": 2}, headers=headers).json
    assert [item["record_number"] for item in second["items"]] == [r.number for r in reversed(october.records[:2])]
    row = next(item for item in body["items"] if item["record_number"] == october.records[3].number)
    assert (row["auto_score"], row["grade_score"], row["effective_score"], row["rubric_version"]) == (72, 90, 90, 1)
    assert row["contacted_at"] == "2026-10-15T02:00:00Z" and row["agent"] == "a2"


def test_agents_only_ever_see_their_own_scores(client, october, token_for):
    headers = token_for(october.a1)
    body = client.get("/api/v1/scores", query_string=OCTOBER, headers=headers).json
    assert body["total"] == 3 and {item["agent"] for item in body["items"]} == {"a1"}
    assert body["summary"]["agents"] == []
    other = client.get("/api/v1/scores", query_string={**OCTOBER, "agent": "a2"}, headers=headers)
    assert other.status_code == 403


def test_supervisors_see_their_team(client, october, token_for):
    headers = token_for(october.supervisor)
    body = client.get("/api/v1/scores", query_string=OCTOBER, headers=headers).json
    assert body["total"] == 5
    assert {row["username"] for row in body["summary"]["agents"]} == {"a1", "a2"}
    one = client.get("/api/v1/scores", query_string={**OCTOBER, "agent": "a2"}, headers=headers).json
    assert one["total"] == 2 and one["summary"]["agent"]["username"] == "a2"
    other_team = client.get("/api/v1/scores", query_string={**OCTOBER, "team": "客服B组"}, headers=headers)
    assert other_team.status_code == 403
    # Another team's agent is refused like another team, and their name is not told.
    other_agent = client.get("/api/v1/scores", query_string={**OCTOBER, "agent": "b1"}, headers=headers)
    assert other_agent.status_code == 403 and "Agent Bee" not in other_agent.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"agent": "nobody"}, "agent"),
        ({"team": "客服Z组"}, "team"),
        ({"from": "2026-11-01", "to": "2026-10-01"}, "from"),
        ({"from": "someday"}, "from"),
        ({"per_page": 0}, "per_page"),
    ],
)
def test_bad_score_queries_are_422(client, october, token_for, query, field):
    response = client.get("/api/v1/scores", query_string=query, headers=token_for(october.admin))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert field in errors.get("query", errors.get("json", {}))


def test_the_current_month_is_the_default(client, make_user, make_record, token_for):
    agent = make_user(Role.AGENT)
    first = local_today().replace(day=1)
    this_month = make_record(agent, contacted_at=f"{first:%Y-%m-%d} 00:00")
    make_record(agent, contacted_at=f"{first - timedelta(days=1):%Y-%m-%d} 23:59")
    body = client.get("/api/v1/scores", headers=token_for(agent)).json
    assert [item["record_number"] for item in body["items"]] == [this_month.number]
    assert body["summary"]["first_day"] == first.isoformat()


def test_rubric_edit_makes_version_2_and_old_scores_keep_version_1(client, october, token_for):
    admin = token_for(october.admin)
    current = client.get("/api/v1/rubric", headers=token_for(october.a1))
    assert current.status_code == 200 and current.json["version"] == 1
    assert any(item["key"] == "timeliness" for item in current.json["definition"]["criteria"])

    change = {"criteria": {"timeliness": {"weight": 20}, "objective_wording": {"enabled": False}}, "note": "时效更重要"}
    assert client.patch("/api/v1/rubric", json=change, headers=token_for(october.supervisor)).status_code == 403
    response = client.patch("/api/v1/rubric", json=change, headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["version"] == 2 and response.json["note"] == "时效更重要"
    assert response.json["created_by"] == "boss"
    keys = {item["key"]: item for item in response.json["definition"]["criteria"]}
    assert keys["timeliness"]["weight"] == 20 and "objective_wording" not in keys

    versions = client.get("/api/v1/rubric/versions", headers=admin).json
    assert [item["version"] for item in versions] == [2, 1]
    card = client.get(f"/api/v1/records/{october.records[0].number}/score", headers=admin).json
    assert card["rubric_version"] == 1
    assert next(item for item in card["criteria"] if item["key"] == "timeliness")["weight"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"criteria": {"timeliness": {"weight": 150}}},
        {"criteria": {"timeliness": {"scale": 0}}},
        {"criteria": {"no_such_check": {"weight": 5}}},
        {"timeliness_minutes": 0},
        {"timeliness_minutes": "soon"},
        {"criteria": {"timeliness": {"weight": "heavy"}}},
    ],
)
def test_invalid_rubric_edits_are_422_and_save_nothing(client, october, token_for, body):
    admin = token_for(october.admin)
    response = client.patch("/api/v1/rubric", json=body, headers=admin)
    assert response.status_code == 422
    assert client.get("/api/v1/rubric", headers=admin).json["version"] == 1
