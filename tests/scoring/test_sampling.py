"""Review samples: the lowest automatic scores plus a stratified random sample, repeatable with a seed."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.enums import Role
from scoring.calibration import create_session
from scoring.grading import grade_record
from scoring.operations import record_score
from scoring.sampling import review_period, review_sample, sample_agent_ids
from tests.scoring.helpers import full_points

#: Records are contacted on 2026-11-02 unless a test says otherwise.
NOVEMBER = review_period(date(2026, 11, 1), date(2026, 11, 10))
PENDING = {
    "status": "pending",
    "resolution": None,
    "follow_ups": [{"action": "回电", "owner": "王磊", "due": "2026-12-01"}],
}
#: Variations that cost the automatic score different amounts, so the lowest scores are known.
WEAKER = [
    {},
    {"satisfaction": None},
    {"handling_steps": "已处理"},
    {"handling_steps": "已处理", "satisfaction": None},
    {"problem_description": "客户反映有问题", "handling_steps": "已处理", "satisfaction": None},
    {
        "problem_description": "客户反映有问题",
        "handling_steps": "已处理",
        "customer_request": None,
        "satisfaction": None,
    },
]


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, team="客服A组")


def sample_ids(agent, **kwargs) -> list[int]:
    start, end = NOVEMBER
    return [record.id for record in review_sample(agent_ids=[agent.id], start=start, end=end, **kwargs)[agent.id]]


def test_the_period_is_local_days_inclusive():
    start, end = NOVEMBER  # Asia/Shanghai is UTC+8
    assert (start.isoformat(), end.isoformat()) == ("2026-10-31T16:00:00", "2026-11-10T16:00:00")


def test_the_lowest_automatic_scores_come_first(db, agent, make_record):
    records = [make_record(agent=agent, **changes) for changes in WEAKER]
    by_score = sorted(records, key=lambda record: (record_score(record).score, record.id))
    assert record_score(by_score[0]).score < record_score(by_score[1]).score < record_score(by_score[2]).score

    ids = sample_ids(agent, per_agent=4, lowest=2, seed=1)
    assert ids[:2] == [by_score[0].id, by_score[1].id]
    assert len(ids) == len(set(ids)) == 4
    assert sample_ids(agent, per_agent=2, lowest=5, seed=1) == [by_score[0].id, by_score[1].id]


def test_the_same_seed_gives_the_same_sample(db, agent, make_record):
    for index in range(12):
        make_record(agent=agent, channel="phone" if index % 2 else "email")
    first = sample_ids(agent, per_agent=5, lowest=0, seed=42)
    assert sample_ids(agent, per_agent=5, lowest=0, seed=42) == first
    samples = {tuple(sorted(sample_ids(agent, per_agent=5, lowest=0, seed=seed))) for seed in range(10)}
    assert len(samples) > 1


def test_graded_records_other_periods_and_other_agents_are_left_out(db, agent, make_user, make_record):
    supervisor = make_user(Role.SUPERVISOR, team="客服A组")
    trainer = make_user(Role.TRAINER)
    graded = make_record(agent=agent)
    practised = make_record(agent=agent)
    open_ = make_record(agent=agent)
    last_minute = make_record(agent=agent, contacted_at="2026-11-10 23:59")
    make_record(agent=agent, contacted_at="2026-11-11 00:00")
    make_record(agent=agent, contacted_at="2026-10-31 23:59")
    make_record(agent=make_user(Role.AGENT, team="客服A组"))
    grade_record(graded, full_points(graded), None, by=supervisor)
    session = create_session("Nov", [practised.id], [supervisor.id, trainer.id], by=trainer)
    grade_record(practised, full_points(practised), None, by=trainer, calibration=session)
    db.session.commit()

    # Fewer candidates than asked for: all of them, once each. Calibration grades are not the record's grade.
    assert sorted(sample_ids(agent, per_agent=10, lowest=2, seed=3)) == sorted([practised.id, open_.id, last_minute.id])


def test_the_random_part_is_stratified_by_status_and_channel(db, agent, make_record):
    for status in ({}, PENDING):
        for channel in ("phone", "phone", "phone", "email", "email", "email"):
            make_record(agent=agent, channel=channel, **status)
    for seed in range(8):
        start, end = NOVEMBER
        records = review_sample(agent_ids=[agent.id], start=start, end=end, per_agent=4, lowest=0, seed=seed)[agent.id]
        assert Counter((record.status.value, record.channel.value) for record in records) == {
            ("resolved", "phone"): 1,
            ("resolved", "email"): 1,
            ("pending", "phone"): 1,
            ("pending", "email"): 1,
        }, seed


def test_statuses_get_slots_in_proportion(db, agent, make_record):
    for _ in range(6):
        make_record(agent=agent)
    for _ in range(2):
        make_record(agent=agent, **PENDING)
    statuses = Counter(
        record.status.value
        for record in review_sample(agent_ids=[agent.id], start=NOVEMBER[0], end=NOVEMBER[1], per_agent=4, lowest=0)[
            agent.id
        ]
    )
    assert statuses == {"resolved": 3, "pending": 1}


def test_every_agent_asked_for_gets_an_entry(db, agent, make_user, make_record):
    quiet = make_user(Role.AGENT, team="客服A组")
    make_record(agent=agent)
    start, end = NOVEMBER
    sample = review_sample(agent_ids=[agent.id, quiet.id], start=start, end=end, seed=1)
    assert [len(sample[agent.id]), len(sample[quiet.id])] == [1, 0]


def test_sample_parameters_are_checked(db, agent):
    start, end = NOVEMBER
    for kwargs, field in (({"per_agent": 0}, "per_agent"), ({"lowest": -1}, "lowest"), ({"start": end}, "from")):
        with pytest.raises(ValidationError) as caught:
            review_sample(**{"agent_ids": [agent.id], "start": start, "end": end, **kwargs})
        assert field in caught.value.messages


def test_supervisors_sample_their_own_team_admins_any(db, agent, make_user):
    supervisor = make_user(Role.SUPERVISOR, team="客服A组")
    colleague = make_user(Role.AGENT, team="客服A组")
    stranger = make_user(Role.AGENT, team="客服B组")
    admin = make_user(Role.ADMIN)
    assert sample_agent_ids(supervisor) == [agent.id, colleague.id]
    assert sample_agent_ids(supervisor, agent=colleague.username) == [colleague.id]
    assert sample_agent_ids(admin) == [agent.id, colleague.id, stranger.id]
    assert sample_agent_ids(admin, team="客服B组") == [stranger.id]
    with pytest.raises(PermissionDenied):
        sample_agent_ids(supervisor, agent=stranger.username)
    with pytest.raises(PermissionDenied):
        sample_agent_ids(supervisor, team="客服B组")
    for user in (agent, make_user(Role.TRAINER)):
        with pytest.raises(PermissionDenied):
            sample_agent_ids(user)
    with pytest.raises(ValidationError):
        sample_agent_ids(admin, agent="nobody")
