"""Scoring records against the rubric, as Zendesk QA computes a score, and keeping every record's score current.

Each applicable criterion is normalised to its scale (points ÷ scale), the score is the weighted mean × 100, and a
failed critical criterion (fewer points than its scale) caps the score at the rubric's `critical_cap` (0 when the
rubric does not say: Zendesk QA's auto-fail, what rubric versions before issue 19's grading work do). A record is
scored again in the same transaction whenever it or its follow-ups change (a session hook), and in bulk by
`consultkb scoring rescore`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from records.changes import touch
from records.db import db, read_session
from records.models import FollowUp, Record
from records.timeutil import utcnow
from scoring.checks import CHECKS, applicability_key, applies, now_context
from scoring.models import RecordScore, Rubric
from scoring.tuning import Mapping, active_mapping, level_key, tune

DEFAULT_RUBRIC = Path(__file__).with_name("default_rubric.json")
PENDING_KEY = "scoring_pending_records"
#: Records scored per batch by the bulk rescore.
BATCH = 2000


def default_definition() -> dict:
    return json.loads(DEFAULT_RUBRIC.read_text(encoding="utf-8"))


_NEWEST_RUBRIC = sa.select(Rubric).order_by(Rubric.version.desc()).limit(1)
#: What the rubric list says of version 1, the shipped file, which nobody wrote a note for. It is stored without a
#: note (usually by a job or the CLI, in English) and described in the reader's language instead.
SHIPPED_DEFAULT = _l("shipped default")


def rubric_note(rubric: Rubric) -> str:
    """The note of a rubric version as shown to people: its author's, or "shipped default" for the shipped one."""
    if rubric.note:
        return rubric.note
    return str(SHIPPED_DEFAULT) if rubric.version == 1 and rubric.created_by_id is None else ""


def current_rubric(session: Session | None = None) -> Rubric:
    """The newest rubric version to score with; version 1 (the shipped file) is created on first use."""
    session = session or db.session
    newest = _NEWEST_RUBRIC
    rubric = session.scalars(newest).first()
    if rubric is None:
        try:
            # In a savepoint: two workers saving the very first records at once both try to create version 1.
            with session.begin_nested():
                rubric = Rubric(version=1, definition=default_definition())
                session.add(rubric)
        except sa.exc.IntegrityError:
            rubric = session.scalars(newest).one()
    return rubric


def newest_rubric(session: Session | None = None) -> Rubric:
    """The newest rubric version, for readers: before any is stored, the shipped one unsaved (version 1, which the
    first write stores through current_rubric). A page that shows scores must not write."""
    rubric = (session or db.session).scalars(_NEWEST_RUBRIC).first()
    return rubric or Rubric(version=1, definition=default_definition())


@dataclass
class CriterionResult:
    key: str
    name: dict[str, str]
    kind: str
    weight: float
    scale: float
    critical: bool
    applicable: bool
    points: float | None
    explanation: dict[str, str]
    suggestion: dict[str, str]
    #: The check's own points when this installation's tuning (scoring.tuning) changed them, else None.
    check_points: float | None = None

    @property
    def failed(self) -> bool:
        return self.applicable and self.points is not None and self.points < self.scale

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "weight": self.weight,
            "scale": self.scale,
            "critical": self.critical,
            "applicable": self.applicable,
            "points": self.points,
            "explanation": self.explanation or None,
            "suggestion": self.suggestion or None,
            "check_points": self.check_points,
        }


@dataclass
class Evaluation:
    score: float
    critical_failed: bool
    criteria: list[CriterionResult]

    def points(self) -> dict[str, float]:
        return {item.key: item.points for item in self.criteria if item.applicable}


def score_weights(definition: dict) -> dict[str, tuple[float, float, bool]]:
    """key → (weight, scale, critical) of each criterion, in the rubric's order."""
    return {
        criterion["key"]: (float(criterion["weight"]), float(criterion["scale"]), bool(criterion.get("critical")))
        for criterion in definition["criteria"]
    }


def weighted_score(
    definition: dict, points: dict[str, float], weights: dict[str, tuple[float, float, bool]] | None = None
) -> tuple[float, bool]:
    """0-100 from points per applicable criterion; a failed critical criterion caps it at critical_cap(definition).
    `weights` (score_weights of the definition) saves working them out again for every record of a batch."""
    weights = weights if weights is not None else score_weights(definition)
    total_weight = earned = 0.0
    critical_failed = False
    for key, (weight, scale, critical) in weights.items():
        value = points.get(key)
        if value is None:
            continue
        fraction = min(1.0, max(0.0, float(value) / scale))
        total_weight += weight
        earned += weight * fraction
        if critical and fraction < 1.0:
            critical_failed = True
    score = round(100.0 * earned / total_weight, 1) if total_weight else 100.0
    if critical_failed:
        return min(score, critical_cap(definition)), True
    return score, False


