"""This installation's tuning of the checks, learnt from supervisors' overrides.

Every grade outside calibration is a labelled example: for each criterion, the points the check gave (kept with the
grade as `check_points`) and the points the supervisor gave. Where supervisors keep giving other points than a check
at one of its levels (the check says 0 of 2 for "specific problem" and supervisors say 1 or 2), the tuning moves that
level's points towards theirs:

    tuned = level + clip(n ÷ (n + PRIOR) × (median of the graders' points − level), ±MAX_SHIFT)

with all points as fractions of the criterion's scale, and only for levels with at least MIN_EXAMPLES grades. It is
bounded (never more than MAX_SHIFT of the scale, shrunk while examples are few), visible (the rubric page lists
every tuned level, how many grades it came from and the agreement before and after), and reversible (the rubric
owner switches a criterion's tuning off and on, or removes it; nothing about the checks themselves changes).
Scores already stored keep the tuning they were made with until `consultkb scoring rescore`.
bench/eval_agreement.py measures the gain on grades held back from the fit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean, median
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from records import audit
from records.access import NotFound, require
from records.db import db
from records.enums import Role
from records.models import User
from records.timeutil import utcnow
from scoring.agreement import criterion_agreement
from scoring.models import CriterionTuning, Grade

#: Grades a level of a check needs before it is tuned: fewer are anecdotes.
MIN_EXAMPLES = 5
#: Pseudo-count that shrinks the move towards the graders' mean: with 5 examples half of the gap is closed, with 45
#: nine tenths.
PRIOR = 5
#: The largest move, as a share of the criterion's scale: a tuned check can disagree with itself by half its scale at
#: most, so a rule that finds a real problem is never silenced by tuning.
MAX_SHIFT = 0.5
#: Moves smaller than this (share of the scale) are not worth a tuning row.
MIN_SHIFT = 0.01

#: Who changes the rubric and its tuning: the rubric's owner (scoring.operations uses the same).
RUBRIC_EDITORS = (Role.ADMIN,)

Mapping = dict[str, dict[str, float]]  # criterion → {check level "0.5": tuned fraction}


def level_key(fraction: float) -> str:
    """A check's points as a fraction of the scale, as a mapping key ("0", "0.5", "1")."""
    return f"{round(float(fraction), 3):g}"


@dataclass(frozen=True)
class Example:
    """One criterion of one grade: the check's points and the grader's, as fractions of the scale."""

    criterion: str
    check: float
    human: float


def examples_from(grades: Iterable[tuple[dict, dict]], scales: dict[str, float]) -> list[Example]:
    """Labelled examples from (check points, grader's points) pairs."""
    found = []
    for check_points, human_points in grades:
        for key, human in (human_points or {}).items():
            check = (check_points or {}).get(key)
            scale = scales.get(key)
            if check is None or human is None or not scale:
                continue
            found.append(Example(key, min(1.0, float(check) / scale), min(1.0, float(human) / scale)))
    return found


@dataclass
class Fit:
    criterion: str
    mapping: dict[str, float]
    examples: int
    agreement_before: float
    agreement_after: float


def fit(examples: Iterable[Example]) -> dict[str, Fit]:
    """The bounded, shrunk move per check level of each criterion (see the module docstring); criteria whose levels
    all stay put are left out."""
    by_level: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for example in examples:
        by_level[example.criterion][level_key(example.check)].append(example.human)
    fits = {}
    for criterion, levels in by_level.items():
        mapping = {}
        for level, humans in levels.items():
            if len(humans) < MIN_EXAMPLES:
                continue
            start = float(level)
            # The median, not the mean: agreement counts distance, which the median of the grades minimises, and
            # any move from the check's level towards it brings the level's expected agreement up.
            gap = len(humans) / (len(humans) + PRIOR) * (median(humans) - start)
            tuned = min(1.0, max(0.0, start + max(-MAX_SHIFT, min(MAX_SHIFT, gap))))
            if abs(tuned - start) >= MIN_SHIFT:
                mapping[level] = round(tuned, 3)
        if not mapping:
            continue
        pairs = [(float(level), human) for level, humans in levels.items() for human in humans]
        fits[criterion] = Fit(
            criterion,
            mapping,
            len(pairs),
            round(fmean(criterion_agreement(check, human, 1.0) for check, human in pairs), 1),
            round(fmean(criterion_agreement(mapping.get(level_key(c), c), h, 1.0) for c, h in pairs), 1),
        )
    return fits


