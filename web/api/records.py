from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from jobs.erasure_requests import erase_record, finish_erasure
from records.db import db
from records.operations import (
    LEGAL_HOLD_REASON_CHARS,
    RecordFilters,
    add_follow_up,
    clear_legal_hold,
    create_record,
    get_follow_up,
    get_record_for,
    list_records,
    set_legal_hold,
    update_follow_up,
    update_record,
    verify_customer,
)
from records.presenting import iso_utc, may_reveal, record_to_dict
from records.schemas import (
    FollowUpInputSchema,
    FollowUpOutSchema,
    FollowUpUpdateSchema,
    RecordInputSchema,
    RecordOutSchema,
    RecordPageSchema,
    RecordQuerySchema,
    RecordUpdateSchema,
    RevealQuerySchema,
)
from web.api.common import PRECONDITION_FAILED, StaffView, check_if_match, etag_headers, page_of
from web.auth import signed_in_user

blp = Blueprint("records", __name__, url_prefix="/api/v1/records", description="Consultation records.")


class RecordListQuerySchema(RecordQuerySchema):
    archived = fields.Boolean(
        load_default=False,
        metadata={"description": "List archived records (retention) instead of live ones; supervisors and admins."},
    )


class LegalHoldInputSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=LEGAL_HOLD_REASON_CHARS))


class RetentionStateSchema(Schema):
    number = fields.String()
    legal_hold = fields.Boolean()
    legal_hold_reason = fields.String(allow_none=True)
    archived_at = fields.String(allow_none=True, metadata={"description": "UTC, ISO 8601; null while live"})


def retention_state(record) -> dict:
    return {
        "number": record.number,
        "legal_hold": record.legal_hold,
        "legal_hold_reason": record.legal_hold_reason,
        "archived_at": iso_utc(record.archived_at),
    }


@blp.route("")
class Records(StaffView):
    @blp.arguments(RecordListQuerySchema, location="query")
    @blp.response(200, RecordPageSchema)
    def get(self, args: dict):
        """List the records you may see, newest first, with filters.

        `q` searches the customer's name and company, the record number and the record's text.
        Personal data is masked; `reveal=true` is refused here (open one record to reveal it).
        Archived records (retention) are left out; `archived=true` lists them instead (supervisors, admins).
        """
        user = signed_in_user()
        items, total = list_records(user, RecordFilters.from_args(args), page=args["page"], per_page=args["per_page"])
        return page_of([record_to_dict(record, viewer=user) for record in items], total, args)

    @blp.arguments(RecordInputSchema)
    @blp.response(201, RecordOutSchema)
    def post(self, data: dict):
        """Create a record. Agents record their own contacts; `agent` defaults to you."""
        user = signed_in_user()
        record = create_record(data, by=user)
        db.session.commit()
        return record_to_dict(record, viewer=user), etag_headers(record)


@blp.route("/<string:ref>")
class RecordItem(StaffView):
    @blp.arguments(RevealQuerySchema, location="query")
    @blp.response(200, RecordOutSchema)
    def get(self, args: dict, ref: str):
        """One record by id or number; `reveal=true` unmasks personal data where your role may (audit-logged)."""
        user = signed_in_user()
        record = get_record_for(user, ref)
        revealed = may_reveal(user, record, args["reveal"])
        db.session.commit()
        return record_to_dict(record, viewer=user, revealed=revealed), etag_headers(record)

    @blp.arguments(RecordUpdateSchema)
    @blp.response(200, RecordOutSchema)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def patch(self, changes: dict, ref: str):
        """Change some fields. `follow_ups` adds follow-ups; change existing ones under /follow-ups.

        Send the `ETag` of your GET as `If-Match` to change only what you read: a record changed meanwhile answers
        412 (read it again and redo the change). Without `If-Match` the change is made whatever happened meanwhile.
        """
        user = signed_in_user()
        record = get_record_for(user, ref)
        check_if_match(record)
        update_record(record, changes, by=user)
        db.session.commit()
        return record_to_dict(record, viewer=user), etag_headers(record)

    @blp.response(204)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def delete(self, ref: str):
        """Delete a record from every store (administrators): an erasure, like retention's; `If-Match` as for PATCH.

        Its follow-ups, scores, grades, links, the FAQ proposal text and keywords taken from it, cached vectors of
        its text, examples in stored reports, the help-center visit that ended in it, training cases made from it
        and its customer once they have no record left; its audit entries keep only references. Records on legal
        hold or with a grade under open dispute are refused (422). Audit-logged as `record.delete`.
        """
        user = signed_in_user()
        record = get_record_for(user, ref)
        check_if_match(record)
        erase_record(record, by=user)
        db.session.commit()
        finish_erasure()