def critical_cap(definition: dict) -> float:
    """The most a record failing a critical criterion scores under this rubric. The shipped rubric says 30: its
    critical criteria (an open follow-up with owner and due date, no judgement of the customer, no unmasked personal
    data) are gates with weight 0, and a record failing one ranks with the poor ones, not below an empty record
    (supervisors' whole-record grades, bench/data/graded_records_dev2.jsonl). Without the key: 0, Zendesk QA's
    auto-fail."""
    return float(definition.get("critical_cap", 0))


def evaluate(
    record: Record, definition: dict, now: datetime | None = None, tuning: Mapping | None = None
) -> Evaluation:
    """Every criterion's points, explanation and suggestion; `tuning` (scoring.tuning.active_mapping) adjusts the
    points as stored scores have them, and the explanation says from what."""
    context = now_context(int(definition.get("timeliness_minutes", 30)), now or utcnow())
    results = []
    for criterion in definition["criteria"]:
        check = CHECKS.get(criterion["key"])
        applicable = check is not None and applies(criterion, record)
        outcome = check(record, float(criterion["scale"]), context) if applicable else None
        if outcome is not None and tuning and criterion["key"] in tuning:
            outcome, original = _tuned(outcome, float(criterion["scale"]), tuning[criterion["key"]])
        else:
            original = None
        results.append(
            CriterionResult(
                key=criterion["key"],
                name={"zh": criterion.get("zh", criterion["key"]), "en": criterion.get("en", criterion["key"])},
                kind=criterion.get("kind", "quality"),
                weight=float(criterion["weight"]),
                scale=float(criterion["scale"]),
                critical=bool(criterion.get("critical")),
                applicable=applicable,
                points=None if outcome is None else round(outcome.points, 3),
                explanation=outcome.explanation if outcome else {},
                suggestion=outcome.suggestion if outcome else {},
                check_points=original,
            )
        )
    evaluation = Evaluation(0.0, False, results)
    evaluation.score, evaluation.critical_failed = weighted_score(definition, evaluation.points())
    return evaluation


def _tuned(outcome, scale: float, levels: dict[str, float]):
    """The outcome with the tuned points, and the check's own points (None when the tuning leaves this level)."""
    fraction = levels.get(level_key(min(1.0, outcome.points / scale)))
    if fraction is None:
        return outcome, None
    original = round(outcome.points, 3)
    points = round(fraction * scale, 3)
    zh = f"本系统根据主管评分的调整：检查给 {original:g} 分，调整为 {points:g} 分。"
    en = (
        f"Adjusted by this installation's tuning from supervisors' grades: the check gave {original:g}, now {points:g}."
    )
    explanation = {
        "zh": " ".join(filter(None, [outcome.explanation.get("zh"), zh])),
        "en": " ".join(filter(None, [outcome.explanation.get("en"), en])),
    }
    return type(outcome)(points, explanation, outcome.suggestion), original


Plan = list[tuple[str, Callable, float, dict]]


def check_plan(definition: dict) -> Plan:
    """(key, check, scale, criterion) of the rubric's checks, looked up once per batch instead of per record."""
    return [
        (criterion["key"], CHECKS[criterion["key"]], float(criterion["scale"]), criterion)
        for criterion in definition["criteria"]
        if criterion["key"] in CHECKS
    ]


def points_for(record: Record, plan: Plan, context: dict) -> dict[str, float]:
    """Points per applicable criterion, without explanations: what is stored (explanations are made when shown)."""
    view = _LoadedValues(record)
    # Which criteria apply depends only on these fields: worked out once per combination, not per record.
    applicability = applicability_key(view)
    selected = context.setdefault("applicable_checks", {}).get(applicability)
    if selected is None:
        selected = [(key, check, scale) for key, check, scale, criterion in plan if applies(criterion, view)]
        context["applicable_checks"][applicability] = selected
    return {key: round(check(view, scale, context).points, 3) for key, check, scale in selected}


