"""Calibration sessions and Krippendorff's alpha, checked against the published worked examples."""

from __future__ import annotations

import random

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.enums import Role
from scoring.calibration import calibration_report, create_session, krippendorff_alpha
from scoring.engine import current_rubric
from scoring.grading import effective_score, grade_record
from scoring.operations import record_score
from tests.scoring.helpers import full_points

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers × 12 units, values 1-5,
# missing values; the paper gives alpha 0.743 (nominal) and 0.849 (interval).
N = None
FOUR_OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Example A of the same paper: binary data, two observers, ten units, alpha 0.095.
TWO_OBSERVERS_BINARY = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]


def test_alpha_matches_krippendorffs_worked_examples():
    assert krippendorff_alpha(FOUR_OBSERVERS, "nominal") == pytest.approx(0.743, abs=0.0005)
    assert krippendorff_alpha(FOUR_OBSERVERS, "interval") == pytest.approx(0.849, abs=0.0005)
    assert krippendorff_alpha(FOUR_OBSERVERS) == krippendorff_alpha(FOUR_OBSERVERS, "interval")
    assert krippendorff_alpha(TWO_OBSERVERS_BINARY, "nominal") == pytest.approx(0.095, abs=0.0005)


def test_alpha_does_not_depend_on_the_order_of_coders_or_units():
    reordered = [list(reversed(row)) for row in reversed(FOUR_OBSERVERS)]
    assert krippendorff_alpha(reordered) == pytest.approx(krippendorff_alpha(FOUR_OBSERVERS))


def test_alpha_is_one_for_perfect_agreement_and_below_zero_for_systematic_disagreement():
    assert krippendorff_alpha([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, N, 4]]) == 1.0
    assert krippendorff_alpha([[0, 1, 0, 1], [1, 0, 1, 0]], "nominal") < 0
    assert krippendorff_alpha([[0, 1, 0, 1], [1, 0, 1, 0]]) < 0


def test_alpha_is_near_zero_for_random_grades():
    rng = random.Random(7)
    values = [[rng.choice([0, 1, 2]) for _ in range(400)] for _ in range(3)]
    assert abs(krippendorff_alpha(values)) < 0.1
    assert abs(krippendorff_alpha(values, "nominal")) < 0.1


def test_alpha_is_undefined_without_variation_or_pairable_values():
    assert krippendorff_alpha([[2, 2, 2], [2, 2, 2]]) is None
    assert krippendorff_alpha([[1, 2, 3]]) is None  # one coder: nothing is pairable
    assert krippendorff_alpha([[1, N], [N, 2]]) is None
    assert krippendorff_alpha([]) is None
    with pytest.raises(ValueError):
        krippendorff_alpha(FOUR_OBSERVERS, "ordinal-ish")


# ----- sessions ----------------------------------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    return {
        "agent": make_user(Role.AGENT, team="客服A组"),
        "supervisor": make_user(Role.SUPERVISOR, team="客服A组"),
        "other_supervisor": make_user(Role.SUPERVISOR, team="客服B组"),
        "trainer": make_user(Role.TRAINER),
        "second_trainer": make_user(Role.TRAINER),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def records(make_record, people):
    """Records of clearly different quality, so points and scores vary between them."""
    agent = people["agent"]
    return [
        make_record(agent=agent),
        make_record(
            agent=agent,
            problem_description="客户反映有问题",
            handling_steps="已处理",
            resolution="已解决",
            satisfaction=None,
            customer_request=None,
        ),
        make_record(
            agent=agent,
            status="pending",
            resolution=None,
            follow_ups=[{"action": "联系物流核实", "owner": "王磊", "due": "2026-11-10"}],
        ),
        make_record(agent=agent, handling_steps="已处理", satisfaction=None),
    ]


def test_session_rules(db, people, records):
    ids = [record.id for record in records]
    graders = [people["supervisor"].id, people["trainer"].id]
    with pytest.raises(PermissionDenied):
        create_session("Nov", ids, graders, by=people["agent"])
    cases = {
        "name": ("", ids, graders),
        "record_ids": ("Nov", [], graders),
    }
    for field, args in cases.items():
        with pytest.raises(ValidationError) as caught:
            create_session(*args, by=people["trainer"])
        assert field in caught.value.messages
    for bad_graders, expected in (
        ([people["supervisor"].id], "At least 2"),
        ([people["supervisor"].id, people["supervisor"].id], "At least 2"),
        ([people["supervisor"].id, people["agent"].id], "graders are supervisors"),
        ([people["supervisor"].id, people["other_supervisor"].id], "may not see"),
        ([people["supervisor"].id, 999_999], "no active user"),
    ):
        with pytest.raises(ValidationError) as caught:
            create_session("Nov", ids, bad_graders, by=people["trainer"])
        assert expected in " ".join(map(str, caught.value.messages["grader_ids"])), bad_graders
    # A supervisor cannot put another team's records in a session.
    with pytest.raises(ValidationError) as caught:
        create_session("Nov", ids, graders, by=people["other_supervisor"])
    assert "record_ids" in caught.value.messages

    session = create_session(" Nov ", ids + ids[:1], graders, by=people["supervisor"])
    assert (session.name, session.record_ids, session.grader_ids) == ("Nov", ids, graders)


