"""Customer pages: the list with keyword search and the profile with the full history of records."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from jobs.erasure_requests import erase_customer, erasure_preview, finish_erasure, may_erase
from records.access import can_manage_customer
from records.customers import customer_history, get_customer_for, list_customers, reveal_customer
from records.db import db
from records.enums import Role
from records.importing import flatten_messages
from records.models import Customer, User
from records.presenting import customer_to_dict
from web.auth import RECORD_KEEPERS, STAFF, roles_required
from web.pages.common import current_user_required, history_row
from web.pages.paging import Paging

bp = Blueprint("customer_pages", __name__)


@bp.get("/customers")
@roles_required(*RECORD_KEEPERS)
def list_customers_page():
    user = current_user_required()
    q = request.args.get("q", "").strip()[:200]
    paging = Paging.asked(request.args.get("page"))
    items, total = list_customers(user, q=q or None, page=paging.number, per_page=paging.size)
    return render_template(
        "customers/list.html",
        customers=[customer_to_dict(customer, masked=True, viewer=user) for customer in items],
        total=total,
        q=q,
        **paging.template_args(total),
    )


# Trainers pass the role check; get_customer_for refuses them (403), since profiles identify people. A customer the
# user may not see is a 404, like one that does not exist.
@bp.get("/customers/<ref>")
@roles_required(*STAFF)
def customer_detail(ref: str):
    user = current_user_required()
    return render_profile(get_customer_for(user, ref), user, revealed=False)


@bp.post("/customers/<ref>/reveal")
@roles_required(*STAFF)
def reveal_customer_page(ref: str):
    user = current_user_required()
    customer = get_customer_for(user, ref)
    reveal_customer(customer, user)
    db.session.commit()
    return render_profile(customer, user, revealed=True)


def render_profile(customer: Customer, user: User, *, revealed: bool):
    return render_template(
        "customers/detail.html",
        customer=customer_to_dict(customer, masked=not revealed, viewer=user),
        history=[history_row(record, user) for record in customer_history(customer, viewer=user)],
        revealed=revealed,
        may_reveal=can_manage_customer(user, customer),
        may_erase=may_erase(user),
    )


# Erasure on request (PIPL / GDPR): administrators, after a confirmation step that asks for the customer number.
@bp.get("/customers/<ref>/erase")
@roles_required(Role.ADMIN)
def erase_customer_form(ref: str):
    user = current_user_required()
    return render_erasure(get_customer_for(user, ref), user)


@bp.post("/customers/<ref>/erase")
@roles_required(Role.ADMIN)
def erase_customer_page(ref: str):
    user = current_user_required()
    customer = get_customer_for(user, ref)
    if request.form.get("confirm", "").strip() != customer.number:
        problem = _("Type the customer number %(number)s to confirm the erasure.", number=customer.number)
        return render_erasure(customer, user, errors=[problem], status=422)
    try:
        summary = erase_customer(customer, by=user)
    except ValidationError as exc:
        db.session.rollback()
        return render_erasure(
            customer, user, errors=[message for _key, message in flatten_messages(exc.messages)], status=422
        )
    db.session.commit()
    finish_erasure()
    flash(
        _(
            "Customer %(number)s was erased with %(count)s record(s); the audit log keeps that it happened.",
            number=summary.customer,
            count=len(summary.records),
        ),
        "success",
    )
    return redirect(url_for("customer_pages.list_customers_page"), code=303)


def render_erasure(customer: Customer, user: User, *, errors: list[str] | None = None, status: int = 200):
    page = render_template(
        "customers/erase.html",
        customer=customer_to_dict(customer, masked=True, viewer=user),
        preview=erasure_preview(customer),
        errors=errors or [],
    )
    return page, status
