"""Users and teams in the browser (/admin/users): administrators only, CSRF-protected, both languages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import AuditLog, Team, User
from tests.conftest import PASSWORD


def page(response) -> str:
    return response.get_data(as_text=True)


def new_user_form(**overrides: str) -> dict[str, str]:
    data = {
        "username": "zhaoliu",
        "display_name": "客服A组-赵",
        "role": "agent",
        "team": "客服A组",
        "agent_code": "A21",
        "email": "",
        "password": "long-enough-1",
    }
    data.update(overrides)
    return data


def find_user(db, username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.TRAINER])
def test_only_admins_see_user_admin(client, login_as, role):
    user = login_as(role)
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{user.id}").status_code == 403
    assert client.post("/admin/users", data=new_user_form()).status_code == 403
    assert client.post(f"/admin/users/{user.id}", data={"role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{user.id}/password", data={"password": "x" * 12}).status_code == 403
    assert client.post("/admin/teams", data={"name": "x"}).status_code == 403
    assert client.post("/admin/teams/1", data={"name": "x"}).status_code == 403
    assert "/admin/users" not in page(client.get("/records"))


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.location


def test_admin_lists_users_and_teams(client, people, sign_in):
    sign_in(people["admin"], language="en")
    html = page(client.get("/admin/users"))
    for user in people.values():
        assert user.username in html
    assert "客服A组" in html and "客服B组" in html and "Create user" in html
    assert 'href="/admin/users"' in page(client.get("/records"))


def test_user_admin_in_chinese(client, people, sign_in):
    sign_in(people["admin"], language="zh_CN")
    html = page(client.get("/admin/users"))
    assert "用户与团队" in html and "创建用户" in html
    html = page(client.get(f"/admin/users/{people['agent'].id}"))
    assert "重置密码" in html and "停用" in html


def test_creating_a_user_who_then_signs_in(client, db, people, sign_in):
    sign_in(people["admin"])
    response = client.post("/admin/users", data=new_user_form())
    assert response.status_code == 302
    user = find_user(db, "zhaoliu")
    assert (user.role, user.team.name, user.agent_code) == (Role.AGENT, "客服A组", "A21")
    created = sa.select(AuditLog).where(AuditLog.action == "user.create", AuditLog.object_id == "zhaoliu")
    assert db.session.scalar(created).actor == people["admin"].username
    client.post("/logout")
    assert client.post("/login", data={"username": "zhaoliu", "password": "long-enough-1"}).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "a b"}, 'id="f-username-error"'),
        ({"password": "short"}, 'id="f-password-error"'),
        ({"team": ""}, "belong to a team"),
        ({"role": "boss"}, "Unknown value"),
        ({"email": "not-an-email"}, 'id="f-email-error"'),
    ],
)
def test_bad_new_user_is_explained_and_not_created(client, db, people, sign_in, overrides, message):
    sign_in(people["admin"], language="en")
    response = client.post("/admin/users", data=new_user_form(**overrides))
    assert response.status_code == 422
    html = page(response)
    assert "The user was not created" in html and message.lower() in html.lower()
    assert 'value="long-enough-1"' not in html and 'value="short"' not in html  # passwords are not sent back
    assert find_user(db, new_user_form(**overrides)["username"]) is None


def test_taken_username_in_chinese(client, db, people, sign_in):
    sign_in(people["admin"], language="zh_CN")
    html = page(client.post("/admin/users", data=new_user_form(username=people["agent"].username)))
    assert "已被占用" in html


def test_changing_role_team_and_agent_code(client, db, people, sign_in):
    agent = people["agent"]
    sign_in(people["admin"])
    data = {"display_name": "王主管", "role": "supervisor", "team": "客服B组", "agent_code": "B01", "email": ""}
    response = client.post(f"/admin/users/{agent.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(agent)
    assert (agent.role, agent.team.name, agent.agent_code, agent.display_name) == (
        Role.SUPERVISOR,
        "客服B组",
        "B01",
        "王主管",
    )


def test_refused_change_shows_the_form_again(client, db, people, sign_in, make_user):
    make_user(Role.AGENT, agent_code="A01")
    agent = people["agent"]
    sign_in(people["admin"], language="en")
    data = {"display_name": "x", "role": "agent", "team": "", "agent_code": "A01", "email": ""}
    response = client.post(f"/admin/users/{agent.id}", data=data)
    assert response.status_code == 422
    html = page(response)
    assert "Nothing was saved" in html and "A01" in html and "belong to a team" in html
    db.session.refresh(agent)
    assert agent.agent_code is None and agent.team.name == "客服A组"
    bad_role = client.post(f"/admin/users/{agent.id}", data={**data, "team": "客服A组", "role": "root"})
    assert bad_role.status_code == 422 and "Choose a role" in page(bad_role)


def test_admin_cannot_demote_or_deactivate_themselves(client, db, people, sign_in):
    admin = people["admin"]
    sign_in(admin, language="en")
    data = {"display_name": "x", "role": "agent", "team": "客服A组", "agent_code": "", "email": ""}
    assert client.post(f"/admin/users/{admin.id}", data=data).status_code == 422
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate yourself" in page(response)
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN and admin.active


def test_deactivating_and_activating(client, db, people, sign_in):
    agent = people["agent"]
    sign_in(people["admin"])
    assert client.post(f"/admin/users/{agent.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(agent)
    assert not agent.active
    assert "user.deactivate" in db.session.scalars(sa.select(AuditLog.action)).all()
    assert client.post(f"/admin/users/{agent.id}/active", data={"active": "1"}).status_code == 302
    db.session.refresh(agent)
    assert agent.active


def test_resetting_a_password(client, db, people, sign_in):
    agent = people["agent"]
    sign_in(people["admin"], language="en")
    short = client.post(f"/admin/users/{agent.id}/password", data={"password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in page(short)
    assert client.post(f"/admin/users/{agent.id}/password", data={"password": "fresh-start-22"}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": agent.username, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"username": agent.username, "password": "fresh-start-22"}).status_code == 302


def test_creating_a_team(client, db, people, sign_in):
    sign_in(people["admin"], language="en")
    assert client.post("/admin/teams", data={"name": "夜班组"}).status_code == 302
    assert db.session.scalar(sa.select(Team).where(Team.name == "夜班组")) is not None
    again = client.post("/admin/teams", data={"name": "夜班组"})
    assert again.status_code == 422 and "already a team" in page(again)
    assert client.post("/admin/teams", data={"name": ""}).status_code == 422


def test_renaming_a_team_keeps_its_members(client, db, people, sign_in):
    sign_in(people["admin"], language="en")
    team = db.session.scalar(sa.select(Team).where(Team.name == "客服A组"))
    members = {user.id for user in team.members}
    renamed = client.post(f"/admin/teams/{team.id}", data={"name": " 客服一组 "}, follow_redirects=True)
    assert renamed.status_code == 200 and "Team 客服A组 is now called 客服一组." in page(renamed)
    db.session.expire_all()
    team = db.session.get(Team, team.id)
    assert team.name == "客服一组" and {user.id for user in team.members} == members
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "team.rename")).one()
    assert (entry.details["before"], entry.details["after"]) == ("客服A组", "客服一组")

    taken = client.post(f"/admin/teams/{team.id}", data={"name": "客服B组"})
    html = page(taken)
    assert taken.status_code == 422 and "There is already a team 客服B组." in html and 'value="客服B组"' in html
    assert client.post(f"/admin/teams/{team.id}", data={"name": "  "}).status_code == 422
    assert client.post(f"/admin/teams/{team.id}", data={"name": "x" * 81}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Team, team.id).name == "客服一组"
    same = client.post(f"/admin/teams/{team.id}", data={"name": "客服一组"}, follow_redirects=True)
    assert "Nothing changed." in page(same)
    assert client.post("/admin/teams/999999", data={"name": "夜班组"}).status_code == 404
    assert client.post(f"/admin/teams/{2**40}", data={"name": "夜班组"}).status_code == 404
    sign_in(people["admin"], language="zh_CN")
    assert "重命名" in page(client.get("/admin/users"))


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/abc"])
def test_unknown_users_are_404(client, people, sign_in, path):
    sign_in(people["admin"])
    assert client.get(path).status_code == 404
    assert client.post(path + "/password", data={"password": "fresh-start-22"}).status_code == 404


def test_forms_need_the_csrf_token(app, client, db, people, sign_in):
    sign_in(people["admin"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token" value="' in page(client.get("/admin/users"))
        response = client.post("/admin/users", data=new_user_form())
        assert response.status_code == 400
        agent = people["agent"]
        assert client.post(f"/admin/users/{agent.id}/active", data={"active": "0"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert find_user(db, "zhaoliu") is None
    db.session.refresh(people["agent"])
    assert people["agent"].active
