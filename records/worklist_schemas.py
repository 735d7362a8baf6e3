"""Marshmallow schemas of the worklist, its bulk actions, assignment rules and notifications (API and pages)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from records.assignment import RULE_NAME_CHARS, STRATEGIES
from records.enums import Channel, CustomerTier, Priority
from records.messages import Schema
from records.schemas import EnumField, FollowUpInputSchema, PageSchema, PaginationSchema, PartialMixin
from records.worklist import BULK_ACTIONS, BULK_LIMIT, SORTS, WORK_KINDS

#: The largest "overdue by" filter (hours): ten years; beyond it nothing is that overdue.
MAX_OVERDUE_HOURS = 24 * 3660


class WorklistQuerySchema(PaginationSchema):
    team = fields.String(validate=validate.Length(max=80))
    agent = fields.String(
        validate=validate.Length(max=80),
        metadata={"description": "Who handles the record (its assignee, else its agent): username or agent code."},
    )
    priority = EnumField(Priority)
    kind = fields.String(validate=validate.OneOf(WORK_KINDS, error=_l("Choose respond, resolve or follow-up.")))
    overdue_hours = fields.Float(
        data_key="overdue",
        validate=validate.Range(min=0, max=MAX_OVERDUE_HOURS, error=_l("Give a number of hours from 0 to 87840.")),
        metadata={"description": "Only rows at least this many hours past their deadline."},
    )
    sort = fields.String(
        load_default="overdue",
        validate=validate.OneOf(SORTS, error=_l("Sort by overdue, due, priority, record or team.")),
    )


class WorkItemSchema(Schema):
    kind = fields.String(metadata={"description": "respond, resolve or follow_up"})
    record = fields.String()
    priority = fields.String()
    team = fields.String(allow_none=True)
    agent = fields.String(metadata={"description": "The agent who took the contact."})
    handler = fields.String(metadata={"description": "Who handles it: the assignee, else the agent."})
    due = fields.String(metadata={"description": "UTC, ISO 8601"})
    overdue_minutes = fields.Float()
    follow_up_id = fields.Integer(allow_none=True)
    action = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)


class TeamCountSchema(Schema):
    team = fields.String(allow_none=True)
    count = fields.Integer()


class WorklistPageSchema(PageSchema):
    items = fields.List(fields.Nested(WorkItemSchema))
    team_counts = fields.List(fields.Nested(TeamCountSchema))


class BulkInputSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    records = fields.List(
        fields.String(validate=validate.Length(min=1, max=40, error=_l("A record number has 1 to 40 characters."))),
        required=True,
        validate=[
            validate.Length(min=1, error=_l("Choose at least one record.")),
            validate.Length(max=BULK_LIMIT, error=_l("At most %(limit)d records at once.", limit=BULK_LIMIT)),
        ],
        metadata={"description": "Record numbers or ids."},
    )
    action = fields.String(
        required=True, validate=validate.OneOf(BULK_ACTIONS, error=_l("Choose reassign, priority or follow-up."))
    )
    assignee = fields.String(
        validate=validate.Length(max=80),
        allow_none=True,
        metadata={"description": "reassign: username; null: the agent"},
    )
    priority = EnumField(Priority)
    follow_up = fields.Nested(FollowUpInputSchema)

    @validates_schema
    def has_what_the_action_needs(self, data: dict, **kwargs: Any) -> None:
        action = data.get("action")
        if action == "priority" and not data.get("priority"):
            raise ValidationError({"priority": [_l("Choose a priority.")]})
        if action == "follow_up" and not data.get("follow_up"):
            raise ValidationError({"follow_up": [_l("Describe the follow-up: action, owner and due date.")]})
        if action == "reassign" and "assignee" not in data:
            raise ValidationError({"assignee": [_l("Choose who handles the records.")]})


class BulkRefusalSchema(Schema):
    record = fields.String()
    reason = fields.String()


class BulkOutcomeSchema(Schema):
    done = fields.List(fields.String())
    refused = fields.List(fields.Nested(BulkRefusalSchema))


class AssignmentRuleInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=RULE_NAME_CHARS))
    active = fields.Boolean(load_default=True)
    category = fields.String(validate=validate.Length(max=60), allow_none=True)
    customer_tier = EnumField(CustomerTier, allow_none=True)
    channel = EnumField(Channel, allow_none=True)
    team = fields.String(validate=validate.Length(max=80), allow_none=True)
    strategy = fields.String(
        load_default="round_robin",
        validate=validate.OneOf(STRATEGIES, error=_l("Choose round robin or fewest open records.")),
    )
    candidates = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        validate=validate.Length(max=200),
        metadata={"description": "Usernames (or agent codes) of who records are assigned to."},
    )


class AssignmentRuleUpdateSchema(PartialMixin, AssignmentRuleInputSchema):
    pass


class AssignmentRuleOutSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    active = fields.Boolean()
    category = fields.String(allow_none=True)
    customer_tier = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    strategy = fields.String()
    candidates = fields.List(fields.String())


class AssignmentChangeSchema(Schema):
    at = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "Username; null: a rule"})
    rule = fields.String(allow_none=True)
    from_user = fields.String(data_key="from", allow_none=True)
    to_user = fields.String(data_key="to", allow_none=True)


class NotificationQuerySchema(PaginationSchema):
    unread = fields.Boolean(load_default=False)


class NotificationOutSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "respond, resolve or follow_up"})
    stage = fields.String(metadata={"description": "soon (before the deadline) or due (the deadline passed)"})
    record = fields.String(allow_none=True)
    due = fields.String()
    text = fields.String()
    created_at = fields.String()
    read = fields.Boolean()
    read_at = fields.String(allow_none=True)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationOutSchema))
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer()
