"""Record scoring: rubric, completeness and quality checks, grades and calibration (see issue 5)."""
