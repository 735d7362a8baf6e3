"""What the case library suggests: records worth a case (top, bottom, upset customers satisfied in the end, many
transfers, by dimension) and, for agents weak on a criterion, the pack that teaches it."""

from __future__ import annotations

from datetime import datetime

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.enums import Role
from scoring.cases.operations import create_case
from scoring.cases.packs import create_collection, publish_collection
from scoring.cases.suggestions import record_suggestions, weak_agents
from scoring.cases.training import assign_collection, complete_collection
from scoring.models import Grade
from scoring.operations import record_score
from scoring.reports import parse_period

NOVEMBER = parse_period("2026-11")


def set_score(db, record, score: float, points: dict | None = None) -> None:
    stored = record_score(record)
    stored.score = score
    if points is not None:
        stored.points = points
    db.session.commit()


def suggested(viewer, kind, **kwargs) -> list[str]:
    start, end = NOVEMBER
    return [
        item["record_number"] for item in record_suggestions(viewer=viewer, kind=kind, start=start, end=end, **kwargs)
    ]


@pytest.fixture
def scored(db, people, make_record):
    """Four resolved records scored 90, 80, 70 and 60; the 60 one graded 95 by its supervisor."""
    records = [make_record(agent=people["agent"]) for _ in range(4)]
    for record, score in zip(records, (90, 80, 70, 60), strict=True):
        set_score(db, record, score)
    stored = record_score(records[3])
    grade = Grade(record_id=records[3].id, grader_id=people["supervisor"].id, rubric_id=stored.rubric_id, points={})
    grade.score = 95
    db.session.add(grade)
    db.session.commit()
    return records


def test_top_and_bottom_use_the_effective_score(db, people, scored):
    trainer = people["trainer"]
    numbers = [record.number for record in scored]
    assert suggested(trainer, "top") == [numbers[3], numbers[0], numbers[1], numbers[2]]
    assert suggested(trainer, "bottom", limit=2) == [numbers[2], numbers[1]]
    item = record_suggestions(viewer=trainer, kind="top", start=NOVEMBER[0], end=NOVEMBER[1], limit=1)[0]
    assert (item["score"], item["auto_score"], item["grade_score"]) == (95, 60, 95)
    assert item["suggested_kind"] == "exemplary"


def test_records_already_made_into_cases_and_outside_the_period_are_left_out(db, people, scored, make_record):
    trainer = people["trainer"]
    create_case(scored[3], {"kind": "exemplary", "dimensions": ["communication"]}, by=trainer)
    db.session.commit()
    october = make_record(agent=people["agent"], contacted_at="2026-10-20 10:00")
    set_score(db, october, 100)
    assert scored[3].number not in suggested(trainer, "top")
    assert october.number not in suggested(trainer, "top")
    assert suggested(trainer, "top")[0] == scored[0].number
    scored[0].archived_at = datetime(2026, 11, 20, 0, 0)  # archived by retention: read-only history
    db.session.commit()
    assert suggested(trainer, "top")[0] == scored[1].number


def test_upset_customers_resolved_with_high_satisfaction(db, people, make_record):
    trainer = people["trainer"]
    agent = people["agent"]
    angry = make_record(agent=agent, emotion="angry", satisfaction=5)
    impatient = make_record(agent=agent, emotion="impatient", satisfaction=4)
    make_record(agent=agent, emotion="calm", satisfaction=5)
    make_record(agent=agent, emotion="angry", satisfaction=3)
    make_record(
        agent=agent,
        emotion="angry",
        status="pending",
        resolution=None,
        satisfaction=5,
        follow_ups=[{"action": "回电", "owner": "赵敏", "due": "2026-11-10"}],
    )
    assert suggested(trainer, "angry_resolved") == [angry.number, impatient.number]
    item = record_suggestions(viewer=trainer, kind="angry_resolved", start=NOVEMBER[0], end=NOVEMBER[1])[0]
    assert "empathy" in item["suggested_dimensions"]


