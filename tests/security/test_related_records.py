"""Issue 18 probe: a record's `related` field must not tell team B anything about team A's records.

Linking looked a number up among all records: "There is no record R…" for a free number but success for team A's
one told team B which numbers exist, and the link (which points both ways) then showed team B the other record's
date, channel, category, status and agent on their record page and its number in the API. An unknown and an
invisible record now look the same, and links show only records the viewer may see.
"""

from __future__ import annotations

import pytest

from records.enums import Role
from tests.conftest import PASSWORD, record_payload

UNKNOWN = "R209901010001"


@pytest.fixture
def teams(make_user, make_record):
    agent_a = make_user(Role.AGENT, username="agent_a", team="客服A组")
    agent_b = make_user(Role.AGENT, username="agent_b", team="客服B组")
    admin = make_user(Role.ADMIN, username="root")
    secret = make_record(agent=agent_a, category="账单疑问", subcategory=None, contacted_at="2026-10-01 09:00")
    own = make_record(agent=agent_b, contacted_at="2026-11-01 10:00")
    return {"a": agent_a, "b": agent_b, "admin": admin, "secret": secret, "own": own}


def _errors(response) -> str:
    return str(response.json["errors"])


def test_linking_to_another_teams_record_answers_like_an_unknown_number(client, teams, token_for):
    headers = token_for(teams["b"])
    invisible = client.post("/api/v1/records", json=record_payload(related=[teams["secret"].number]), headers=headers)
    unknown = client.post("/api/v1/records", json=record_payload(related=[UNKNOWN]), headers=headers)
    assert invisible.status_code == unknown.status_code == 422
    assert _errors(invisible) == _errors(unknown).replace(UNKNOWN, teams["secret"].number)

    patched = client.patch(
        f"/api/v1/records/{teams['own'].number}", json={"related": [teams["secret"].number]}, headers=headers
    )
    assert patched.status_code == 422 and "There is no record" in _errors(patched)
    # Nothing was linked on either side.
    assert client.get(f"/api/v1/records/{teams['own'].number}", headers=headers).json["related"] == []
    admin = token_for(teams["admin"])
    assert client.get(f"/api/v1/records/{teams['secret'].number}", headers=admin).json["related"] == []


def test_an_existing_link_shows_nothing_of_the_invisible_record(client, teams, token_for):
    admin = token_for(teams["admin"])
    linked = client.patch(
        f"/api/v1/records/{teams['own'].number}", json={"related": [teams["secret"].number]}, headers=admin
    )
    assert linked.status_code == 200 and linked.json["related"] == [teams["secret"].number]

    shown = client.get(f"/api/v1/records/{teams['own'].number}", headers=token_for(teams["b"])).json
    assert shown["related"] == []
    client.post("/login", data={"username": "agent_b", "password": PASSWORD})
    html = client.get(f"/records/{teams['own'].number}").get_data(as_text=True)
    assert teams["secret"].number not in html and teams["a"].display_name not in html
