"""Training pack pages: the packs (trainers curate, supervisors browse), a pack to read, edit, publish, export and
assign, agents' own training, and the recommendations that match agents weak on a criterion with the pack that
teaches it. scoring.cases.packs and scoring.cases.suggestions do the work."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from records import audit
from records.db import db
from records.enums import Role
from records.importing import flatten_messages
from records.models import Team, User
from records.timeutil import local_today
from scoring.cases import packs, training
from scoring.cases.dimensions import known_criteria
from scoring.cases.exporting import EXPORT_FORMATS, MEDIA_TYPES, export_filename, export_pack, pack_export_data
from scoring.cases.models import CaseCollection, PackAudience, PackStatus, TrainingCase
from scoring.cases.operations import CURATORS, LIBRARY_READERS, SNAPSHOT_TEXT_FIELDS, can_curate
from scoring.cases.schemas import PackUpdateSchema
from scoring.cases.suggestions import weak_agents
from web.auth import STAFF, roles_required
from web.pages.case_forms import (
    CaseForm,
    case_labels,
    period_days_text,
    period_from_args,
    posted_text,
)
from web.pages.common import current_user_required
from web.pages.display import is_chinese_ui, ui_locale
from web.pages.forms import form_errors
from web.pages.paging import Paging

bp = Blueprint("pack_pages", __name__)

#: Cases the "add cases" list of the pack form offers (newest first); a pack rarely holds more than a few dozen.
CASE_CHOICES = 500


def criterion_choices() -> list[tuple[str, str]]:
    language = "zh" if is_chinese_ui() else "en"
    return sorted(((key, names[language]) for key, names in known_criteria().items()), key=lambda item: item[1])


def audience_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label(ui_locale())) for member in PackAudience]


# ----- lists -------------------------------------------------------------------------------------------------------


@bp.get("/collections")
@roles_required(*LIBRARY_READERS)
def packs_page():
    user = current_user_required()
    status_text = request.args.get("status", "")
    status = PackStatus(status_text) if status_text in PackStatus.values() else None
    q = request.args.get("q", "").strip()[:200]
    paging = Paging.asked(request.args.get("page"))
    filters = packs.PackFilters(q=q, status=status)
    items, total = packs.list_collections(user, filters, page=paging.number, per_page=paging.size)
    return render_template(
        "cases/packs.html",
        packs=items,
        total=total,
        counts=packs.count_by_status() if can_curate(user) else None,
        status=status.value if status else "",
        q=q,
        **paging.template_args(total),
        curator=can_curate(user),
    )


@bp.get("/training")
@roles_required(*STAFF)
def training_page():
    """An agent's packs; other roles are sent to the packs they work with."""
    user = current_user_required()
    if user.role not in training.LEARNERS:
        return redirect(url_for("pack_pages.packs_page"))
    return render_template("cases/training.html", rows=training.my_packs(user), today=local_today())


# ----- the pack form -----------------------------------------------------------------------------------------------


def case_choices(exclude: set[int]) -> list[TrainingCase]:
    return [
        case
        for case in db.session.scalars(
            sa.select(TrainingCase).order_by(TrainingCase.created_at.desc(), TrainingCase.id.desc()).limit(CASE_CHOICES)
        )
        if case.id not in exclude
    ]


def form_from_pack(collection: CaseCollection | None) -> CaseForm:
    if collection is None:
        return CaseForm(values={"audience": PackAudience.ASSIGNED.value, "criteria": [], "case_ids": []})
    return CaseForm(
        values={
            "title": collection.title,
            "introduction": collection.introduction or "",
            "audience": collection.audience.value,
            "criteria": list(collection.criteria or []),
            "case_ids": [item.case_id for item in collection.items],
        }
    )


def render_pack_form(collection: CaseCollection | None, form: CaseForm, *, status: int = 200):
    chosen = [int(value) for value in form.value("case_ids") or []]
    found = {case.id: case for case in db.session.scalars(sa.select(TrainingCase).where(TrainingCase.id.in_(chosen)))}
    body = render_template(
        "cases/pack_form.html",
        collection=collection,
        form=form,
        chosen=[found[case_id] for case_id in chosen if case_id in found],
        choices=case_choices(set(chosen)),
        criterion_choices=criterion_choices(),
        audience_choices=audience_choices(),
        labels=case_labels(),
    )
    return body, status


