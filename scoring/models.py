"""Rubric versions, automatic scores, supervisors' grades, disputes and calibration sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.changes import track
from records.db import db
from records.enums import LabelledEnum
from records.models import Record, User, enum_column
from records.timeutil import utcnow


class Rubric(db.Model):
    """One version of the rubric. Versions are never changed: an edit makes the next one, so every score and
    grade can still be explained by the rubric that made it."""

    __tablename__ = "scoring_rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    #: The whole rubric as in scoring/default_rubric.json: name, timeliness_minutes, criteria.
    definition: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()


class RecordScore(db.Model):
    """The automatic score of a record as it is now; recomputed whenever the record changes.

    Only points per criterion are stored: explanations and suggestions are derived from the record and the rubric
    version when shown.
    """

    __tablename__ = "record_scores"

    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_rubrics.id"), index=True)
    score: Mapped[float] = mapped_column(index=True)
    critical_failed: Mapped[bool] = mapped_column(default=False)
    #: criterion key → points earned (criteria that did not apply are absent).
    points: Mapped[dict] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[Record] = relationship()
    rubric: Mapped[Rubric] = relationship()


class Grade(db.Model):
    """A person's grading of a record on the rubric; it overrides the automatic score, which is kept."""

    __tablename__ = "record_grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id", ondelete="CASCADE"), index=True)
    grader_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_rubrics.id"))
    points: Mapped[dict] = mapped_column(sa.JSON)
    score: Mapped[float]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: Set for grades given in a calibration session; those do not count as the record's grade.
    calibration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True
    )
    #: criterion key → the automatic points as the record's score had them when it was graded (tuned, if the
    #: installation's tuning was on), and the checks' own points before tuning: the override is a labelled example.
    auto_points: Mapped[dict | None] = mapped_column(sa.JSON)
    check_points: Mapped[dict | None] = mapped_column(sa.JSON)
    #: criterion key → agreement of the automatic with the grader's points, 0-100 (scoring.agreement).
    agreement: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Set by a dispute's final ruling (or its closing unanswered): the record's grade then stays as it is.
    locked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[Record] = relationship()
    grader: Mapped[User] = relationship()
    rubric: Mapped[Rubric] = relationship()
    dispute: Mapped[Dispute | None] = relationship(back_populates="grade", uselist=False, cascade="all, delete-orphan")


class DisputeStatus(LabelledEnum):
    OPEN = ("open", "待处理", "Open")
    UPHELD = ("upheld", "维持原评分", "Grade upheld")
    CHANGED = ("changed", "已改分", "Grade changed")
    EXPIRED = ("expired", "逾期关闭（维持原评分）", "Closed unanswered (grade stands)")


class Dispute(db.Model):
    """An agent disagreeing with a grade; a supervisor resolves it."""

    __tablename__ = "grade_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("record_grades.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus), default=DisputeStatus.OPEN, index=True)
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    #: The dispute closes by then (DISPUTE_DAYS after it was raised): a ruling, or it closes with the grade standing.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grade: Mapped[Grade] = relationship(back_populates="dispute")
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class CalibrationSession(db.Model):
    """Several graders score the same sample of records; agreement shows whether the rubric is read alike."""

    __tablename__ = "calibration_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    record_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    grader_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    grades: Mapped[list[Grade]] = relationship(order_by="Grade.id")


class CriterionTuning(db.Model):
    """This installation's adjustment of one criterion's automatic points, learnt from supervisors' overrides
    (scoring.tuning): for each level of points the check gives, the points graders gave on average, shrunk towards
    the check's and bounded. The rubric owner sees it, switches it off and on, or removes it."""

    __tablename__ = "scoring_tunings"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion: Mapped[str] = mapped_column(sa.String(60), unique=True)
    #: The check's points as a fraction of the scale ("0.5") → the tuned fraction.
    mapping: Mapped[dict] = mapped_column(sa.JSON)
    #: Graded records it was learnt from, and their agreement (0-100) before and after, on those same grades.
    examples: Mapped[int]
    agreement_before: Mapped[float | None]
    agreement_after: Mapped[float | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    fitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    fitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    fitted_by: Mapped[User | None] = relationship()


# A record's scores and grades are part of the report figures kept per contact day (records.changes).
track(RecordScore)
track(Grade)
