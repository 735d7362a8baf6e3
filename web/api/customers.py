from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

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
