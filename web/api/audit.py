from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from records.db import db
from records.enums import Role
from records.models import AuditLog
from records.presenting import iso_utc
from records.schemas import FILTER_DAYS, PageSchema, PaginationSchema
from records.timeutil import local_day_start
from web.api.common import page_of
from web.auth import roles_required

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Who did what, when (administrators).")


class AuditQuerySchema(PaginationSchema):
    actor = fields.String()
    action = fields.String(metadata={"description": "e.g. record.reveal, records.export, record.delete"})
    object_id = fields.String(metadata={"description": "a record or customer number, a username"})
    date_from = fields.Date(data_key="from", validate=FILTER_DAYS)
    date_to = fields.Date(data_key="to", validate=FILTER_DAYS)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.Function(lambda entry: iso_utc(entry.at), metadata={"description": "UTC, ISO 8601"})
    actor = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEntrySchema))


@blp.route("")
class AuditEntries(MethodView):
    decorators = [roles_required(Role.ADMIN)]

    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict):
        """Audit entries, newest first."""
        query = sa.select(AuditLog)
        for field in ("actor", "action", "object_id"):
            if args.get(field):
                query = query.where(getattr(AuditLog, field) == args[field])
        if args.get("date_from"):
            query = query.where(AuditLog.at >= local_day_start(args["date_from"]))
        if args.get("date_to"):
            query = query.where(AuditLog.at < local_day_start(args["date_to"] + timedelta(days=1)))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        items = db.session.scalars(
            query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .offset((args["page"] - 1) * args["per_page"])
            .limit(args["per_page"])
        )
        return page_of(list(items), total, args)
