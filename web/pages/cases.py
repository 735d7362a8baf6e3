"""Case library pages: the library with search, suggestions of records worth a case, making a case from a record,
the case with its scores, editing and deleting it. Training packs are in web.pages.case_packs; scoring.cases does
the work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.access import NotFound
from records.db import db
from records.importing import flatten_messages
from records.models import Record, User
from records.operations import get_record_for
from records.timeutil import format_local
from scoring.cases import packs
from scoring.cases.anonymising import anonymiser_for, snapshot
from scoring.cases.models import CaseKind, TrainingCase
from scoring.cases.operations import (
    CURATORS,
    LIBRARY_READERS,
    SNAPSHOT_TEXT_FIELDS,
    CaseFilters,
    can_curate,
    case_ids_from_records,
    count_by_kind,
    create_case,
    delete_case,
    get_case,
    known_names,
    list_cases,
    packs_of,
    update_case,
)
from scoring.cases.schemas import CaseQuerySchema, CaseUpdateSchema
from scoring.cases.suggestions import SUGGESTION_KINDS, record_suggestions
from web.auth import roles_required
from web.pages.case_forms import (
    CaseForm,
    case_labels,
    dimension_choices,
    period_days_text,
    period_from_args,
    posted_text,
    register_case_helpers,
)
from web.pages.common import current_user_required
from web.pages.forms import form_errors
from web.pages.paging import Paging

bp = Blueprint("case_pages", __name__)
bp.record_once(lambda state: register_case_helpers(state.app))


# ----- library -----------------------------------------------------------------------------------------------------


@bp.get("/cases")
@roles_required(*LIBRARY_READERS)
def library_page():
    user = current_user_required()
    raw = {name: request.args.get(name, "").strip() for name in ("q", "kind", "dimension", "page")}
    raw = {name: value for name, value in raw.items() if value}
    filter_errors = []
    try:
        query = CaseQuerySchema().load(raw)
    except ValidationError as exc:
        bad = exc.messages if isinstance(exc.messages, dict) else {}
        filter_errors = [f"{case_labels().get(name, name)}: {raw.get(name, '')}" for name in bad]
        query = CaseQuerySchema().load({name: value for name, value in raw.items() if name not in bad})
    if query.get("dimension") and query["dimension"] not in dict(dimension_choices()):
        filter_errors.append(f"{_('Dimension')}: {query.pop('dimension')}")
    paging = Paging.asked(query["page"])
    filters = CaseFilters(q=query.get("q"), kind=query.get("kind"), dimension=query.get("dimension"))
    items, total = list_cases(filters, page=paging.number, per_page=paging.size)
    return render_template(
        "cases/library.html",
        cases=items,
        total=total,
        counts=count_by_kind(),
        filters={
            "q": query.get("q", ""),
            "kind": query["kind"].value if query.get("kind") else "",
            "dimension": query.get("dimension", ""),
        },
        filter_errors=filter_errors,
        **paging.template_args(total),
        dimension_choices=dimension_choices(),
        curator=can_curate(user),
    )


# ----- suggestions -------------------------------------------------------------------------------------------------


@bp.get("/cases/suggestions")
@roles_required(*CURATORS)
def suggestions_page():
    user = current_user_required()
    kind = request.args.get("kind", "top")
    errors = []
    if kind not in SUGGESTION_KINDS:
        errors.append(_("Unknown list %(kind)s; showing the top scores.", kind=kind))
        kind = "top"
    dimension = request.args.get("dimension", "").strip()
    if dimension and dimension not in dict(dimension_choices()):
        errors.append(f"{_('Dimension')}: {dimension}")
        dimension = ""
    start, end, period, period_errors = period_from_args(request.args)
    items = record_suggestions(viewer=user, kind=kind, dimension=dimension or None, start=start, end=end, limit=20)
    return render_template(
        "cases/suggestions.html",
        items=items,
        kind=kind,
        kinds=list(SUGGESTION_KINDS),
        dimension=dimension,
        period=period,
        days=period_days_text(start, end),
        dimension_choices=dimension_choices(),
        filter_errors=errors + period_errors,
    )


# ----- making a case -----------------------------------------------------------------------------------------------


def preview_of(record: Record) -> dict[str, Any]:
    """The snapshot a case from this record would hold, scrubbed, for the trainer to check before saving."""
    values = snapshot(record, anonymiser_for(record, staff=known_names(record=record)))
    return {
        **values,
        "contacted_local": format_local(record.contacted_at),
        "number": record.number,
        "existing": case_ids_from_records([record.id]).get(record.id),
    }


def render_new(user: User, form: CaseForm, record: Record | None, *, status: int = 200):
    body = render_template(
        "cases/case_form.html",
        form=form,
        case=None,
        preview=preview_of(record) if record is not None else None,
        dimension_choices=dimension_choices(),
        labels=case_labels(),
        text_fields=SNAPSHOT_TEXT_FIELDS,
    )
    return body, status


def chosen_record(user: User, reference: str, form: CaseForm) -> Record | None:
    if not reference:
        return None
    try:
        return get_record_for(user, reference)
    except NotFound:
        form.errors.setdefault("record", []).append(_("No record %(ref)s.", ref=reference))
        return None


@bp.get("/cases/new")
@roles_required(*CURATORS)
def new_case():
    user = current_user_required()
    reference = request.args.get("record", "").strip()
    kind = request.args.get("kind", "")
    form = CaseForm(
        values={
            "record": reference,
            "kind": kind if kind in CaseKind.values() else "",
            "dimensions": [key for key in request.args.getlist("dimensions") if key in dict(dimension_choices())],
        }
    )
    record = chosen_record(user, reference, form)
    return render_new(user, form, record, status=404 if form.errors else 200)


@bp.post("/cases/new")
@roles_required(*CURATORS)
def create_case_page():
    user = current_user_required()
    posted = request.form
    form = CaseForm(
        values={
            "record": posted_text(posted, "record"),
            "kind": posted_text(posted, "kind"),
            "dimensions": posted.getlist("dimensions"),
            "title": posted_text(posted, "title"),
            "commentary": posted_text(posted, "commentary"),
        }
    )
    if not form.value("record"):
        form.errors["record"] = [_("Give the number of the record the case is made from.")]
    record = chosen_record(user, form.value("record"), form)
    if record is None:
        return render_new(user, form, None, status=422)
    values = {
        "kind": CaseKind(form.value("kind")) if form.value("kind") in CaseKind.values() else None,
        "dimensions": form.value("dimensions"),
        "title": form.value("title")[:200],
        "commentary": form.value("commentary"),
    }
    try:
        case = create_case(record, values, by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors.update(form_errors(exc))
        return render_new(user, form, record, status=422)
    db.session.commit()
    flash(_("Case “%(title)s” saved.", title=case.title), "success")
    return redirect(url_for("case_pages.case_detail", case_id=case.id), code=303)


# ----- one case ----------------------------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>")
@roles_required(*LIBRARY_READERS)
def case_detail(case_id: int):
    user = current_user_required()
    case = get_case(case_id)
    curator = can_curate(user)
    in_packs = packs_of(case)
    addable = []
    if curator:
        drafts, _total = packs.list_collections(user, packs.PackFilters(), per_page=200)
        addable = [pack for pack in drafts if pack.id not in {item.id for item in in_packs}]
    return render_template(
        "cases/case_detail.html",
        case=case,
        record=case.source_record,
        packs=in_packs,
        addable=addable,
        curator=curator,
        labels=case_labels(),
        text_fields=SNAPSHOT_TEXT_FIELDS,
    )


def form_from_case(case: TrainingCase) -> CaseForm:
    names = ("title", "commentary", *SNAPSHOT_TEXT_FIELDS)
    values: dict[str, Any] = {name: getattr(case, name) or "" for name in names}
    values["kind"] = case.kind.value
    values["dimensions"] = list(case.dimensions or [])
    return CaseForm(values=values)


def render_edit(case: TrainingCase, form: CaseForm, *, status: int = 200):
    body = render_template(
        "cases/case_form.html",
        form=form,
        case=case,
        preview=None,
        dimension_choices=dimension_choices(),
        labels=case_labels(),
        text_fields=SNAPSHOT_TEXT_FIELDS,
    )
    return body, status


@bp.get("/cases/<int:case_id>/edit")
@roles_required(*CURATORS)
def edit_case(case_id: int):
    case = get_case(case_id)
    return render_edit(case, form_from_case(case))


@bp.post("/cases/<int:case_id>/edit")
@roles_required(*CURATORS)
def update_case_page(case_id: int):
    user = current_user_required()
    case = get_case(case_id)
    posted = request.form
    form = form_from_case(case)
    texts = ("commentary", *SNAPSHOT_TEXT_FIELDS)
    form.values.update({name: posted_text(posted, name) for name in ("title", "kind", *texts)})
    form.values["dimensions"] = posted.getlist("dimensions")
    # Blank means "clear it" here (as in the proposal form): a blank optional text becomes None, while a blank title
    # or problem description is sent as "" so the service refuses it with its own message.
    raw: dict[str, Any] = {name: form.value(name) or None for name in texts}
    raw.update(
        {
            "title": form.value("title"),
            "problem_description": form.value("problem_description"),
            "kind": form.value("kind") or None,
            "dimensions": form.value("dimensions"),
        }
    )
    try:
        changed = update_case(case, CaseUpdateSchema().load(raw), by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_edit(case, form, status=422)
    db.session.commit()
    flash(_("Case saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("case_pages.case_detail", case_id=case.id), code=303)


@bp.post("/cases/<int:case_id>/delete")
@roles_required(*CURATORS)
def delete_case_page(case_id: int):
    user = current_user_required()
    case = get_case(case_id)
    try:
        delete_case(case, by=user)
    except ValidationError as exc:
        db.session.rollback()
        for _field, message in flatten_messages(exc.messages):
            flash(message, "danger")
        return redirect(url_for("case_pages.case_detail", case_id=case_id), code=303)
    db.session.commit()
    flash(_("Case deleted."), "success")
    return redirect(url_for("case_pages.library_page"), code=303)


@bp.post("/cases/<int:case_id>/add-to-pack")
@roles_required(*CURATORS)
def add_to_pack(case_id: int):
    user = current_user_required()
    case = get_case(case_id)
    raw = request.form.get("collection", "")
    if not raw.isdigit():
        flash(_("Choose the training pack."), "danger")
        return redirect(url_for("case_pages.case_detail", case_id=case_id), code=303)
    collection = packs.get_collection(int(raw))
    if packs.add_case(collection, case, by=user):
        db.session.commit()
        flash(_("Added to “%(title)s”.", title=collection.title), "success")
    else:
        flash(_("The case is in “%(title)s” already.", title=collection.title), "info")
    return redirect(url_for("case_pages.case_detail", case_id=case_id), code=303)