def tune(points: dict[str, float], mapping: Mapping, scales: dict[str, float]) -> dict[str, float]:
    """The checks' points with the tuning applied (points of criteria or levels not tuned unchanged)."""
    if not mapping:
        return points
    tuned = dict(points)
    for key, value in points.items():
        levels = mapping.get(key)
        scale = scales.get(key)
        if not levels or not scale or value is None:
            continue
        fraction = levels.get(level_key(min(1.0, float(value) / scale)))
        if fraction is not None:
            tuned[key] = round(fraction * scale, 3)
    return tuned


def active_mapping(session: Session | None = None) -> Mapping:
    """The switched-on tuning of this installation."""
    rows = (session or db.session).execute(
        sa.select(CriterionTuning.criterion, CriterionTuning.mapping).where(CriterionTuning.enabled)
    )
    return {criterion: mapping for criterion, mapping in rows}


# ----- the rubric owner's controls -----------------------------------------------------------------------------------


def tunings() -> list[CriterionTuning]:
    """Every criterion's tuning, switched on or off."""
    return list(db.session.scalars(sa.select(CriterionTuning).order_by(CriterionTuning.criterion)))


def grade_examples(scales: dict[str, float]) -> list[Example]:
    """Every grade outside calibration sessions that kept the check's points (grades since this feature)."""
    rows = db.session.execute(
        sa.select(Grade.check_points, Grade.points).where(
            Grade.calibration_id.is_(None), Grade.check_points.is_not(None)
        )
    )
    return examples_from(rows, scales)


def refit(definition: dict, *, by: User) -> list[CriterionTuning]:
    """Learn the tuning again from all grades so far, on the scales of `definition` (the newest rubric). A criterion
    the owner switched off stays off (its new fit is shown, not used); criteria with nothing to tune lose their row."""
    require(by.role in RUBRIC_EDITORS, "Only administrators tune the checks.")
    scales = {item["key"]: float(item["scale"]) for item in definition["criteria"]}
    fits = fit(grade_examples(scales))
    existing = {row.criterion: row for row in tunings()}
    for criterion, row in existing.items():
        if criterion not in fits:
            db.session.delete(row)
    for criterion, found in fits.items():
        row = existing.get(criterion) or CriterionTuning(criterion=criterion, enabled=True)
        row.mapping = found.mapping
        row.examples = found.examples
        row.agreement_before = found.agreement_before
        row.agreement_after = found.agreement_after
        row.fitted_by_id = by.id
        row.fitted_at = utcnow()
        db.session.add(row)
    db.session.flush()
    audit.log(
        by, "scoring.tune", "scoring_tunings", criteria=sorted(fits), examples=sum(f.examples for f in fits.values())
    )
    return tunings()


def get_tuning(criterion: str) -> CriterionTuning:
    row = db.session.scalar(sa.select(CriterionTuning).where(CriterionTuning.criterion == criterion))
    if row is None:
        raise NotFound(f"No tuning of {criterion!r}.")
    return row


def set_enabled(criterion: str, enabled: Any, *, by: User) -> CriterionTuning:
    """Switch a criterion's tuning on or off (scores change at the next rescore)."""
    require(by.role in RUBRIC_EDITORS, "Only administrators tune the checks.")
    if not isinstance(enabled, bool):
        raise ValidationError({"enabled": [_l("Say true to switch the tuning on, false to switch it off.")]})
    row = get_tuning(criterion)
    row.enabled = enabled
    db.session.flush()
    audit.log(by, "scoring.tune_switch", "scoring_tunings", criterion=criterion, enabled=enabled)
    return row


def remove_tuning(criterion: str, *, by: User) -> None:
    """Forget a criterion's tuning (the next refit may learn it again from the grades)."""
    require(by.role in RUBRIC_EDITORS, "Only administrators tune the checks.")
    row = get_tuning(criterion)
    db.session.delete(row)
    db.session.flush()
    audit.log(by, "scoring.tune_remove", "scoring_tunings", criterion=criterion)
