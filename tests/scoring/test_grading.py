"""Supervisors' grades: who grades what, the points they must give, history, and agents' disputes."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.models import AuditLog
from scoring.calibration import create_session
from scoring.engine import current_rubric
from scoring.grading import (
    can_grade,
    dispute_grade,
    effective_score,
    grade_record,
    grades_for,
    list_disputes,
    resolve_dispute,
)
from scoring.models import DisputeStatus
from scoring.operations import record_score
from tests.scoring.helpers import full_points


def test_supervisors_grade_their_team_admins_any_others_not(db, people, record, make_record):
    assert can_grade(people["supervisor"], record)
    assert can_grade(people["admin"], record)
    for name in ("other_supervisor", "trainer", "agent", "other_agent"):
        assert not can_grade(people[name], record), name
        with pytest.raises(PermissionDenied):
            grade_record(record, full_points(record), None, by=people[name])
    # Nobody grades a contact they took themselves, supervisors included.
    own = make_record(agent=people["supervisor"])
    assert not can_grade(people["supervisor"], own)


def test_a_grade_overrides_the_automatic_score_which_is_kept(db, people, record):
    auto = record_score(record).score
    points = {**full_points(record), "specific_problem": 0.0}
    grade = grade_record(record, points, "  问题描述缺少订单号。 ", by=people["supervisor"])
    db.session.commit()

    assert 0 < grade.score < 100
    assert grade.comment == "问题描述缺少订单号。"
    assert grade.rubric_id == current_rubric().id
    assert effective_score(record) == {
        "auto": auto,
        "grade": grade.score,
        "effective": grade.score,
        "grade_id": grade.id,
        "graded_by": people["supervisor"].username,
        "locked": False,
    }
    assert record_score(record).score == auto
    assert db.session.query(AuditLog).filter_by(action="grade.create").count() == 1


def test_without_a_grade_the_automatic_score_counts(db, record):
    score = effective_score(record)
    assert score["grade"] is None and score["grade_id"] is None
    assert score["effective"] == score["auto"] == record_score(record).score


def test_points_are_required_for_every_applicable_criterion_and_only_those(db, people, record):
    points = full_points(record)
    assert "follow_up_complete" not in points  # applies to pending and transferred records only
    missing = {key: value for key, value in points.items() if key != "core_fields"}
    with pytest.raises(ValidationError) as caught:
        grade_record(record, missing, None, by=people["supervisor"])
    assert list(caught.value.messages["points"]) == ["core_fields"]

    with pytest.raises(ValidationError) as caught:
        grade_record(record, {**points, "follow_up_complete": 1, "charm": 1}, None, by=people["supervisor"])
    assert set(caught.value.messages["points"]) == {"follow_up_complete", "charm"}
    assert "Does not apply" in caught.value.messages["points"]["follow_up_complete"][0]


@pytest.mark.parametrize("value", [-1, 2.5, True, "2", float("nan")])
def test_points_must_lie_within_the_scale(db, people, record, value):
    points = {**full_points(record), "specific_problem": value}  # scale 2
    with pytest.raises(ValidationError) as caught:
        grade_record(record, points, None, by=people["supervisor"])
    assert list(caught.value.messages["points"]) == ["specific_problem"]


def test_a_failed_critical_criterion_caps_the_grade(db, people, record):
    nearly = grade_record(record, {**full_points(record), "timeliness": 0}, None, by=people["supervisor"])
    failed = grade_record(record, {**full_points(record), "no_unmasked_pii": 0}, None, by=people["supervisor"])
    assert nearly.score > 90
    assert failed.score == 30.0
    assert effective_score(record)["effective"] == 30.0


def test_grading_again_adds_history_and_the_newest_grade_counts(db, people, record):
    first = grade_record(record, full_points(record), "first", by=people["supervisor"])
    second = grade_record(record, {**full_points(record), "core_fields": 2}, "second", by=people["supervisor"])
    third = grade_record(record, {**full_points(record), "concrete_steps": 1}, "admin's", by=people["admin"])
    db.session.commit()

    assert [grade.id for grade in grades_for(record, people["supervisor"])] == [third.id, second.id, first.id]
    assert (first.score, first.comment) == (100.0, "first")
    assert effective_score(record)["grade_id"] == third.id
    assert effective_score(record)["graded_by"] == people["admin"].username


def test_calibration_grades_are_not_the_records_grade(db, people, record):
    session = create_session("Nov", [record.id], [people["supervisor"].id, people["trainer"].id], by=people["trainer"])
    grade = grade_record(record, full_points(record), None, by=people["trainer"], calibration=session)
    assert grade.calibration_id == session.id
    assert effective_score(record)["grade"] is None
    # Agents see the grades of their records, but not the graders' calibration exercise.
    assert grades_for(record, people["agent"]) == []
    assert grades_for(record, people["supervisor"]) == [grade]


def test_agents_see_only_their_own_records_grades(db, people, record, make_record):
    grade = grade_record(record, full_points(record), None, by=people["supervisor"])
    assert grades_for(record, people["agent"]) == [grade]
    with pytest.raises(PermissionDenied):
        grades_for(record, people["other_agent"])
    with pytest.raises(PermissionDenied):
        grades_for(record, people["other_supervisor"])


# ----- disputes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def graded(db, people, record):
    grade = grade_record(record, {**full_points(record), "specific_problem": 0}, "不够具体", by=people["supervisor"])
    db.session.commit()
    return grade


def test_only_the_records_agent_disputes_with_a_reason_once(db, people, graded):
    for name in ("other_agent", "supervisor", "admin"):
        with pytest.raises(PermissionDenied):
            dispute_grade(graded, "不同意", by=people[name])
    with pytest.raises(ValidationError) as caught:
        dispute_grade(graded, "   ", by=people["agent"])
    assert "reason" in caught.value.messages

    dispute = dispute_grade(graded, "问题描述写了订单号和报错原文。", by=people["agent"])
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.agent_id == people["agent"].id
    with pytest.raises(ValidationError) as caught:
        dispute_grade(graded, "再次申诉", by=people["agent"])
    assert "already disputed" in caught.value.messages["grade"][0]


def test_a_replaced_grade_or_a_calibration_grade_is_not_disputable(db, people, record, graded):
    grade_record(record, full_points(record), None, by=people["supervisor"])
    with pytest.raises(ValidationError) as caught:
        dispute_grade(graded, "不同意", by=people["agent"])
    assert "newer grade" in caught.value.messages["grade"][0]

    session = create_session("Nov", [record.id], [people["supervisor"].id, people["admin"].id], by=people["admin"])
    practice = grade_record(record, full_points(record), None, by=people["admin"], calibration=session)
    with pytest.raises(ValidationError) as caught:
        dispute_grade(practice, "不同意", by=people["agent"])
    assert "Calibration" in caught.value.messages["grade"][0]


def test_upholding_a_dispute_keeps_the_grade(db, people, record, graded):
    dispute = dispute_grade(graded, "不同意", by=people["agent"])
    with pytest.raises(PermissionDenied):
        resolve_dispute(dispute, "upheld", "看过了", by=people["other_supervisor"])
    with pytest.raises(PermissionDenied):
        resolve_dispute(dispute, "upheld", "看过了", by=people["agent"])
    with pytest.raises(ValidationError) as caught:
        resolve_dispute(dispute, "upheld", " ", by=people["supervisor"])
    assert "note" in caught.value.messages
    with pytest.raises(ValidationError) as caught:
        resolve_dispute(dispute, "maybe", "看过了", by=people["supervisor"])
    assert "outcome" in caught.value.messages

    resolve_dispute(dispute, "upheld", "描述里没有订单号。", by=people["supervisor"])
    assert dispute.status == DisputeStatus.UPHELD
    assert dispute.resolved_by_id == people["supervisor"].id and dispute.resolved_at is not None
    assert effective_score(record)["grade_id"] == graded.id
    with pytest.raises(ValidationError):
        resolve_dispute(dispute, "changed", "再改", by=people["supervisor"], points=full_points(record))


def test_changing_a_grade_on_dispute_adds_the_resolvers_grade(db, people, record, graded):
    dispute = dispute_grade(graded, "订单号写在关键细节里了。", by=people["agent"])
    with pytest.raises(ValidationError) as caught:
        resolve_dispute(dispute, "changed", "同意", by=people["admin"])
    assert "points" in caught.value.messages
    with pytest.raises(ValidationError) as caught:
        resolve_dispute(dispute, "changed", "同意", by=people["admin"], points={"core_fields": 4})
    assert "specific_problem" in caught.value.messages["points"]
    assert dispute.status == DisputeStatus.OPEN

    resolve_dispute(dispute, "changed", "同意，已改分。", by=people["admin"], points=full_points(record))
    db.session.commit()
    assert dispute.status == DisputeStatus.CHANGED
    score = effective_score(record)
    assert score["effective"] == 100.0 and score["graded_by"] == people["admin"].username
    history = grades_for(record, people["agent"])
    assert [grade.grader_id for grade in history] == [people["admin"].id, people["supervisor"].id]
    assert history[0].comment == "同意，已改分。"
    assert graded.score < 100.0  # the disputed grade stays as it was


def test_disputes_are_listed_for_the_agent_the_team_and_admins(db, people, make_record, graded):
    other_record = make_record(agent=people["other_agent"])
    other_grade = grade_record(other_record, full_points(other_record), None, by=people["other_supervisor"])
    mine = dispute_grade(graded, "不同意", by=people["agent"])
    theirs = dispute_grade(other_grade, "不同意", by=people["other_agent"])
    resolve_dispute(theirs, "upheld", "维持", by=people["other_supervisor"])

    assert list_disputes(people["agent"]) == [mine]
    assert list_disputes(people["supervisor"]) == [mine]
    assert list_disputes(people["other_supervisor"]) == [theirs]
    assert list_disputes(people["admin"]) == [theirs, mine]
    assert list_disputes(people["admin"], "open") == [mine]
    assert list_disputes(people["admin"], DisputeStatus.UPHELD) == [theirs]
    with pytest.raises(ValidationError):
        list_disputes(people["admin"], "closed")
    with pytest.raises(PermissionDenied):
        list_disputes(people["trainer"])
