"""Assignment rules for administrators (/admin/assignment): which new records go to whom, in the order tried."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.assignment import create_rule, delete_rule, get_rule, list_rules, move_rule, update_rule
from records.db import db
from records.enums import Role
from records.models import AssignmentRule, User
from records.people import team_names
from records.worklist_schemas import AssignmentRuleInputSchema
from web.auth import roles_required
from web.pages.common import current_user_required
from web.pages.forms import PageForm, form_errors

bp = Blueprint("assignment_pages", __name__)

RULE_INPUTS = ("name", "category", "customer_tier", "channel", "team", "strategy")


@dataclass
class RuleForm(PageForm):
    def labels(self) -> dict[str, str]:
        return {
            "name": _("Rule name"),
            "category": _("Problem type"),
            "customer_tier": _("Customer tier"),
            "channel": _("Channel"),
            "team": _("Team"),
            "strategy": _("How to choose"),
            "candidates": _("Assign to"),
            "active": _("Active"),
            "_page": "",
        }


def read_form() -> RuleForm:
    values: dict[str, Any] = {name: request.form.get(name, "").strip() for name in RULE_INPUTS}
    values["candidates"] = [value for value in request.form.getlist("candidates") if value.strip()]
    values["active"] = request.form.get("active") == "1"
    return RuleForm(values=values)


def form_from_rule(rule: AssignmentRule) -> RuleForm:
    return RuleForm(
        values={
            "name": rule.name,
            "category": rule.category or "",
            "customer_tier": rule.customer_tier.value if rule.customer_tier else "",
            "channel": rule.channel.value if rule.channel else "",
            "team": rule.team.name if rule.team else "",
            "strategy": rule.strategy,
            "candidates": [user.username for user in rule.candidates],
            "active": rule.active,
        }
    )


def schema_input(form: RuleForm) -> dict[str, Any]:
    # An empty condition matches anything: sent as null, not as an empty text.
    data: dict[str, Any] = {name: (form.values[name] or None) for name in RULE_INPUTS}
    data["name"] = form.values["name"]
    data["strategy"] = form.values["strategy"] or "round_robin"
    data["candidates"] = form.values["candidates"]
    data["active"] = form.values["active"]
    return data


def candidate_choices() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_((Role.AGENT, Role.SUPERVISOR, Role.ADMIN)))
            .order_by(User.display_name, User.username)
        )
    )


def render_rules(form: RuleForm, *, editing: AssignmentRule | None = None, status: int = 200):
    body = render_template(
        "admin/assignment.html",
        rules=list_rules(),
        form=form,
        editing=editing,
        teams=team_names(),
        candidates=candidate_choices(),
    )
    return body, status


@bp.get("/admin/assignment")
@roles_required(Role.ADMIN)
def rules_page():
    return render_rules(RuleForm(values={"strategy": "round_robin", "active": True, "candidates": []}))


@bp.post("/admin/assignment")
@roles_required(Role.ADMIN)
def create_rule_page():
    user = current_user_required()
    form = read_form()
    try:
        rule = create_rule(AssignmentRuleInputSchema().load(schema_input(form)), by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_rules(form, status=422)
    db.session.commit()
    flash(_("Assignment rule “%(name)s” added.", name=rule.name), "success")
    return redirect(url_for("assignment_pages.rules_page"))


def rule_or_404(rule_id: int) -> AssignmentRule:
    rule = get_rule(rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.get("/admin/assignment/<int:rule_id>")
@roles_required(Role.ADMIN)
def edit_rule_page(rule_id: int):
    rule = rule_or_404(rule_id)
    return render_rules(form_from_rule(rule), editing=rule)


@bp.post("/admin/assignment/<int:rule_id>")
@roles_required(Role.ADMIN)
def update_rule_page(rule_id: int):
    user = current_user_required()
    rule = rule_or_404(rule_id)
    form = read_form()
    try:
        update_rule(rule, AssignmentRuleInputSchema().load(schema_input(form)), by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_rules(form, editing=rule_or_404(rule_id), status=422)
    db.session.commit()
    flash(_("Assignment rule “%(name)s” saved.", name=rule.name), "success")
    return redirect(url_for("assignment_pages.rules_page"))


@bp.post("/admin/assignment/<int:rule_id>/move")
@roles_required(Role.ADMIN)
def move_rule_page(rule_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    move_rule(rule_or_404(rule_id), offset, by=current_user_required())
    db.session.commit()
    return redirect(url_for("assignment_pages.rules_page"))


@bp.post("/admin/assignment/<int:rule_id>/delete")
@roles_required(Role.ADMIN)
def delete_rule_page(rule_id: int):
    rule = rule_or_404(rule_id)
    name = rule.name
    delete_rule(rule, by=current_user_required())
    db.session.commit()
    flash(_("Assignment rule “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("assignment_pages.rules_page"))