def posted_pack(form: CaseForm) -> dict[str, Any]:
    """The pack form: cases in the order of their position inputs (ties keep the listed order), minus those ticked
    for removal, plus those chosen to add at the end."""
    posted = request.form
    form.values.update(
        {
            "title": posted_text(posted, "title"),
            "introduction": posted_text(posted, "introduction"),
            "audience": posted_text(posted, "audience"),
            "criteria": posted.getlist("criteria"),
        }
    )
    listed = [value for value in posted.getlist("case_ids") if value.isdigit()]
    removed = set(posted.getlist("remove"))
    ordered = []
    for index, case_id in enumerate(listed):
        raw = (posted.get(f"position-{case_id}") or "").strip()
        position = int(raw) if raw.isdigit() else index + 1
        if case_id not in removed:
            ordered.append((position, index, int(case_id)))
    case_ids = [case_id for _position, _index, case_id in sorted(ordered)]
    case_ids += [int(value) for value in posted.getlist("add") if value.isdigit() and int(value) not in case_ids]
    form.values["case_ids"] = case_ids
    raw = {
        "title": form.value("title"),
        "introduction": form.value("introduction") or None,
        "audience": form.value("audience") or None,
        "criteria": form.value("criteria"),
        "case_ids": case_ids,
    }
    return PackUpdateSchema().load({key: value for key, value in raw.items() if value is not None})


@bp.get("/collections/new")
@roles_required(*CURATORS)
def new_pack():
    form = form_from_pack(None)
    form.values["case_ids"] = [int(value) for value in request.args.getlist("case") if value.isdigit()]
    return render_pack_form(None, form)


@bp.post("/collections/new")
@roles_required(*CURATORS)
def create_pack():
    user = current_user_required()
    form = form_from_pack(None)
    try:
        collection = packs.create_collection(posted_pack(form), by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_pack_form(None, form, status=422)
    db.session.commit()
    flash(_("Training pack “%(title)s” saved as a draft.", title=collection.title), "success")
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection.id), code=303)


@bp.get("/collections/<int:collection_id>/edit")
@roles_required(*CURATORS)
def edit_pack(collection_id: int):
    collection = packs.get_collection(collection_id)
    return render_pack_form(collection, form_from_pack(collection))


@bp.post("/collections/<int:collection_id>/edit")
@roles_required(*CURATORS)
def update_pack(collection_id: int):
    user = current_user_required()
    collection = packs.get_collection(collection_id)
    form = form_from_pack(collection)
    try:
        changes = posted_pack(form)
        changes.setdefault("introduction", None)
        changed = packs.update_collection(collection, changes, by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_pack_form(collection, form, status=422)
    db.session.commit()
    flash(_("Training pack saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection.id), code=303)


# ----- one pack ----------------------------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>")
@roles_required(*STAFF)
def pack_detail(collection_id: int):
    user = current_user_required()
    collection = packs.collection_for(user, collection_id)
    reading = training.open_collection(collection, user)
    if reading is not None:
        db.session.commit()
    return render_detail(collection, user, CaseForm())


def render_detail(collection: CaseCollection, user: User, form: CaseForm, *, status: int = 200):
    assigner = training.can_assign(user) and collection.status == PackStatus.PUBLISHED
    body = render_template(
        "cases/pack_detail.html",
        collection=collection,
        cases=collection.cases,
        teaches=sorted(packs.teaches(collection)),
        curator=can_curate(user),
        learner=user.role in training.LEARNERS,
        assignment=training.assignment_of(collection, user),
        reading=training.reading_of(collection, user),
        assigner=assigner,
        agents=training.assignable_agents(user) if assigner else [],
        progress=training.progress(collection, user) if training.can_assign(user) else None,
        criterion_choices=criterion_choices(),
        export_formats=EXPORT_FORMATS,
        form=form,
        labels=case_labels(),
        text_fields=SNAPSHOT_TEXT_FIELDS,
    )
    return body, status


def pack_action(collection_id: int, action, message: str):
    user = current_user_required()
    collection = packs.get_collection(collection_id)
    try:
        action(collection, by=user)
    except ValidationError as exc:
        db.session.rollback()
        for _field, text in flatten_messages(exc.messages):
            flash(text, "danger")
        return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id), code=303)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id), code=303)


@bp.post("/collections/<int:collection_id>/publish")
@roles_required(*CURATORS)
def publish_pack(collection_id: int):
    return pack_action(collection_id, packs.publish_collection, _("Training pack published."))


@bp.post("/collections/<int:collection_id>/archive")
@roles_required(*CURATORS)
def archive_pack(collection_id: int):
    return pack_action(collection_id, packs.archive_collection, _("Training pack archived."))