def test_records_handed_to_several_departments(db, people, make_record):
    trainer = people["trainer"]
    departments = [{"department": name} for name in ("技术部", "财务部", "物流部")]
    three = make_record(agent=people["agent"], collaboration=departments)
    two = make_record(agent=people["agent"], collaboration=departments[:2])
    make_record(agent=people["agent"], collaboration=departments[:1])
    assert suggested(trainer, "transfers") == [three.number, two.number]
    item = record_suggestions(viewer=trainer, kind="transfers", start=NOVEMBER[0], end=NOVEMBER[1])[0]
    assert item["transfers"] == 3 and item["suggested_kind"] == "cautionary"


def test_a_dimension_ranks_by_its_own_criteria(db, people, make_record):
    trainer = people["trainer"]
    thorough = make_record(agent=people["agent"])
    sloppy = make_record(agent=people["agent"])
    full = {"concrete_steps": 2, "resolution_outcome": 1, "resolution_confirmed": 2, "objective_wording": 0}
    set_score(db, thorough, 50, full)
    set_score(db, sloppy, 90, {"concrete_steps": 0, "resolution_outcome": 0, "resolution_confirmed": 0})
    assert suggested(trainer, "top") == [sloppy.number, thorough.number]
    assert suggested(trainer, "top", dimension="problem_solving") == [thorough.number, sloppy.number]
    assert suggested(trainer, "bottom", dimension="problem_solving") == [sloppy.number, thorough.number]
    item = record_suggestions(
        viewer=trainer, kind="top", dimension="problem_solving", start=NOVEMBER[0], end=NOVEMBER[1]
    )[0]
    # concrete_steps, resolution_outcome, resolution_confirmed and the resolution rate all full.
    assert item["dimension_value"] == 1.0
    assert item["suggested_dimensions"] == ["problem_solving"]


def test_suggestions_show_scrubbed_text_only(db, people, make_record):
    record = make_record(
        agent=people["agent"],
        customer={"name": "王小明", "phone": "13812345678"},
        problem_description="王小明先生来电，手机13812345678，说App闪退。张先生是他的同事。",
        satisfaction=5,
    )
    item = record_suggestions(viewer=people["trainer"], kind="top", start=NOVEMBER[0], end=NOVEMBER[1])[0]
    assert item["record_number"] == record.number
    assert item["excerpt"] == "客户A来电，手机[电话]，说App闪退。[姓名]是他的同事。"


def test_only_curators_get_suggestions_and_bad_arguments_are_refused(db, people):
    with pytest.raises(PermissionDenied):
        suggested(people["supervisor"], "top")
    for kwargs in ({"kind": "best"}, {"kind": "top", "dimension": "charm"}, {"kind": "top", "limit": 0}):
        with pytest.raises(ValidationError):
            record_suggestions(viewer=people["trainer"], start=NOVEMBER[0], end=NOVEMBER[1], **kwargs)


# ----- weak agents -------------------------------------------------------------------------------------------------


def transferred(make_record, agent):
    return make_record(
        agent=agent,
        status="transferred",
        resolution=None,
        satisfaction=None,
        follow_ups=[{"action": "财务部重开发票", "owner": "赵敏", "due": "2026-11-10"}],
        collaboration=[{"department": "财务部", "ticket_no": "CW-1"}],
    )


@pytest.fixture
def team(db, people, make_user, make_record):
    """In 客服A组: `slow` passes 6 records on, `solid` resolves 6, `new` passed on only 3."""
    slow = make_user(Role.AGENT, team="客服A组", display_name="慢")
    solid = people["agent"]
    new = make_user(Role.AGENT, team="客服A组", display_name="新")
    for _ in range(6):
        transferred(make_record, slow)
        make_record(agent=solid)
    for _ in range(3):
        transferred(make_record, new)
    return {"slow": slow, "solid": solid, "new": new}


