"""Administering users and teams: the rules behind /admin/users."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.accounts import create_team, list_teams, list_users, reset_password, set_active, update_user
from records.enums import Role
from records.models import AuditLog
from records.people import authenticate, create_user
from tests.conftest import PASSWORD


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_role_team_and_agent_code_change_and_are_audited(db, people):
    admin, agent = people["admin"], people["agent"]
    changed = update_user(
        agent, {"role": Role.SUPERVISOR, "team": "客服B组", "agent_code": "B07", "display_name": "客服B组-王"}, by=admin
    )
    assert sorted(changed) == ["agent_code", "display_name", "role", "team"]
    assert (agent.role, agent.team.name, agent.agent_code) == (Role.SUPERVISOR, "客服B组", "B07")
    assert "user.update" in audit_actions(db)
    assert update_user(agent, {"role": Role.SUPERVISOR, "team": "客服B组"}, by=admin) == []


def test_a_new_team_name_creates_the_team(db, people):
    update_user(people["agent"], {"team": "夜班组"}, by=people["admin"])
    assert "夜班组" in [team.name for team, _members, _active in list_teams()]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"team": ""}, "team"),
        ({"role": Role.SUPERVISOR, "team": None}, "team"),
        ({"display_name": "  "}, "display_name"),
    ],
)
def test_refused_changes_name_the_field(people, changes, field):
    with pytest.raises(ValidationError) as refused:
        update_user(people["agent"], changes, by=people["admin"])
    assert field in refused.value.messages


def test_agent_codes_and_emails_stay_unique(people, make_user):
    make_user(Role.AGENT, agent_code="A01", email="a01@example.com")
    with pytest.raises(ValidationError) as refused:
        update_user(people["agent"], {"agent_code": "A01", "email": "A01@example.com"}, by=people["admin"])
    assert set(refused.value.messages) == {"agent_code", "email"}


def test_keeping_ones_own_agent_code_is_no_clash(people):
    admin, agent = people["admin"], people["agent"]
    update_user(agent, {"agent_code": "A09"}, by=admin)
    assert update_user(agent, {"agent_code": "A09", "display_name": "王"}, by=admin) == ["display_name"]


def test_an_admin_keeps_their_own_admin_role_and_account(people):
    admin = people["admin"]
    with pytest.raises(ValidationError):
        update_user(admin, {"role": Role.AGENT, "team": "客服A组"}, by=admin)
    with pytest.raises(ValidationError):
        set_active(admin, False, by=admin)


def test_only_admins_administer(people):
    supervisor = people["supervisor"]
    with pytest.raises(PermissionDenied):
        update_user(people["agent"], {"role": Role.ADMIN}, by=supervisor)
    with pytest.raises(PermissionDenied):
        reset_password(people["agent"], "a-new-password-1", by=supervisor)
    with pytest.raises(PermissionDenied):
        create_team("黑客组", by=supervisor)
    with pytest.raises(PermissionDenied):
        set_active(people["agent"], False, by=supervisor)


def test_reset_password_follows_the_password_rule(db, people):
    admin, agent = people["admin"], people["agent"]
    with pytest.raises(ValidationError) as refused:
        reset_password(agent, "short", by=admin)
    assert "password" in refused.value.messages
    reset_password(agent, "a-new-password-1", by=admin)
    assert authenticate(agent.username, PASSWORD) is None
    assert authenticate(agent.username, "a-new-password-1") == agent
    assert "user.password_reset" in audit_actions(db)


def test_deactivated_users_cannot_sign_in_until_activated(db, people):
    admin, agent = people["admin"], people["agent"]
    set_active(agent, False, by=admin)
    assert authenticate(agent.username, PASSWORD) is None
    set_active(agent, True, by=admin)
    assert authenticate(agent.username, PASSWORD) == agent


def test_teams_are_unique_and_named(db, people):
    admin = people["admin"]
    create_team("夜班组", by=admin)
    for name in ("夜班组", "", "x" * 81):
        with pytest.raises(ValidationError):
            create_team(name, by=admin)
    counts = {team.name: (members, active) for team, members, active in list_teams()}
    assert counts["夜班组"] == (0, 0) and counts["客服A组"] == (2, 2)


def test_users_are_listed_by_team(people):
    names = [user.username for user in list_users()]
    assert names.index(people["agent"].username) < names.index(people["other_agent"].username)
    assert names.index(people["admin"].username) > names.index(people["other_supervisor"].username)


def test_create_user_messages_are_marked_and_cli_reads_them_in_english(db, make_user):
    make_user(Role.AGENT, username="wang")
    with pytest.raises(ValidationError) as refused:
        create_user("wang", role=Role.AGENT, password="x", team=None)
    messages = {field: [str(message) for message in texts] for field, texts in refused.value.messages.items()}
    assert messages["username"] == ["The username 'wang' is taken."]
    assert messages["team"] == ["Agents and supervisors belong to a team."]
    assert messages["password"][0].startswith("A password has at least")
