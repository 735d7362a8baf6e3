from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from jobs.erasure_requests import erase_customer, erasure_preview, finish_erasure, may_erase
from records.access import PermissionDenied
from records.customers import customer_history, get_customer_for, list_customers, reveal_customer, update_customer
from records.db import db
from records.presenting import customer_to_dict, record_summary
from records.schemas import CustomerDetailSchema, CustomerOutSchema, CustomerUpdateSchema, PageSchema, PaginationSchema
from web.api.common import StaffView, page_of
from web.auth import signed_in_user

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers and their history.")


class CustomerQuerySchema(PaginationSchema):
    q = fields.String(validate=validate.Length(max=200))


class CustomerPageSchema(PageSchema):
    items = fields.List(fields.Nested(CustomerOutSchema))


class CustomerRevealSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reveal = fields.Boolean(load_default=False)


@blp.route("")
class Customers(StaffView):
    @blp.arguments(CustomerQuerySchema, location="query")
    @blp.response(200, CustomerPageSchema)
    def get(self, args: dict):
        """Customers you may see (agents: those you served; supervisors: your team's), contact details masked."""
        user = signed_in_user()
        items, total = list_customers(user, q=args.get("q"), page=args["page"], per_page=args["per_page"])
        return page_of([customer_to_dict(customer, masked=True, viewer=user) for customer in items], total, args)


@blp.route("/<string:ref>")
class CustomerItem(StaffView):
    @blp.arguments(CustomerRevealSchema, location="query")
    @blp.response(200, CustomerDetailSchema)
    def get(self, args: dict, ref: str):
        """A customer by id or number, with the records of theirs you may see (newest first).

        `reveal` (audit-logged) is for the customer's own team and administrators; a customer you may not see
        answers 404 like one that does not exist.
        """
        user = signed_in_user()
        customer = get_customer_for(user, ref)
        if args["reveal"]:
            reveal_customer(customer, user)
            db.session.commit()
        data = customer_to_dict(customer, masked=not args["reveal"], viewer=user)
        data["history"] = [record_summary(record) for record in customer_history(customer, viewer=user)]
        return data

    @blp.arguments(CustomerUpdateSchema)
    @blp.response(200, CustomerOutSchema)
    def patch(self, changes: dict, ref: str):
        """Correct a customer's details (name given later, company, tier, ...): the customer's own team and
        administrators."""
        user = signed_in_user()
        customer = get_customer_for(user, ref)
        update_customer(customer, changes, by=user)
        db.session.commit()
        return customer_to_dict(customer, masked=True, viewer=user)


class ErasureSchema(Schema):
    customer = fields.String(metadata={"description": "The customer number"})
    records = fields.List(fields.String(), metadata={"description": "Numbers of the records erased"})
    customers_deleted = fields.Integer()
    training_cases = fields.Integer(metadata={"description": "Training cases made from those records"})
    help_center_visits = fields.Integer(metadata={"description": "Help-center visits that ended in those records"})
    searches = fields.Integer(
        metadata={"description": "Help-center searches naming the customer's phone, e-mail or name"}
    )


def _erasable(ref: str):
    user = signed_in_user()
    if not may_erase(user):
        raise PermissionDenied("Only administrators erase customers.")
    return user, get_customer_for(user, ref)


@blp.route("/<string:ref>/erase")
class CustomerErasure(StaffView):
    @blp.response(200, ErasureSchema)
    def get(self, ref: str):
        """What erasing the customer would remove (administrators); changes nothing."""
        _user, customer = _erasable(ref)
        return erasure_preview(customer).as_dict()

    @blp.response(200, ErasureSchema)
    def post(self, ref: str):
        """Erase the customer on their request (PIPL / GDPR; administrators): every record of theirs from every store
        (follow-ups, scores, grades, FAQ drafts and keywords, cached vectors, stored reports, training cases, the
        help-center visits that ended in them), help-center searches naming their phone, e-mail or name, and the
        profile. The audit log keeps `customer.erase` (who, when, which numbers), never what was erased.

        422 when a record of theirs is under legal hold or has a grade under open dispute: nothing is erased.
        """
        user, customer = _erasable(ref)
        summary = erase_customer(customer, by=user)
        db.session.commit()
        finish_erasure()
        return summary.as_dict()