class _LoadedValues:
    """A record's loaded attribute values as plain attributes. The checks read some twenty attributes per record,
    and each read through SQLAlchemy's instrumentation costs more than the check around it in bulk rescoring;
    anything not loaded is still read from the record itself."""

    def __init__(self, record: Record):
        self.__dict__.update(record.__dict__)
        self._record = record

    def __getattr__(self, name: str):
        return getattr(self._record, name)


def store_scores(session: Session, rubric: Rubric, records: Iterable[Record], now: datetime | None = None) -> int:
    """Upsert the automatic score of each record; returns how many were scored."""
    records = list(records)
    rows = score_rows(rubric, records, now or utcnow(), active_mapping(session))
    if not rows:
        return 0
    session.execute(sa.delete(RecordScore).where(RecordScore.record_id.in_([row["record_id"] for row in rows])))
    # The table, not the mapped class: ORM bulk inserts cost more than the scoring itself in bulk rescoring.
    session.execute(RecordScore.__table__.insert(), rows)
    touch(session, [record.contacted_at for record in records])
    return len(rows)


def unstored_scores(rubric: Rubric, records: Iterable[Record], now: datetime | None = None) -> dict[int, RecordScore]:
    """record id → its automatic score computed now and left out of the session, for pages that show records no
    score was stored for yet (older than scoring, until `consultkb scoring rescore --missing`)."""
    rows = score_rows(rubric, records, now or utcnow(), active_mapping())
    return {row["record_id"]: RecordScore(**row, rubric=rubric) for row in rows}


def score_rows(
    rubric: Rubric, records: Iterable[Record], now: datetime, tuning: Mapping | None = None
) -> list[dict[str, Any]]:
    """The record_scores rows of `records` by `rubric` at `now`, with this installation's `tuning` applied."""
    definition = rubric.definition
    context = now_context(int(definition.get("timeliness_minutes", 30)), now, points_only=True)
    plan = check_plan(definition)
    weights = score_weights(definition)
    scales = {key: scale for key, (_weight, scale, _critical) in weights.items()}
    rows = []
    for record in records:
        points = points_for(record, plan, context)
        if tuning:
            points = tune(points, tuning, scales)
        score, critical_failed = weighted_score(definition, points, weights)
        rows.append(
            {
                "record_id": record.id,
                "rubric_id": rubric.id,
                "score": score,
                "critical_failed": critical_failed,
                "points": points,
                "computed_at": now,
            }
        )
    return rows


def record_batches(
    session: Session, batch: int = BATCH, *, first: int = 1, last: int | None = None
) -> Iterator[list[Record]]:
    """Every record (ids first..last) with its follow-ups and related records, `batch` at a time in id order; each
    batch is expunged once the caller is done with it, so memory stays flat however many records there are."""
    last_id = first - 1
    while True:
        # Archived records (retention) are read-only history: their score stays as it was when they were archived.
        query = sa.select(Record).where(Record.id > last_id, Record.archived_at.is_(None))
        if last is not None:
            query = query.where(Record.id <= last)
        records = session.scalars(
            query.order_by(Record.id)
            .limit(batch)
            .options(selectinload(Record.follow_ups), selectinload(Record.related))
        ).all()
        if not records:
            return
        last_id = records[-1].id
        yield list(records)
        session.expunge_all()


def id_ranges(session: Session, size: int) -> list[tuple[int, int]]:
    """Record ids cut into consecutive (first, last) ranges of at most `size` records."""
    ids = session.scalars(sa.select(Record.id).where(Record.archived_at.is_(None)).order_by(Record.id)).all()
    return [(ids[start], ids[min(start + size, len(ids)) - 1]) for start in range(0, len(ids), size)]


def score_range(first: int, last: int, rubric_id: int, now: datetime, batch: int = BATCH) -> int:
    """Score the records with ids first..last; returns the count.

    Records are read in a deferred read session and each batch's scores written in a short transaction of their
    own: on SQLite a transaction that writes holds the database's one write lock from its first statement, and
    parallel workers must not hold it while they compute.
    """
    total = 0
    with read_session() as reader, Session(db.engine) as writer:
        rubric = writer.get(Rubric, rubric_id)
        # Detached, it keeps its loaded definition and touching it starts no transaction.
        writer.expunge(rubric)
        writer.rollback()
        for records in record_batches(reader, batch, first=first, last=last):
            store_scores(writer, rubric, records, now)
            writer.commit()
            total += len(records)
    return total


_worker_app = None


def _start_worker(app: Flask) -> None:
    # A forked worker must not use the parent's pooled connections: it opens its own.
    global _worker_app
    _worker_app = app.app_context()
    _worker_app.push()
    db.engine.dispose(close=False)


