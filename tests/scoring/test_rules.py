"""Rules scoring writes in Python and in SQL, side by side: both forms agree on the same records."""

from __future__ import annotations

import sqlalchemy as sa

from records.db import db
from records.models import Record
from scoring.grading import (
    counts_for_record,
    counts_for_record_sql,
    effective,
    effective_sql,
    newest_record_grade,
    newest_record_grades_sql,
)
from scoring.models import CalibrationSession, Grade, RecordScore
from scoring.operations import record_score
from scoring.reports import TEMPLATE_FIELDS

FOLLOW_UP = [{"action": "等待技术部回复", "owner": "王芳", "due": "2026-11-20"}]


def test_filled_and_applies_agree_in_python_and_sql(make_record):
    records = [
        make_record(),
        make_record(status="pending", follow_ups=FOLLOW_UP, resolution=None, satisfaction=None),
        make_record(status="transferred", follow_ups=FOLLOW_UP, collaboration=[{"department": "技术部"}]),
        make_record(status="transferred", follow_ups=FOLLOW_UP, key_details="  ", customer_request=""),
        make_record(status="unresolvable", resolution="无法解决：系统限制。", emotion=None, duration_minutes=None),
    ]
    # Linked by the agent of the other record: only a record one may see can be linked.
    linked = make_record(records[0].agent, status="transferred", follow_ups=FOLLOW_UP, related=[records[0].number])
    records.append(linked)
    # Values the input schema would not let through, written as an import or an old row might hold them.
    bare = records[0]
    bare.problem_description, bare.handling_steps, bare.attachments = "   ", "", []
    bare.category, bare.subcategory = "功能故障", None
    records[2].attachments = [{"name": "screenshot.png"}]
    db.session.commit()
    ids = [record.id for record in records]
    for field in TEMPLATE_FIELDS:
        in_sql = set(db.session.scalars(sa.select(Record.id).where(Record.id.in_(ids), field.filled_sql)))
        in_python = {record.id for record in records if field.filled(record)}
        assert in_sql == in_python, field.key
        applies_sql = set(db.session.scalars(sa.select(Record.id).where(Record.id.in_(ids), field.applies_sql())))
        assert applies_sql == {record.id for record in records if field.applies(record)}, field.key
    # The records cover both answers of every field, or the comparison above proves little.
    assert all(0 < sum(field.filled(record) for record in records) < len(records) for field in TEMPLATE_FIELDS)


def test_the_newest_grade_outside_calibration_replaces_the_score_in_python_and_sql(make_record, people):
    supervisor = people["supervisor"]
    session = CalibrationSession(name="周校准", record_ids=[], grader_ids=[supervisor.id])
    db.session.add(session)
    ungraded, graded, regraded, calibrated_only, calibrated_last = (make_record() for _ in range(5))
    rubric_id = record_score(graded).rubric_id

    def grade(record: Record, score: float, calibration: CalibrationSession | None = None) -> None:
        db.session.add(
            Grade(
                record_id=record.id,
                grader_id=supervisor.id,
                rubric_id=rubric_id,
                points={},
                score=score,
                calibration_id=calibration.id if calibration else None,
            )
        )
        db.session.flush()  # ids in the order given: the newest grade is the last one added

    db.session.flush()
    grade(graded, 70)
    grade(regraded, 40)
    grade(regraded, 95)
    grade(calibrated_only, 20, session)
    grade(calibrated_last, 60)
    grade(calibrated_last, 10, session)
    db.session.commit()
    records = [ungraded, graded, regraded, calibrated_only, calibrated_last]

    in_python = {}
    for record in records:
        grades = db.session.scalars(sa.select(Grade).where(Grade.record_id == record.id)).all()
        newest = newest_record_grade(grades)
        in_python[record.id] = (newest.id if newest else None, effective(record_score(record).score, newest))
    newest = newest_record_grades_sql()
    query = (
        sa.select(Record.id, newest.c.grade_id, effective_sql(RecordScore.score, newest.c.score))
        .join(RecordScore, RecordScore.record_id == Record.id)
        .outerjoin(newest, newest.c.record_id == Record.id)
        .where(Record.id.in_([record.id for record in records]))
    )
    in_sql = {record_id: (grade_id, score) for record_id, grade_id, score in db.session.execute(query)}
    assert in_sql == in_python
    scores = {record.id: score for record, (_grade, score) in zip(records, in_python.values(), strict=True)}
    assert [scores[record.id] for record in (graded, regraded, calibrated_last)] == [70, 95, 60]
    assert scores[calibrated_only.id] == record_score(calibrated_only).score

    all_grades = db.session.scalars(sa.select(Grade)).all()
    counting = set(db.session.scalars(sa.select(Grade.id).where(counts_for_record_sql())))
    assert counting == {grade.id for grade in all_grades if counts_for_record(grade)}
    assert len(counting) == 4
