"""How well the automatic score agrees with supervisors' grades, per criterion: Zendesk QA's agreement.

When a supervisor grades a record, each criterion's agreement is stored with the grade: 100 × (1 − |automatic −
human| ÷ the criterion's scale), so 100 when both gave the same points and 0 when one gave full points and the other
none. Reports average it over the graded records, per criterion and per team, and place it in Zendesk QA's bands:
75–100 strong, 25–74 moderate, 0–24 weak. A criterion below SCORING_AGREEMENT_ALERT over at least MIN_GRADES
grades is flagged for the rubric owner: either the check or the rubric's wording needs a look.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

#: Zendesk QA's bands of agreement (0-100): from 75 strong, from 25 moderate, below weak.
STRONG = 75.0
MODERATE = 25.0
BANDS = {
    "strong": (_l("strong"), "75–100"),
    "moderate": (_l("moderate"), "25–74"),
    "weak": (_l("weak"), "0–24"),
}
#: The default of SCORING_AGREEMENT_ALERT: below Zendesk QA's "strong" a criterion is flagged.
DEFAULT_ALERT = STRONG
#: Fewer grades than this say too little about a criterion to flag it (one odd record is not a pattern).
MIN_GRADES = 5


def alert_threshold() -> float:
    """SCORING_AGREEMENT_ALERT (0-100), DEFAULT_ALERT outside an app."""
    if not has_app_context():
        return DEFAULT_ALERT
    return float(current_app.config.get("SCORING_AGREEMENT_ALERT", DEFAULT_ALERT))


def band(value: float | None) -> str | None:
    """ "strong", "moderate" or "weak" for an agreement of 0-100; None for no value."""
    if value is None:
        return None
    if value >= STRONG:
        return "strong"
    return "moderate" if value >= MODERATE else "weak"


def criterion_agreement(auto: float, human: float, scale: float) -> float:
    """0-100: how close the automatic points are to the grader's on a criterion of this scale."""
    if scale <= 0:
        return 100.0 if auto == human else 0.0
    return round(100.0 * (1.0 - min(1.0, abs(float(auto) - float(human)) / scale)), 1)


def points_agreement(auto: dict[str, Any], human: dict[str, Any], scales: dict[str, float]) -> dict[str, float]:
    """criterion key → agreement, for the criteria both the automatic score and the grader gave points on."""
    return {
        key: criterion_agreement(auto[key], value, scales[key])
        for key, value in human.items()
        if key in scales and auto.get(key) is not None and value is not None
    }


@dataclass
class _Tally:
    count: int = 0
    total: float = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value

    @property
    def mean(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None


def summarise(
    graded: Iterable[tuple[str | None, dict[str, float]]],
    names: dict[str, dict[str, str]],
    order: list[str] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Agreement per criterion and per team × criterion from (team name, agreement per criterion) of each graded
    record, with bands and the criteria to flag. `order`: criterion keys in the rubric's order."""
    threshold = alert_threshold() if threshold is None else threshold
    overall: dict[str, _Tally] = defaultdict(_Tally)
    by_team: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    grades = 0
    for team, agreement in graded:
        if not agreement:
            continue
        grades += 1
        for key, value in agreement.items():
            overall[key].add(value)
            by_team[team or "—"][key].add(value)
    keys = [key for key in (order or []) if key in overall] + sorted(set(overall) - set(order or []))

    def row(key: str, tally: _Tally) -> dict[str, Any]:
        mean = tally.mean
        return {
            "key": key,
            "name": names.get(key, {"zh": key, "en": key}),
            "grades": tally.count,
            "agreement": mean,
            "band": band(mean),
            "flagged": mean is not None and tally.count >= MIN_GRADES and mean < threshold,
        }

    criteria = [row(key, overall[key]) for key in keys]
    return {
        "grades": grades,
        "threshold": threshold,
        "min_grades": MIN_GRADES,
        "criteria": criteria,
        "flagged": [item["key"] for item in criteria if item["flagged"]],
        "teams": [
            {"team": team, "criteria": [row(key, tallies[key]) for key in keys if key in tallies]}
            for team, tallies in sorted(by_team.items())
        ],
    }
