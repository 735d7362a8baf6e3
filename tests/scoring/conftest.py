"""Fixtures of the scoring tests: a team with its agents, supervisors, a trainer and an admin."""

from __future__ import annotations

import pytest

from records.enums import Role


@pytest.fixture
def people(make_user):
    return {
        "agent": make_user(Role.AGENT, team="客服A组"),
        "other_agent": make_user(Role.AGENT, team="客服B组"),
        "supervisor": make_user(Role.SUPERVISOR, team="客服A组"),
        "other_supervisor": make_user(Role.SUPERVISOR, team="客服B组"),
        "trainer": make_user(Role.TRAINER),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def record(make_record, people):
    return make_record(agent=people["agent"])