@blp.route("/<string:ref>/legal-hold")
class LegalHold(StaffView):
    @blp.arguments(LegalHoldInputSchema)
    @blp.response(200, RetentionStateSchema)
    def post(self, data: dict, ref: str):
        """Put the record under legal hold (a dispute): retention neither archives nor deletes it.

        Administrators and supervisors of the record's team; `reason` is required. Audit-logged.
        """
        user = signed_in_user()
        record = set_legal_hold(get_record_for(user, ref), data["reason"], by=user)
        db.session.commit()
        return retention_state(record)

    @blp.response(200, RetentionStateSchema)
    def delete(self, ref: str):
        """Lift the legal hold; retention treats the record like any other again. Audit-logged."""
        user = signed_in_user()
        record = clear_legal_hold(get_record_for(user, ref), by=user)
        db.session.commit()
        return retention_state(record)


@blp.route("/<string:ref>/verify-customer")
class VerifyCustomer(StaffView):
    @blp.response(200, RecordOutSchema)
    def post(self, ref: str):
        """After checking that whoever wrote a help-center contact request owns its phone or e-mail: the record
        joins the known customer with them, or its unverified customer becomes an ordinary one. Audit-logged.

        Contact requests never join a known customer by themselves: nobody verified the visitor's identity.
        """
        user = signed_in_user()
        record = verify_customer(get_record_for(user, ref), by=user)
        db.session.commit()
        return record_to_dict(record, viewer=user)


@blp.route("/<string:ref>/follow-ups")
class FollowUps(StaffView):
    @blp.response(200, FollowUpOutSchema(many=True))
    def get(self, ref: str):
        """The record's follow-ups (action, owner, due, done)."""
        return record_to_dict(get_record_for(signed_in_user(), ref), viewer=signed_in_user())["follow_ups"]

    @blp.arguments(FollowUpInputSchema)
    @blp.response(201, FollowUpOutSchema)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def post(self, data: dict, ref: str):
        """Add a follow-up. A follow-up is part of its record: `If-Match` takes the record's `ETag`, as on record
        PATCH, and the answer's `ETag` is the record's new one."""
        user = signed_in_user()
        record = get_record_for(user, ref)
        check_if_match(record)
        follow_up = add_follow_up(record, data, by=user)
        db.session.commit()
        return _follow_up_out(record, follow_up), etag_headers(record)


@blp.route("/<string:ref>/follow-ups/<int:follow_up_id>")
class FollowUpItem(StaffView):
    @blp.arguments(FollowUpUpdateSchema)
    @blp.response(200, FollowUpOutSchema)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def patch(self, changes: dict, ref: str, follow_up_id: int):
        """Change a follow-up, e.g. `{"done": true}`.

        Send the record's `ETag` (from `GET /records/{ref}` or an earlier write) as `If-Match`: when the record, or
        any of its follow-ups, changed meanwhile the answer is 412 with the current `ETag` and nothing is written.
        """
        user = signed_in_user()
        record = get_record_for(user, ref)
        follow_up = get_follow_up(record, follow_up_id)
        check_if_match(record)
        update_follow_up(follow_up, changes, by=user)
        db.session.commit()
        return _follow_up_out(record, follow_up), etag_headers(record)


def _follow_up_out(record, follow_up):
    return next(
        item for item in record_to_dict(record, viewer=signed_in_user())["follow_ups"] if item["id"] == follow_up.id
    )