def test_only_the_sessions_graders_grade_its_records_once_each(db, people, records, make_record):
    session = create_session("Nov", [records[0].id], [people["trainer"].id, people["admin"].id], by=people["admin"])
    points = full_points(records[0])
    with pytest.raises(PermissionDenied):
        grade_record(records[0], points, None, by=people["second_trainer"], calibration=session)
    with pytest.raises(PermissionDenied):
        grade_record(records[1], full_points(records[1]), None, by=people["trainer"], calibration=session)

    first = grade_record(
        records[0], {**points, "core_fields": 2}, "first try", by=people["trainer"], calibration=session
    )
    again = grade_record(records[0], points, "corrected", by=people["trainer"], calibration=session)
    db.session.commit()
    assert again.id == first.id and again.score == 100.0 and again.comment == "corrected"
    assert len(session.grades) == 1
    assert effective_score(records[0])["grade"] is None
    report = calibration_report(session)
    assert (report["grades"], report["complete"]) == (1, False)
    assert report["score"]["alpha"] is None  # one grader so far: nothing to compare


def grade_session(session, graders, records, points_for) -> None:
    for grader in graders:
        for record in records:
            grade_record(record, points_for(grader, record), None, by=grader, calibration=session)


def test_report_of_perfect_agreement_with_the_automatic_score(db, people, records):
    graders = [people["supervisor"], people["trainer"], people["admin"]]
    session = create_session("perfect", [r.id for r in records], [g.id for g in graders], by=people["admin"])
    grade_session(session, graders, records, lambda grader, record: record_score(record).points)
    db.session.commit()

    report = calibration_report(session)
    assert (report["records"], report["graders"], report["grades"], report["complete"]) == (4, 3, 12, True)
    assert report["score"] == {"alpha": 1.0, "alpha_with_auto": 1.0, "records": 4}
    criteria = {item["key"]: item for item in report["criteria"]}
    assert criteria["specific_problem"]["alpha"] == 1.0
    assert criteria["specific_problem"]["alpha_with_auto"] == 1.0
    assert criteria["specific_problem"]["records"] == 4
    assert criteria["follow_up_complete"]["records"] == 1  # applies to the pending record only
    assert criteria["no_unmasked_pii"]["alpha"] is None  # every grader gave full points everywhere: no variation
    assert list(criteria)[0] == current_rubric().definition["criteria"][0]["key"]
    for summary in report["per_grader"]:
        assert summary["graded"] == 4
        assert summary["mean_abs_diff_from_auto"] == 0.0
        assert summary["mean_score"] == pytest.approx(sum(record_score(r).score for r in records) / 4, abs=0.05)
    assert report["disagreements"] == []


def test_report_of_random_grades_shows_low_agreement_and_where_graders_differ(db, people, records):
    graders = [people["supervisor"], people["trainer"], people["admin"]]
    session = create_session("random", [r.id for r in records], [g.id for g in graders], by=people["admin"])
    rng = random.Random(3)
    scales = {c["key"]: c["scale"] for c in current_rubric().definition["criteria"]}

    def random_points(grader, record):
        return {key: rng.choice([0, scales[key] / 2, scales[key]]) for key in full_points(record)}

    grade_session(session, graders, records, random_points)
    db.session.commit()

    report = calibration_report(session)
    assert report["score"]["alpha"] is None or report["score"]["alpha"] < 0.5
    alphas = [item["alpha"] for item in report["criteria"] if item["alpha"] is not None]
    assert alphas and sum(alphas) / len(alphas) < 0.5
    for summary in report["per_grader"]:
        assert summary["mean_abs_diff_from_auto"] > 0
    top = report["disagreements"][0]
    assert top["spread"] == max(item["spread"] for item in report["disagreements"]) > 0
    values = list(top["points"].values())
    assert len(values) >= 2 and max(values) != min(values)
    assert top["record_number"] in {r.number for r in records}


def test_report_separates_grader_agreement_from_agreement_with_the_automatic_score(db, people, records):
    """Two graders who agree with each other but not with the automatic score: high alpha, lower with auto."""
    graders = [people["trainer"], people["admin"]]
    session = create_session("harsh", [r.id for r in records], [g.id for g in graders], by=people["admin"])
    harsh = {records[0].id: 0.0, records[1].id: 1.0, records[2].id: 1.0, records[3].id: 0.0}

    def points_for(grader, record):
        return {**record_score(record).points, "objective_wording": harsh[record.id]}

    grade_session(session, graders, records, points_for)
    report = calibration_report(session)
    wording = next(item for item in report["criteria"] if item["key"] == "objective_wording")
    assert wording["alpha"] == 1.0
    assert wording["alpha_with_auto"] < 0.5
    assert report["complete"] is True
