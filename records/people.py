"""Teams, users and sign-in."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from records import audit
from records.db import db
from records.enums import Role
from records.models import ApiToken, Team, User
from records.passwords import password_problems


def get_or_create_team(name: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def create_user(
    username: str,
    *,
    role: Role,
    password: str,
    team: str | None = None,
    display_name: str | None = None,
    agent_code: str | None = None,
    email: str | None = None,
    by: User | str | None = None,
) -> User:
    errors: dict[str, list[str]] = {}
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        errors["username"] = [_l("The username %(name)s is taken.", name=repr(username))]
    errors.update(user_detail_errors(role=role, team=team, agent_code=agent_code, email=email))
    if problems := password_problems(password, username=username):
        errors["password"] = problems
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        agent_code=agent_code or None,
        email=email or None,
        team=get_or_create_team(team) if team else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.log(by or "cli", "user.create", user, role=role.value, team=team)
    return user


def user_detail_errors(
    *, role: Role, team: str | None, agent_code: str | None, email: str | None, user: User | None = None
) -> dict[str, list[str]]:
    """What is wrong with a user's role, team, agent code and e-mail (for `user`, when changing an existing one)."""
    errors: dict[str, list[str]] = {}
    others = sa.true() if user is None else User.id != user.id
    if agent_code and db.session.scalar(sa.select(User.id).where(User.agent_code == agent_code, others)):
        errors["agent_code"] = [_l("The agent code %(code)s is taken.", code=repr(agent_code))]
    if email and db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower(), others)):
        errors["email"] = [_l("The e-mail %(email)s belongs to another user.", email=repr(email))]
    if role in (Role.AGENT, Role.SUPERVISOR) and not team:
        errors["team"] = [_l("Agents and supervisors belong to a team.")]
    return errors


AGENT_REFERENCE_COLUMNS = (User.username, User.agent_code, User.email, User.display_name)
# Built once: imports look an agent up per row, and building the statement cost more than running it.
_FIND_AGENT = sa.select(User).where(
    sa.or_(*(sa.func.lower(column) == sa.bindparam("reference") for column in AGENT_REFERENCE_COLUMNS))
)


def find_agent(reference: str) -> User | None:
    """An agent by username, agent code (工号), e-mail or display name, as imports name them."""
    text = reference.strip().lower()
    candidates = db.session.scalars(_FIND_AGENT, {"reference": text}).all()
    # One query; when several users match different columns, the username beats the code, the code the e-mail, ...
    for column in AGENT_REFERENCE_COLUMNS:
        for user in candidates:
            value = getattr(user, column.key)
            if value is not None and value.lower() == text:
                return user
    return None


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, else None, in the same time either way.

    An unknown username is checked against a dummy hash, and an inactive user's password is checked too, so how long
    the answer takes does not tell which usernames exist.
    """
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _dummy_hash() -> str:
    """A hash made like the users' (same method and cost), made once per process and method."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


_DUMMY_HASHES: dict[str, str] = {}


def team_names() -> list[str]:
    return list(db.session.scalars(sa.select(Team.name).order_by(Team.name)))


def set_user_active(username: str, active: bool, *, by: User | str | None) -> User:
    """Deactivated users cannot sign in and their tokens stop working; their records and audit trail stay."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ValidationError({"username": [_l("No user %(name)s.", name=username)]})
    if user.active != active:
        user.active = active
        # Either way round, nothing signed in before comes back: tokens are revoked and sessions ended, so a user
        # reactivated later starts from a fresh sign-in (and tokens of users deactivated before this rule go too).
        end_sign_ins(user)
        audit.log(by or "cli", "user.activate" if active else "user.deactivate", user)
    return user


def end_sign_ins(user: User) -> None:
    """Sign the user out everywhere: every session cookie stops working and every API token is revoked."""
    user.session_version += 1
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))


def end_session(user: User) -> None:
    """Signing out: the user's session cookies stop working, on every device (tokens stay; they are revoked alone)."""
    user.session_version += 1
