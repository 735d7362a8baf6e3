"""Scores follow record changes; rubric versions keep old scores explainable; the bulk rescore."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from records.db import db as database
from records.enums import Role
from records.models import FollowUp
from records.timeutil import utcnow
from scoring.models import RecordScore, Rubric
from scoring.operations import record_score, scorecard, update_rubric


def stored(record) -> RecordScore:
    database.session.expire_all()
    return database.session.get(RecordScore, record.id)


def test_a_record_is_scored_when_saved_and_again_when_it_changes(make_record):
    record = make_record()
    first = stored(record)
    assert first is not None and first.rubric.version == 1
    assert 0 < first.score <= 100

    record.problem_description = "客户说有问题"
    record.handling_steps = "已处理"
    database.session.commit()
    assert stored(record).score < first.score
    assert stored(record).points["specific_problem"] == 0


def test_adding_a_follow_up_rescores_its_record(make_record):
    upcoming = (utcnow() + timedelta(days=5)).date().isoformat()
    record = make_record(
        status="pending", resolution=None, follow_ups=[{"action": "回访客户", "owner": "王磊", "due": upcoming}]
    )
    before = stored(record)
    assert before.points["follow_up_complete"] == 1 and before.points["follow_up_dates"] == 1
    overdue = (utcnow() - timedelta(days=3)).date()
    database.session.add(FollowUp(record_id=record.id, action="联系物流核实", owner="王磊", due=overdue))
    database.session.commit()
    after = stored(record)
    assert after.points["follow_up_dates"] == 0 and after.score < before.score


def test_rubric_edits_make_versions_and_old_scores_stay_explained_by_theirs(app, make_record, make_user):
    admin = make_user(Role.ADMIN)
    record = make_record()
    old = stored(record)
    assert old.rubric.version == 1

    rubric = update_rubric({"criteria": {"timeliness": {"weight": 50}}}, "timeliness matters more", by=admin)
    database.session.commit()
    assert rubric.version == 2
    assert stored(record).rubric.version == 1
    card = scorecard(record)
    assert card["rubric_version"] == 1
    assert next(item for item in card["criteria"] if item["key"] == "timeliness")["weight"] == 5

    database.session.commit()
    result = app.test_cli_runner().invoke(args=["scoring", "rescore"])
    assert result.exit_code == 0, result.output
    assert "Scored" in result.output
    assert stored(record).rubric.version == 2
    assert next(item for item in scorecard(record)["criteria"] if item["key"] == "timeliness")["weight"] == 50
    assert database.session.scalar(sa.select(sa.func.count()).select_from(Rubric)) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"criteria": {"no_such_check": {"weight": 5}}}, "criteria"),
        ({"criteria": {"timeliness": {"weight": 150}}}, "criteria"),
        ({"criteria": {"timeliness": {"scale": 0}}}, "criteria"),
        ({"timeliness_minutes": 0}, "timeliness_minutes"),
    ],
)
def test_invalid_rubric_edits_are_refused_and_write_nothing(make_user, changes, field):
    admin = make_user(Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        update_rubric(changes, None, by=admin)
    assert field in error.value.messages
    database.session.rollback()
    assert database.session.scalar(sa.select(sa.func.max(Rubric.version))) in (None, 1)


def test_only_administrators_change_the_rubric(make_user):
    from records.access import PermissionDenied

    with pytest.raises(PermissionDenied):
        update_rubric({"timeliness_minutes": 60}, None, by=make_user(Role.SUPERVISOR))


def test_a_record_without_a_stored_score_is_scored_on_first_read(make_record):
    record = make_record()
    database.session.execute(sa.delete(RecordScore))
    database.session.commit()
    assert record_score(record).score == scorecard(record)["score"]


def test_a_criterion_switched_back_on_keeps_where_it_applies(make_user):
    admin = make_user(Role.ADMIN)
    update_rubric({"criteria": {"follow_up_complete": {"enabled": False}}}, "off", by=admin)
    rubric = update_rubric({"criteria": {"follow_up_complete": {"weight": 10}}}, "back on", by=admin)
    criterion = next(item for item in rubric.definition["criteria"] if item["key"] == "follow_up_complete")
    assert criterion["statuses"] == ["pending", "transferred"] and criterion["critical"] is True
    assert criterion["zh"] == "待跟进事项（负责人+期限）"


def test_explanations_quote_the_record_with_personal_data_masked(make_record):
    record = make_record(problem_description="客户13812345678有问题", resolution="已处理")
    card = scorecard(record)
    texts = [
        item["explanation"][language] for item in card["criteria"] if item["explanation"] for language in ("zh", "en")
    ]
    assert any("138****5678" in text for text in texts)
    assert not any("13812345678" in text for text in texts)


def test_a_parallel_rescore_scores_every_record_as_a_single_process_does(make_record):
    from scoring.engine import rescore_all

    records = [
        make_record(problem_description=f"客户{day}月3日起登录提示“密码错误”，版本5.2.{day}") for day in range(1, 8)
    ]
    database.session.commit()

    def scores() -> dict[int, tuple[float, dict]]:
        database.session.expire_all()
        rows = database.session.scalars(sa.select(RecordScore).order_by(RecordScore.record_id)).all()
        result = {row.record_id: (row.score, row.points) for row in rows}
        database.session.commit()
        return result

    assert rescore_all(batch=2, workers=1) == len(records)
    single = scores()
    database.session.execute(sa.delete(RecordScore))
    database.session.commit()
    counted = []
    assert rescore_all(batch=2, workers=2, progress=counted.append) == len(records)
    assert scores() == single and sorted(single) == sorted(record.id for record in records)
    assert counted == [2, 2, 2, 1]


def test_a_record_older_than_scoring_is_shown_scored_and_stored_once_by_rescore_missing(app, make_record):
    older, scored = make_record(), make_record()
    database.session.execute(sa.delete(RecordScore).where(RecordScore.record_id == older.id))
    database.session.commit()
    kept = stored(scored).computed_at

    shown = record_score(older)
    assert 0 < shown.score <= 100 and shown.rubric.version == 1
    assert scorecard(older)["score"] == shown.score
    assert stored(older) is None  # reading does not store it

    database.session.commit()
    result = app.test_cli_runner().invoke(args=["scoring", "rescore", "--missing"])
    assert result.exit_code == 0, result.output
    assert "Scored 1 record(s)." in result.output
    assert stored(older).score == shown.score
    assert stored(scored).computed_at == kept  # records with a score are left alone
