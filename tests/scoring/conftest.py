"""Fixtures of the scoring tests: a team with its agents, supervisors, a trainer and an admin."""

from __future__ import annotations

import pytest


@pytest.fixture
def record(make_record, people):
    return make_record(agent=people["agent"])
