"""Users and teams for administrators (/admin/users): what `consultkb users create|list|deactivate|activate` does,
and changing a role, team or agent code and resetting a forgotten password, without a shell."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.accounts import (
    TEAM_NAME_CHARS,
    create_team,
    get_user,
    list_teams,
    list_users,
    rename_team,
    reset_password,
    set_active,
    update_user,
)
from records.db import db, row_id
from records.enums import Role
from records.models import Team, User
from records.people import create_user, team_names
from records.schemas import UserInputSchema
from web.auth import roles_required
from web.pages.common import current_user_required
from web.pages.forms import PageForm, form_errors

bp = Blueprint("user_admin_pages", __name__)

#: Inputs of the new-user form, as UserInputSchema names them.
NEW_USER_FIELDS = ("username", "display_name", "role", "team", "agent_code", "email", "password")
#: Inputs of the edit form (the username stays).
EDIT_USER_FIELDS = ("display_name", "role", "team", "agent_code", "email")


@dataclass
class UserForm(PageForm):
    def labels(self) -> dict[str, str]:
        return {
            "username": _("Username"),
            "display_name": _("Display name"),
            "role": _("Role"),
            "team": _("Team"),
            "agent_code": _("Agent ID"),
            "email": _("Email"),
            "password": _("Password"),
            "name": _("Team name"),
            "active": _("Status"),
            "_page": "",
        }


def read_form(fields: tuple[str, ...]) -> UserForm:
    return UserForm(values={name: request.form.get(name, "").strip() for name in fields})


def parse_role(form: UserForm) -> Role | None:
    try:
        return Role(form.value("role"))
    except ValueError:
        form.errors.setdefault("role", []).append(_("Choose a role."))
        return None


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def users_page():
    return render_users(UserForm(values={"role": Role.AGENT.value}), UserForm())


def render_users(new_user: UserForm, new_team: UserForm, status: int = 200, renamed: tuple | None = None):
    """`renamed`: (team id, the form) of a rename that was refused, shown at that team with its error."""
    body = render_template(
        "admin/users.html",
        users=list_users(),
        teams=list_teams(),
        team_names=team_names(),
        roles=list(Role),
        new_user=new_user,
        new_team=new_team,
        team_name_chars=TEAM_NAME_CHARS,
        renamed=renamed,
    )
    return body, status


@bp.post("/admin/users")
@roles_required(Role.ADMIN)
def create_user_page():
    admin = current_user_required()
    form = read_form(NEW_USER_FIELDS)
    # Blank optional inputs are absent, not empty strings the schema would refuse.
    raw = {name: value for name, value in form.values.items() if value}
    raw["password"] = request.form.get("password", "")  # spaces are part of a password
    try:
        data = UserInputSchema().load(raw)
        user = create_user(data.pop("username"), by=admin, **data)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        form.values.pop("password", None)
        return render_users(form, UserForm(), status=422)
    db.session.commit()
    flash(_("User %(name)s created.", name=user.username), "success")
    return redirect(url_for("user_admin_pages.users_page"))


@bp.post("/admin/teams")
@roles_required(Role.ADMIN)
def create_team_page():
    admin = current_user_required()
    form = read_form(("name",))
    try:
        team = create_team(form.value("name"), by=admin)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_users(UserForm(values={"role": Role.AGENT.value}), form, status=422)
    db.session.commit()
    flash(_("Team %(name)s created.", name=team.name), "success")
    return redirect(url_for("user_admin_pages.users_page"))


@bp.post("/admin/teams/<int:team_id>")
@roles_required(Role.ADMIN)
def rename_team_page(team_id: int):
    admin = current_user_required()
    team = db.session.get(Team, team_id) if row_id(team_id) else None
    if team is None:
        abort(404, description=_("There is no such team."))
    form = read_form(("name",))
    try:
        before = team.name
        changed = rename_team(team, form.value("name"), by=admin)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_users(UserForm(values={"role": Role.AGENT.value}), UserForm(), 422, renamed=(team_id, form))
    db.session.commit()
    if changed:
        flash(_("Team %(before)s is now called %(name)s.", before=before, name=team.name), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("user_admin_pages.users_page"))


def user_or_404(user_id: int) -> User:
    user = get_user(user_id)
    if user is None:
        abort(404, description="No such user.")
    return user


@bp.get("/admin/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user_page(user_id: int):
    user = user_or_404(user_id)
    return render_user(user, form_for(user), UserForm())


def form_for(user: User) -> UserForm:
    return UserForm(
        values={
            "display_name": user.display_name,
            "role": user.role.value,
            "team": user.team.name if user.team else "",
            "agent_code": user.agent_code or "",
            "email": user.email or "",
        }
    )


def render_user(user: User, form: UserForm, password_form: UserForm, status: int = 200):
    body = render_template(
        "admin/user.html",
        user=user,
        form=form,
        password_form=password_form,
        team_names=team_names(),
        roles=list(Role),
        is_self=user.id == current_user_required().id,
    )
    return body, status


@bp.post("/admin/users/<int:user_id>")
@roles_required(Role.ADMIN)
def update_user_page(user_id: int):
    admin = current_user_required()
    user = user_or_404(user_id)
    form = read_form(EDIT_USER_FIELDS)
    role = parse_role(form)
    if role is not None:
        try:
            changed = update_user(user, {**form.values, "role": role}, by=admin)
        except ValidationError as exc:
            db.session.rollback()
            form.errors = form_errors(exc)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.username) if changed else _("Nothing changed."), "success")
            return redirect(url_for("user_admin_pages.user_page", user_id=user.id))
    return render_user(user, form, UserForm(), status=422)


@bp.post("/admin/users/<int:user_id>/password")
@roles_required(Role.ADMIN)
def reset_password_page(user_id: int):
    admin = current_user_required()
    user = user_or_404(user_id)
    try:
        reset_password(user, request.form.get("password", ""), by=admin)
    except ValidationError as exc:
        db.session.rollback()
        return render_user(user, form_for(user), UserForm(errors=form_errors(exc)), status=422)
    db.session.commit()
    flash(_("New password set for %(name)s; tell it to them in person.", name=user.username), "success")
    return redirect(url_for("user_admin_pages.user_page", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active_page(user_id: int):
    admin = current_user_required()
    user = user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        set_active(user, active, by=admin)
    except ValidationError as exc:
        db.session.rollback()
        for _label, message in UserForm(errors=form_errors(exc)).summary():
            flash(message, "danger")
    else:
        db.session.commit()
        if active:
            flash(_("%(name)s can sign in again.", name=user.username), "success")
        else:
            flash(_("%(name)s can no longer sign in; their records stay.", name=user.username), "success")
    return redirect(url_for("user_admin_pages.user_page", user_id=user.id))
