"""Agreement of the automatic score with supervisors' grades (scoring.agreement) and the tuning learnt from
supervisors' overrides (scoring.tuning): stored with each grade, shown per criterion and team, flagged, bounded,
visible and reversible."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from records.timeutil import utcnow
from scoring.agreement import band, criterion_agreement, summarise
from scoring.engine import current_rubric
from scoring.grading import grade_record
from scoring.models import CriterionTuning
from scoring.operations import record_score, scorecard
from scoring.reports import score_report
from scoring.tuning import MAX_SHIFT, Example, fit, refit, remove_tuning, set_enabled, tune
from tests.scoring.helpers import full_points


def test_zendesk_bands_and_the_measure():
    assert criterion_agreement(2, 2, 2) == 100 and criterion_agreement(0, 2, 2) == 0
    assert criterion_agreement(1, 2, 2) == 50
    assert [band(v) for v in (100, 75, 74.9, 25, 24.9, 0)] == [
        "strong",
        "strong",
        "moderate",
        "moderate",
        "weak",
        "weak",
    ]
    assert band(None) is None


def test_summary_flags_only_criteria_below_the_threshold_with_enough_grades():
    names = {"a": {"zh": "甲", "en": "A"}, "b": {"zh": "乙", "en": "B"}}
    graded = [("T1", {"a": 0.0, "b": 100.0})] * 5 + [("T2", {"a": 100.0})]
    summary = summarise(graded, names, ["a", "b"], threshold=75)
    rows = {row["key"]: row for row in summary["criteria"]}
    assert rows["a"]["agreement"] == pytest.approx(16.7) and rows["a"]["band"] == "weak" and rows["a"]["flagged"]
    assert rows["b"]["agreement"] == 100 and not rows["b"]["flagged"]
    assert summary["flagged"] == ["a"] and summary["grades"] == 6
    teams = {team["team"]: {row["key"]: row for row in team["criteria"]} for team in summary["teams"]}
    assert teams["T1"]["a"]["agreement"] == 0 and teams["T2"]["a"]["agreement"] == 100
    # Four grades say too little to flag a criterion.
    assert summarise(graded[:4], names, threshold=75)["flagged"] == []


def test_a_grade_keeps_the_automatic_points_and_the_agreement(db, people, record):
    points = full_points(record)
    auto = record_score(record).points
    grade = grade_record(record, {**points, "specific_problem": 0.0}, None, by=people["supervisor"])
    db.session.commit()
    assert grade.auto_points == auto == grade.check_points
    assert grade.agreement["specific_problem"] == criterion_agreement(auto["specific_problem"], 0, 2)
    assert all(grade.agreement[key] == 100 for key in points if points[key] == auto[key] and key != "specific_problem")


def test_the_report_shows_agreement_per_criterion_and_team(db, people, make_record):
    records = [make_record(agent=people["agent"]) for _ in range(5)]
    for record in records:
        grade_record(record, {**full_points(record), "specific_problem": 0.0}, None, by=people["supervisor"])
    db.session.commit()
    report = score_report(viewer=people["admin"], start=utcnow() - timedelta(days=400), end=utcnow())
    rows = {row["key"]: row for row in report["agreement"]["criteria"]}
    auto_points = record_score(records[0]).points["specific_problem"]
    assert rows["specific_problem"]["grades"] == 5
    assert rows["specific_problem"]["agreement"] == criterion_agreement(auto_points, 0, 2)
    assert rows["specific_problem"]["flagged"] == (auto_points == 2)
    assert rows["core_fields"]["agreement"] == 100 and rows["core_fields"]["band"] == "strong"
    assert [team["team"] for team in report["agreement"]["teams"]] == ["客服A组"]


def examples(criterion: str, check: float, humans: list[float]) -> list[Example]:
    return [Example(criterion, check, human) for human in humans]


def test_tuning_is_bounded_shrunk_and_needs_enough_examples():
    fits = fit(
        examples("specific_problem", 0.0, [1.0] * 45)  # graders always give full points where the check gives none
        + examples("specific_problem", 1.0, [1.0] * 10)  # agreeing level: left alone
        + examples("timeliness", 0.0, [1.0] * 4)  # too few examples
    )
    assert set(fits) == {"specific_problem"}
    found = fits["specific_problem"]
    # 45/(45+5) × 1.0 = 0.9, bounded at MAX_SHIFT.
    assert found.mapping == {"0": MAX_SHIFT}
    assert found.agreement_before < found.agreement_after
    assert tune(
        {"specific_problem": 0.0, "core_fields": 4.0}, {"specific_problem": found.mapping}, {"specific_problem": 2.0}
    ) == {
        "specific_problem": 1.0,
        "core_fields": 4.0,
    }
    few = fit(examples("objective_wording", 1.0, [0.0] * 5))["objective_wording"]
    assert few.mapping == {"1": 0.5}  # 5/(5+5) of the gap


def test_overrides_tune_scores_visibly_and_reversibly(db, people, make_record):
    records = [make_record(agent=people["agent"], problem_description="客户反映登录不了。") for _ in range(6)]
    before = record_score(records[0])
    assert before.points["specific_problem"] == 1  # one kind of detail of the three asked for: half the points
    for record in records:
        grade_record(record, {**full_points(record)}, "描述足够", by=people["supervisor"])
    db.session.commit()

    with pytest.raises(Exception, match="administrators"):
        refit(current_rubric().definition, by=people["supervisor"])
    tuned = {row.criterion: row for row in refit(current_rubric().definition, by=people["admin"])}
    db.session.commit()
    # Six graders gave full points where the check gave half: half the gap × 6/(6+5) is closed.
    assert tuned["specific_problem"].mapping == {"0.5": pytest.approx(0.5 + 0.5 * 6 / 11, abs=0.001)}
    assert tuned["specific_problem"].examples == 6

    fresh = make_record(agent=people["agent"], problem_description="客户反映登录不了。")
    card = {item["key"]: item for item in scorecard(fresh)["criteria"]}
    assert card["specific_problem"]["points"] == pytest.approx(1 + 6 / 11, abs=0.01)
    assert card["specific_problem"]["check_points"] == 1
    assert "tuning" in card["specific_problem"]["explanation"]["en"]
    assert record_score(fresh).score > before.score

    set_enabled("specific_problem", False, by=people["admin"])
    db.session.commit()
    off = make_record(agent=people["agent"], problem_description="客户反映登录不了。")
    assert record_score(off).points["specific_problem"] == 1
    remove_tuning("specific_problem", by=people["admin"])
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count(CriterionTuning.id)).where(CriterionTuning.criterion == "specific_problem")
        )
        == 0
    )


def test_rubric_page_and_api_show_flags_and_control_tuning(client, db, people, make_record, token_for):
    records = [make_record(agent=people["agent"], problem_description="客户反映登录不了。") for _ in range(5)]
    for record in records:
        grade_record(record, full_points(record), None, by=people["supervisor"])
    db.session.commit()
    headers = token_for(people["admin"])
    answer = client.get("/api/v1/rubric/tuning", headers=headers)
    assert answer.status_code == 200
    assert "specific_problem" in answer.get_json()["agreement"]["flagged"]
    assert client.get("/api/v1/rubric/tuning", headers=token_for(people["supervisor"])).status_code == 403
    refitted = client.post("/api/v1/rubric/tuning", headers=headers)
    assert refitted.status_code == 200
    assert "specific_problem" in [item["criterion"] for item in refitted.get_json()["items"]]
    switched = client.patch("/api/v1/rubric/tuning/specific_problem", headers=headers, json={"enabled": False})
    assert switched.status_code == 200 and switched.get_json()["enabled"] is False
    assert client.patch("/api/v1/rubric/tuning/charm", headers=headers, json={"enabled": False}).status_code == 404
    assert client.patch("/api/v1/rubric/tuning/specific_problem", headers=headers, json={}).status_code == 422
    chinese = {**headers, "Accept-Language": "zh-CN"}
    refused = client.patch("/api/v1/rubric/tuning/specific_problem", headers=chinese, json={"enabled": "maybe"})
    assert refused.get_json()["errors"]["json"] == {"enabled": ["请填写“是”或“否”。"]}
    assert client.delete("/api/v1/rubric/tuning/specific_problem", headers=headers).status_code == 204
