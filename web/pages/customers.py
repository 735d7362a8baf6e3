"""Customer pages: the list with keyword search and the profile with the full history of records."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from records.customers import customer_history, get_customer_for, list_customers, reveal_customer
from records.db import db
from records.models import Customer, User
from records.presenting import customer_to_dict
from web.auth import RECORD_KEEPERS, STAFF, roles_required
from web.pages.common import current_user_required, history_row

bp = Blueprint("customer_pages", __name__)


@bp.get("/customers")
@roles_required(*RECORD_KEEPERS)
def list_customers_page():
    user = current_user_required()
    q = request.args.get("q", "").strip()[:200]
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and int(page) > 0 else 1
    per_page = int(current_app.config.get("RECORDS_PER_PAGE", 25))
    items, total = list_customers(user, q=q or None, page=page_number, per_page=per_page)
    return render_template(
        "customers/list.html",
        customers=[customer_to_dict(customer, masked=True) for customer in items],
        total=total,
        q=q,
        page=page_number,
        pages=max(1, -(-total // per_page)),
    )


# Trainers pass the role check; get_customer_for refuses them (403), since profiles identify people.
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
        customer=customer_to_dict(customer, masked=not revealed),
        history=[history_row(record, user) for record in customer_history(customer)],
        revealed=revealed,
    )
