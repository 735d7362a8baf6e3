"""Helpers shared by the scoring tests and the grading page tests."""

from __future__ import annotations

from scoring.engine import current_rubric, evaluate


def full_points(record) -> dict[str, float]:
    """Every applicable criterion's full scale: what a grader gives a flawless record."""
    definition = current_rubric().definition
    scales = {criterion["key"]: float(criterion["scale"]) for criterion in definition["criteria"]}
    return {item.key: scales[item.key] for item in evaluate(record, definition).criteria if item.applicable}