@bp.post("/collections/<int:collection_id>/delete")
@roles_required(*CURATORS)
def delete_pack(collection_id: int):
    user = current_user_required()
    collection = packs.get_collection(collection_id)
    try:
        packs.delete_collection(collection, by=user)
    except ValidationError as exc:
        db.session.rollback()
        for _field, text in flatten_messages(exc.messages):
            flash(text, "danger")
        return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id), code=303)
    db.session.commit()
    flash(_("Training pack deleted."), "success")
    return redirect(url_for("pack_pages.packs_page"), code=303)


@bp.post("/collections/<int:collection_id>/complete")
@roles_required(*STAFF)
def complete_pack(collection_id: int):
    user = current_user_required()
    collection = packs.collection_for(user, collection_id)
    training.complete_collection(collection, user)
    db.session.commit()
    flash(_("Marked as read. Well done!"), "success")
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id), code=303)


@bp.get("/collections/<int:collection_id>/export")
@roles_required(*STAFF)
def export_pack_page(collection_id: int):
    user = current_user_required()
    collection = packs.collection_for(user, collection_id)
    fmt = request.args.get("format", "markdown")
    if fmt not in EXPORT_FORMATS:
        abort(400, description=_("Choose the format Markdown or PDF."))
    language = request.args.get("language") or ("zh" if is_chinese_ui() else "en")
    if language not in ("zh", "en"):
        abort(400, description=_("Choose the language zh or en."))
    data = pack_export_data(collection, language)
    filename = export_filename(collection, fmt)
    audit.log(user, "collection.export", collection, format=fmt, language=language)
    # The transaction ends before the (slow) PDF layout: on SQLite an open one holds the write lock.
    db.session.commit()
    return Response(
        export_pack(data, fmt),
        mimetype=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )


# ----- assigning ---------------------------------------------------------------------------------------------------


@bp.post("/collections/<int:collection_id>/assign")
@roles_required(Role.SUPERVISOR, *CURATORS)
def assign_pack(collection_id: int):
    user = current_user_required()
    collection = packs.collection_for(user, collection_id)
    posted = request.form
    form = CaseForm(
        values={
            "agents": posted.getlist("agents"),
            "due": posted_text(posted, "due"),
            "note": posted_text(posted, "note"),
            "criterion": posted_text(posted, "criterion"),
        }
    )
    ids = [int(value) for value in form.value("agents") if value.isdigit() and int(value) < 2**31]
    agents = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    try:
        due = date.fromisoformat(form.value("due")) if form.value("due") else None
    except ValueError:
        due = None
        form.errors["due"] = [_("Not a valid date.")]
    if not form.errors:
        try:
            training.assign_collection(
                collection,
                agents,
                by=user,
                due=due,
                note=form.value("note") or None,
                criterion=form.value("criterion") or None,
            )
        except ValidationError as exc:
            db.session.rollback()
            form.errors = form_errors(exc)
    if form.errors:
        return render_detail(collection, user, form, status=422)
    db.session.commit()
    flash(ngettext("Assigned to %(num)d agent.", "Assigned to %(num)d agents.", len(agents)), "success")
    if request.form.get("next") == "recommendations":
        return redirect(url_for("pack_pages.recommendations_page"), code=303)
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id, _anchor="progress"), code=303)


@bp.post("/collections/<int:collection_id>/unassign/<int:agent_id>")
@roles_required(Role.SUPERVISOR, *CURATORS)
def unassign_pack(collection_id: int, agent_id: int):
    user = current_user_required()
    collection = packs.collection_for(user, collection_id)
    agent = db.session.get(User, agent_id)
    if agent is None:
        abort(404)
    training.unassign_collection(collection, agent, by=user)
    db.session.commit()
    flash(_("Assignment of %(name)s withdrawn.", name=agent.display_name), "success")
    return redirect(url_for("pack_pages.pack_detail", collection_id=collection_id, _anchor="progress"), code=303)


# ----- recommendations ---------------------------------------------------------------------------------------------


@bp.get("/training/recommendations")
@roles_required(Role.SUPERVISOR, *CURATORS)
def recommendations_page():
    user = current_user_required()
    start, end, period, errors = period_from_args(request.args)
    team_name = request.args.get("team", "").strip()
    team_id = None
    teams = list(db.session.scalars(sa.select(Team).order_by(Team.name))) if user.role in CURATORS else []
    if team_name and user.role in CURATORS:
        team = next((team for team in teams if team.name == team_name), None)
        if team is None:
            errors.append(_("No team %(name)s.", name=team_name))
            team_name = ""
        else:
            team_id = team.id
    rows = weak_agents(viewer=user, start=start, end=end, team_id=team_id)
    return render_template(
        "cases/recommendations.html",
        rows=rows,
        period=period,
        team=team_name,
        teams=teams,
        days=period_days_text(start, end),
        filter_errors=errors,
    )
