"""Status links for a record's customer (records/customer_links.py): list, make (mailed when mail is set up), revoke."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields, validate

from records.access import require
from records.customer_links import MAX_LINK_DAYS, get_link, links_of, may_send_links, revoke_link
from records.db import db
from records.messages import Schema
from records.operations import get_record_for, require_not_archived
from records.presenting import iso_utc
from web.api.common import StaffView
from web.auth import signed_in_user
from web.pages.customer_links import link_to_dict, send_new_link

blp = Blueprint(
    "customer_links", __name__, url_prefix="/api/v1/records", description="Status links for a record's customer."
)


class LinkInputSchema(Schema):
    days = fields.Integer(
        validate=validate.Range(min=1, max=MAX_LINK_DAYS),
        metadata={"description": "How long the link works; default CUSTOMER_LINK_DAYS (30)."},
    )


class LinkOutSchema(Schema):
    id = fields.Integer()
    active = fields.Boolean()
    url = fields.String(allow_none=True, metadata={"description": "The status page; null once revoked or expired."})
    created_at = fields.String()
    created_by = fields.String(allow_none=True, metadata={"description": "null: made for a contact request"})
    expires_at = fields.String()
    emailed_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)
    emailed = fields.Boolean(metadata={"description": "On creation: whether the link was mailed to the customer."})


def link_out(link, **extra) -> dict:
    shown = link_to_dict(link)
    for key in ("created_at", "expires_at", "emailed_at", "revoked_at", "last_used_at"):
        shown[key] = iso_utc(shown[key])
    return {**shown, **extra}


def editable_record(ref: str):
    user = signed_in_user()
    record = get_record_for(user, ref)
    require_not_archived(record)
    require(may_send_links(user, record), "You may not give the customer of this record a link.")
    return user, record


@blp.route("/<string:ref>/customer-links")
class CustomerLinks(StaffView):
    @blp.response(200, LinkOutSchema(many=True))
    def get(self, ref: str):
        """The record's status links, newest first (those who may change the record)."""
        _user, record = editable_record(ref)
        return [link_out(link) for link in links_of(record)]

    @blp.arguments(LinkInputSchema)
    @blp.response(201, LinkOutSchema)
    def post(self, data: dict, ref: str):
        """Give the customer a signed link to their record's status page (no account needed): mailed to the
        customer's e-mail when mail is configured (`emailed`), else copy `url` to them. Audit-logged."""
        user, record = editable_record(ref)
        link, _url, mailed = send_new_link(record, by=user, days=data.get("days"))
        return link_out(link, emailed=mailed)


@blp.route("/<string:ref>/customer-links/<int:link_id>/revoke")
class RevokeCustomerLink(StaffView):
    @blp.response(200, LinkOutSchema)
    def post(self, ref: str, link_id: int):
        """Revoke a link at once: it opens nothing from now on. Audit-logged."""
        user, record = editable_record(ref)
        link = revoke_link(get_link(record, link_id), by=user)
        db.session.commit()
        return link_out(link)
