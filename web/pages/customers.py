"""Customer pages: the list with keyword search and the profile with the full history of records."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from records.access import can_manage_customer
from records.customers import customer_history, get_customer_for, list_customers, reveal_customer
from records.db import db
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
    )