def _score_range_in_worker(arguments: tuple[int, int, int, datetime]) -> int:
    return score_range(*arguments)


def rescore_all(
    *, progress: Callable[[int], None] | None = None, batch: int = BATCH, workers: int | None = None
) -> int:
    """Score every record with the newest rubric, `batch` records per transaction.

    Scoring is Python work for the CPU, so batches are spread over `workers` processes (SCORING_WORKERS, by default
    one per core); on SQLite their short write transactions take turns. Everything runs in sessions of its own, so
    the caller's session and the objects it holds are left alone.
    """
    now = utcnow()
    with Session(db.engine) as session:
        rubric_id = current_rubric(session).id
        session.commit()
        ranges = id_ranges(session, batch)
    if workers is None:
        workers = int(current_app.config.get("SCORING_WORKERS") or os.cpu_count() or 1)
    total = 0
    if workers <= 1 or len(ranges) <= 1:
        for first, last in ranges:
            count = score_range(first, last, rubric_id, now, batch)
            total += count
            if progress:
                progress(count)
        return total
    context = multiprocessing.get_context("fork")
    app = current_app._get_current_object()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(app,)) as pool:
        jobs = [(first, last, rubric_id, now) for first, last in ranges]
        for count in pool.map(_score_range_in_worker, jobs):
            total += count
            if progress:
                progress(count)
    return total


def score_missing(*, progress: Callable[[int], None] | None = None, batch: int = BATCH) -> int:
    """Score, with the newest rubric, the records that have no score: those older than scoring. Records are scored
    when they are written; pages show a missing score computed on the spot but never store it (a GET does not write),
    so this runs once after an upgrade. Archived records are left as they are, as rescore_all leaves them."""
    now = utcnow()
    total = 0
    # expire_on_commit off: the rubric and each batch stay readable after their transaction.
    with Session(db.engine, expire_on_commit=False) as session:
        rubric = current_rubric(session)
        session.commit()
        unscored = (
            sa.select(Record)
            .outerjoin(RecordScore, RecordScore.record_id == Record.id)
            .where(RecordScore.record_id.is_(None), Record.archived_at.is_(None))
            .order_by(Record.id)
            .limit(batch)
            .options(selectinload(Record.follow_ups), selectinload(Record.related))
        )
        while records := session.scalars(unscored).all():
            count = store_scores(session, rubric, records, now)
            session.commit()
            session.expunge_all()
            total += count
            if progress:
                progress(count)
    return total


# ----- keeping scores current ----------------------------------------------------------------------------------------


def _track(session: Session, flush_context, instances) -> None:
    # session.new/dirty are only known before the flush; ids of new rows only after it.
    records = [
        instance
        for instance in (*session.new, *session.dirty, *session.deleted)
        if isinstance(instance, Record | FollowUp)
    ]
    session.info.setdefault("scoring_seen", []).extend(records)


def _collect(session: Session, flush_context) -> None:
    pending: set[int] = session.info.setdefault(PENDING_KEY, set())
    for instance in session.info.pop("scoring_seen", []):
        if isinstance(instance, Record) and instance.id is not None and instance not in session.deleted:
            pending.add(instance.id)
        elif isinstance(instance, FollowUp) and instance.record_id is not None:
            pending.add(instance.record_id)


def _score_before_commit(session: Session) -> None:
    if session.info.get("scoring_running"):
        return
    # before_commit fires before the commit's own flush: flush now so this transaction's changes are tracked.
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not session.info.get(PENDING_KEY):
        return
    session.info["scoring_running"] = True
    try:
        while session.info.get(PENDING_KEY):
            ids = sorted(session.info.pop(PENDING_KEY))
            session.flush()
            records = session.scalars(
                sa.select(Record)
                .where(Record.id.in_(ids))
                .options(selectinload(Record.follow_ups), selectinload(Record.related))
            ).all()
            store_scores(session, current_rubric(session), records)
            session.flush()
            session.info.pop(PENDING_KEY, None)
    finally:
        session.info.pop("scoring_running", None)


def _forget(session: Session, *args) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop("scoring_seen", None)


def init_app(app: Flask) -> None:
    """Score records on save: listen once per process on every session."""
    for name, handler in (
        ("before_flush", _track),
        ("after_flush", _collect),
        ("before_commit", _score_before_commit),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(Session, name, handler):
            sa.event.listen(Session, name, handler)
