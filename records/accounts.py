"""Administering users and teams from the browser: the same rules as `consultkb users …` (records.people), plus
what only an administrator changes later: role, team, agent code, e-mail and a forgotten password."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import require
from records.db import db
from records.enums import Role
from records.models import Team, User
from records.people import end_sign_ins, get_or_create_team, password_problems, set_user_active, user_detail_errors

#: Longest team name (teams.name).
TEAM_NAME_CHARS = 80
#: What `update_user` changes; the username stays, since imports and the audit log name people by it.
USER_FIELDS = ("display_name", "role", "team", "agent_code", "email")


def require_admin(by: User) -> None:
    require(by.role == Role.ADMIN, "Only administrators manage users.")


def list_users() -> list[User]:
    """Everyone, by team (people without one last), then role and username."""
    return list(
        db.session.scalars(
            sa.select(User)
            .outerjoin(Team, User.team_id == Team.id)
            .order_by(Team.name.is_(None), Team.name, User.role, User.username)
        )
    )


def list_teams() -> list[tuple[Team, int, int]]:
    """Each team with its number of members and of active members, by name."""
    rows = db.session.execute(
        sa.select(
            Team,
            sa.func.count(User.id),
            sa.func.count(User.id).filter(User.active.is_(True)),
        )
        .outerjoin(User, User.team_id == Team.id)
        .group_by(Team.id)
        .order_by(Team.name)
    )
    return [(team, members, active) for team, members, active in rows]


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def _team_name(name: str | None, *, other_than: Team | None = None) -> str:
    """The name stripped, or ValidationError when it is empty, too long or another team's."""
    name = (name or "").strip()
    if not name or len(name) > TEAM_NAME_CHARS:
        raise ValidationError({"name": [_l("A team name has 1 to %(count)s characters.", count=TEAM_NAME_CHARS)]})
    taken = sa.select(Team.id).where(Team.name == name)
    if other_than is not None:
        taken = taken.where(Team.id != other_than.id)
    if db.session.scalar(taken):
        raise ValidationError({"name": [_l("There is already a team %(name)s.", name=name)]})
    return name


def create_team(name: str, *, by: User) -> Team:
    require_admin(by)
    team = get_or_create_team(_team_name(name))
    audit.log(by, "team.create", team)
    return team


def rename_team(team: Team, name: str, *, by: User) -> bool:
    """Give a team a new name (its members, records and customers stay: they point at the team, not its name);
    False when the name is unchanged."""
    require_admin(by)
    name = _team_name(name, other_than=team)
    if name == team.name:
        return False
    before, team.name = team.name, name
    audit.log(by, "team.rename", team, before=before, after=name)
    db.session.flush()
    return True


def update_user(user: User, changes: dict[str, Any], *, by: User) -> list[str]:
    """Change a user's role, team, agent code, display name or e-mail; return the fields that changed.

    An administrator cannot take away their own administrator role: the last one would lock everybody out.
    """
    require_admin(by)
    values = {field: changes[field] for field in USER_FIELDS if field in changes}
    for field in ("team", "agent_code", "email", "display_name"):
        if field in values:
            values[field] = (values[field] or "").strip() or None
    role = values.get("role", user.role)
    current_team = user.team.name if user.team else None
    team = values.get("team", current_team)
    if user.id == by.id and role != Role.ADMIN:
        raise ValidationError({"role": [_l("You cannot take away your own administrator role.")]})
    errors = user_detail_errors(
        role=role, team=team, agent_code=values.get("agent_code"), email=values.get("email"), user=user
    )
    if "display_name" in values and not values["display_name"]:
        errors["display_name"] = [_l("Give the name shown in pages, e.g. 客服A组-王.")]
    if errors:
        raise ValidationError(errors)
    changed = []
    if role != user.role:
        user.role = role
        changed.append("role")
    if team != current_team:
        user.team = get_or_create_team(team) if team else None
        changed.append("team")
    for field in ("display_name", "agent_code", "email"):
        if field in values and values[field] != getattr(user, field):
            setattr(user, field, values[field])
            changed.append(field)
    if changed:
        audit.log(by, "user.update", user, fields=changed)
        db.session.flush()
    return changed


def reset_password(user: User, password: str, *, by: User) -> None:
    """Set a new password for a user who forgot theirs; the administrator tells it to them."""
    require_admin(by)
    if problems := password_problems(password, username=user.username):
        raise ValidationError({"password": problems})
    user.set_password(password)
    end_sign_ins(user)  # whoever knew the old password is signed out everywhere
    audit.log(by, "user.password_reset", user)
    db.session.flush()


def set_active(user: User, active: bool, *, by: User) -> User:
    """Deactivate or reactivate a user (records.people.set_user_active); nobody deactivates themselves."""
    require_admin(by)
    if user.id == by.id and not active:
        raise ValidationError({"active": [_l("You cannot deactivate yourself.")]})
    return set_user_active(user.username, active, by=by)