@pytest.fixture
def library(db, people, make_record):
    """Published packs: one of problem-solving cases, one of empathy cases, one tagged "resolution_rate";
    and a draft of problem-solving cases."""
    trainer = people["trainer"]
    source = make_record(agent=people["other_agent"], contacted_at="2026-09-01 10:00")

    def case(dimensions, kind="exemplary"):
        return create_case(source, {"kind": kind, "dimensions": dimensions}, by=trainer).id

    solving = create_collection(
        {"title": "高效解答", "case_ids": [case(["problem_solving"]) for _ in range(2)]}, by=trainer
    )
    empathy = create_collection({"title": "安抚情绪", "case_ids": [case(["empathy"])]}, by=trainer)
    draft = create_collection({"title": "草稿", "case_ids": [case(["problem_solving"]) for _ in range(3)]}, by=trainer)
    tagged = create_collection(
        {"title": "首问负责", "criteria": ["resolution_rate"], "case_ids": [case(["communication"])]}, by=trainer
    )
    for pack in (solving, empathy, tagged):
        publish_collection(pack, by=trainer)
    db.session.commit()
    return {"solving": solving, "empathy": empathy, "draft": draft, "tagged": tagged}


def weakness(rows, agent, criterion):
    row = next((row for row in rows if row["agent_id"] == agent.id), None)
    if row is None:
        return None
    return next((item for item in row["weaknesses"] if item["criterion"] == criterion), None)


def test_an_agent_well_below_the_team_gets_the_pack_that_teaches_it(db, people, team, library):
    rows = weak_agents(viewer=people["supervisor"], start=NOVEMBER[0], end=NOVEMBER[1])
    weak = weakness(rows, team["slow"], "resolution_rate")
    assert weak is not None
    assert weak["agent_mean"] == 0.0 and weak["records"] == 6
    assert weak["team_mean"] == pytest.approx(6 / 15, abs=0.001)
    # Tagged with the criterion first, then the pack with the most cases teaching it; never a draft.
    assert weak["pack"]["title"] == "首问负责"
    assert [pack["title"] for pack in weak["other_packs"]] == ["高效解答"]
    assert weakness(rows, team["solid"], "resolution_rate") is None
    assert weakness(rows, team["new"], "resolution_rate") is None  # 3 records are too few to tell


def test_assigned_and_read_packs_are_marked(db, people, team, library):
    supervisor = people["supervisor"]
    assign_collection(library["tagged"], [team["slow"]], by=supervisor, criterion="resolution_rate")
    assign_collection(library["solving"], [team["slow"]], by=supervisor)
    complete_collection(library["solving"], team["slow"])
    db.session.commit()
    weak = weakness(weak_agents(viewer=supervisor, start=NOVEMBER[0], end=NOVEMBER[1]), team["slow"], "resolution_rate")
    assert weak["pack"] == {
        "id": library["tagged"].id,
        "title": "首问负责",
        "cases": 1,
        "assigned": True,
        "completed": False,
    }
    assert weak["other_packs"][0]["completed"] is True


def test_the_margin_and_minimum_are_configurable(app, db, people, team, library, monkeypatch):
    monkeypatch.setitem(app.config, "CASE_WEAKNESS_MIN_RECORDS", 3)
    rows = weak_agents(viewer=people["trainer"], start=NOVEMBER[0], end=NOVEMBER[1])
    assert weakness(rows, team["new"], "resolution_rate") is not None
    monkeypatch.setitem(app.config, "CASE_WEAKNESS_MARGIN", 0.9)
    rows = weak_agents(viewer=people["trainer"], start=NOVEMBER[0], end=NOVEMBER[1])
    assert weakness(rows, team["slow"], "resolution_rate") is None


def test_supervisors_see_their_own_team_only(db, people, team, library):
    assert weak_agents(viewer=people["other_supervisor"], start=NOVEMBER[0], end=NOVEMBER[1]) == []
    with pytest.raises(PermissionDenied):
        weak_agents(viewer=people["other_supervisor"], team_id=team["slow"].team_id)
    with pytest.raises(PermissionDenied):
        weak_agents(viewer=people["agent"])
    rows = weak_agents(viewer=people["admin"], start=NOVEMBER[0], end=NOVEMBER[1], team_id=team["slow"].team_id)
    assert weakness(rows, team["slow"], "resolution_rate") is not None


def test_no_pack_is_suggested_when_none_teaches_the_criterion(db, people, team):
    weak = weakness(
        weak_agents(viewer=people["trainer"], start=NOVEMBER[0], end=NOVEMBER[1]), team["slow"], "resolution_rate"
    )
    assert weak["pack"] is None and weak["other_packs"] == []
