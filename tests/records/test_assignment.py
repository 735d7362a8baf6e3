"""Assignment: rules on creation (round robin, fewest open, VIP to senior staff), reassignment with history, who may
assign and be assigned, follow-up owners as users."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied, can_view_record, record_scope
from records.assignment import assign_record, assignment_history, create_rule, list_rules, move_rule, update_rule
from records.db import db
from records.enums import Role
from records.models import Record
from records.operations import add_follow_up, create_record, update_record
from records.presenting import record_to_dict
from records.schemas import FollowUpInputSchema, RecordInputSchema, RecordUpdateSchema
from tests.conftest import record_payload


@pytest.fixture
def team(make_user):
    return {
        "agent": make_user(Role.AGENT, team="客服A组", username="li"),
        "senior": make_user(Role.AGENT, team="客服A组", username="senior"),
        "second": make_user(Role.AGENT, team="客服A组", username="second"),
        "supervisor": make_user(Role.SUPERVISOR, team="客服A组", username="boss"),
        "outsider": make_user(Role.AGENT, team="客服B组", username="outsider"),
        "admin": make_user(Role.ADMIN, username="root"),
        "trainer": make_user(Role.TRAINER, username="teacher"),
    }


def new_record(by, **overrides):
    record = create_record(RecordInputSchema().load(record_payload(status="open", **overrides)), by=by)
    db.session.commit()
    return record


def test_without_rules_a_record_is_handled_by_its_agent(team):
    record = new_record(team["agent"])
    assert record.assignee is None
    assert record_to_dict(record, viewer=team["agent"])["assignee"] is None
    assert assignment_history(record) == []


def test_vip_customers_go_to_the_named_senior_agent(team):
    create_rule(
        {"name": "VIP → senior", "customer_tier": "vip", "candidates": ["senior"], "strategy": "round_robin"},
        by=team["admin"],
    )
    vip = new_record(team["agent"], customer={"name": "王女士", "phone": "13900001111", "tier": "vip"})
    regular = new_record(team["agent"], customer={"name": "赵先生", "phone": "13900002222"})
    assert vip.assignee == team["senior"] and regular.assignee is None
    (change,) = assignment_history(vip)
    assert change.by_id is None and change.to_user_id == team["senior"].id and change.rule_name == "VIP → senior"
    # The senior agent now sees (and may work on) the record; the agent who took it still does too.
    assert can_view_record(team["senior"], vip) and can_view_record(team["agent"], vip)
    visible = db.session.scalars(db.select(Record.id).where(record_scope(team["senior"]))).all()
    assert visible == [vip.id]


def test_round_robin_takes_turns_and_fewest_open_balances(team):
    rule = create_rule(
        {"name": "Phone", "channel": "phone", "candidates": ["senior", "second"], "strategy": "round_robin"},
        by=team["admin"],
    )
    turns = [new_record(team["agent"]).assignee.username for _ in range(3)]
    assert turns == ["senior", "second", "senior"]
    update_rule(rule, {"strategy": "fewest_open"}, by=team["admin"])
    # senior handles 2 open records, second 1: the next goes to second, then they are even (lowest id first).
    assert new_record(team["agent"]).assignee.username == "second"
    assert new_record(team["agent"]).assignee.username == "senior"


def test_rules_are_tried_in_order_and_skip_candidates_who_may_not_handle(team):
    create_rule({"name": "Other team only", "candidates": ["outsider"]}, by=team["admin"])
    second = create_rule({"name": "Everyone", "candidates": ["second"]}, by=team["admin"])
    # The outsider cannot handle 客服A组's record, so the first rule has nobody and the next one applies.
    assert new_record(team["agent"]).assignee.username == "second"
    move_rule(second, -1, by=team["admin"])
    assert [rule.name for rule in list_rules()] == ["Everyone", "Other team only"]


def test_an_assignee_given_on_creation_beats_the_rules(team):
    create_rule({"name": "Everyone", "candidates": ["second"]}, by=team["admin"])
    record = new_record(team["supervisor"], agent="li", assignee="senior")
    assert record.assignee.username == "senior"
    # An agent may take a record on themselves, not hand it to someone else.
    mine = new_record(team["agent"], assignee="li")
    assert mine.assignee == team["agent"]
    with pytest.raises(PermissionDenied):
        new_record(team["agent"], assignee="senior")


def test_reassigning_keeps_history_and_checks_who(team):
    record = new_record(team["agent"])
    with pytest.raises(PermissionDenied):
        assign_record(record, team["second"], by=team["agent"])
    with pytest.raises(ValidationError) as refused:
        assign_record(record, team["outsider"], by=team["supervisor"])
    assert "客服A组" not in str(refused.value.messages) and "team" in str(refused.value.messages)
    with pytest.raises(ValidationError):
        assign_record(record, team["trainer"], by=team["admin"])
    assert assign_record(record, team["second"], by=team["supervisor"])
    assert not assign_record(record, team["second"], by=team["supervisor"])  # nothing changes
    update_record(record, RecordUpdateSchema().load({"assignee": None}), by=team["admin"])
    db.session.commit()
    history = [(c.by_id, c.from_user_id, c.to_user_id) for c in assignment_history(record)]
    assert history == [
        (team["supervisor"].id, None, team["second"].id),
        (team["admin"].id, team["second"].id, None),
    ]
    with pytest.raises(ValidationError) as unknown:
        update_record(record, RecordUpdateSchema().load({"assignee": "nobody-here"}), by=team["admin"])
    assert "nobody-here" in str(unknown.value.messages["assignee"])


def test_rule_input_is_checked(team):
    with pytest.raises(ValidationError) as refused:
        create_rule(
            {"name": " ", "category": "不存在的类别", "team": "无此组", "candidates": ["teacher", "ghost"]},
            by=team["admin"],
        )
    assert set(refused.value.messages) == {"name", "category", "team", "candidates"}
    with pytest.raises(PermissionDenied):
        create_rule({"name": "x", "candidates": ["second"]}, by=team["supervisor"])


def test_a_follow_up_owner_may_be_a_user_and_written_names_are_kept(team):
    record = new_record(team["agent"])
    by_user = add_follow_up(
        record,
        FollowUpInputSchema().load({"action": "回电", "owner_user": "second", "due": "2026-12-01"}),
        by=team["agent"],
    )
    assert by_user.owner_user == team["second"] and by_user.owner == team["second"].display_name
    # A written name that is a username of the team links the user; another name stays text only.
    named = add_follow_up(
        record, FollowUpInputSchema().load({"action": "a", "owner": "senior", "due": "2026-12-01"}), by=team["agent"]
    )
    other = add_follow_up(
        record,
        FollowUpInputSchema().load({"action": "b", "owner": "技术部-李工", "due": "2026-12-01"}),
        by=team["agent"],
    )
    assert named.owner_user == team["senior"] and other.owner_user is None and other.owner == "技术部-李工"
    with pytest.raises(ValidationError):
        add_follow_up(
            record,
            FollowUpInputSchema().load({"action": "c", "owner_user": "outsider", "due": "2026-12-01"}),
            by=team["agent"],
        )
    with pytest.raises(ValidationError) as no_owner:
        FollowUpInputSchema().load({"action": "c", "due": "2026-12-01"})
    assert "owner" in no_owner.value.messages
    owners = [item["owner_user"] for item in record_to_dict(record, viewer=team["agent"])["follow_ups"]]
    assert sorted(owner or "" for owner in owners) == ["", "second", "senior"]


def test_a_record_moved_to_another_team_leaves_its_assignee(team):
    record = new_record(team["supervisor"], agent="li", assignee="senior")
    update_record(record, RecordUpdateSchema().load({"team": "客服B组"}), by=team["admin"])
    db.session.commit()
    assert record.assignee is None and not can_view_record(team["senior"], record)
    assert assignment_history(record)[-1].to_user_id is None
