"""The customer's status page, opened by a signed link without an account (records/customer_links.py): the ticket
number, status and public resolution, a form to add information, and the rating once the record is closed.

In the help center's layout and branding, in the record's language unless the visitor chose another. A link that
opens nothing (unknown, tampered with, expired, revoked) gets the help center's plain 404, the same for every reason.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from marshmallow import ValidationError

from records.customer_links import (
    NOTE_CHARS,
    RATING_FIELDS,
    LinkNotFound,
    add_note,
    open_link,
    public_status,
    rate,
    record_locale,
)
from records.db import db
from records.models import CustomerLink, Record
from records.schemas import CustomerNoteSchema, CustomerRatingSchema
from web.extensions import limited
from web.pages.record_forms import RecordForm
from web.pages.selfservice import form_messages

bp = Blueprint("customer_status", __name__, url_prefix="/help/status")

#: Every view of a link, valid or not, counts per address: guessing tokens is slow.
status_limit = limited("RATELIMIT_CUSTOMER_STATUS", "customer-status")
# What was taken counts, per address and per link; a form sent back with a mistake does not.
input_limit = limited(
    "RATELIMIT_CUSTOMER_INPUT", "customer-input", deduct_when=lambda response: response.status_code < 400
)
link_input_limit = limited(
    "RATELIMIT_CUSTOMER_LINK_INPUT",
    "customer-link-input",
    key_func=lambda: (request.view_args or {}).get("token", ""),
    deduct_when=lambda response: response.status_code < 400,
)


def opened(token: str) -> tuple[CustomerLink, Record]:
    """The link and its record, with the page in the record's language; the same 404 for every failure."""
    try:
        link, record = open_link(token)
    except LinkNotFound:
        db.session.rollback()
        abort(404)
    g.customer_locale = record_locale(record)
    refresh_locale()
    return link, record


@bp.get("/<token>")
@status_limit
def status(token: str):
    link, record = opened(token)
    db.session.commit()
    return render_status(token, link, record)


@bp.post("/<token>/notes")
@status_limit
@input_limit
@link_input_limit
def note(token: str):
    link, record = opened(token)
    try:
        data = CustomerNoteSchema().load({"text": request.form.get("text", "")})
        add_note(link, record, data["text"])
    except ValidationError as error:
        db.session.rollback()
        form = RecordForm(values={"text": request.form.get("text", "")}, errors=form_messages(error.messages))
        return render_status(token, link, record, note_form=form, status=422)
    db.session.commit()
    flash(_("Thank you: we added this to your request, and the agent will see it."), "success")
    return redirect(url_for("customer_status.status", token=token, _anchor="add"))


@bp.post("/<token>/rating")
@status_limit
@input_limit
@link_input_limit
def rating(token: str):
    link, record = opened(token)
    values = {field: request.form.get(field, "") for field in RATING_FIELDS}
    try:
        rate(link, record, CustomerRatingSchema().load(values))
    except ValidationError as error:
        db.session.rollback()
        form = RecordForm(values=values, errors=form_messages(error.messages))
        return render_status(token, link, record, rating_form=form, status=422)
    db.session.commit()
    flash(_("Thank you for rating our service."), "success")
    return redirect(url_for("customer_status.status", token=token, _anchor="rating"))


def render_status(
    token: str,
    link: CustomerLink,
    record: Record,
    *,
    note_form: RecordForm | None = None,
    rating_form: RecordForm | None = None,
    status: int = 200,
):
    shown: dict[str, Any] = public_status(record, link)
    if rating_form is None:
        current = shown["rating"] if shown["rated"] else {}
        rating_form = RecordForm(values={field: str(value or "") for field, value in current.items()})
    page = render_template(
        "help/status.html",
        token=token,
        status=shown,
        note_form=note_form or RecordForm(),
        rating_form=rating_form,
        rating_fields=rating_labels(),
        note_chars=NOTE_CHARS,
    )
    # The page is the customer's: no shared cache keeps it, and search engines never list it.
    headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow"}
    return page, status, headers


def rating_labels() -> list[tuple[str, str, bool]]:
    """(field, label, required) of the rating form, as the record template names the dimensions."""
    return [
        ("satisfaction", _("Overall"), True),
        ("satisfaction_efficiency", _("Efficiency"), False),
        ("satisfaction_resolution", _("Solving the problem"), False),
        ("satisfaction_attitude", _("Friendliness"), False),
    ]
