"""What clients send and get about training cases, packs, assignments, suggestions and recommendations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from records.messages import Schema
from records.presenting import iso_utc
from records.schemas import FILTER_DAYS, LONG_TEXT, BlankMeansAbsent, EnumField, PageSchema, PaginationSchema
from scoring.cases.exporting import EXPORT_FORMATS
from scoring.cases.models import CaseKind, PackAudience, PackStatus
from scoring.cases.suggestions import MAX_LIMIT, SUGGESTION_KINDS

TITLE = validate.Length(min=1, max=200)
ID = validate.Range(min=1, max=2**31 - 1)


class UtcTime(fields.DateTime):
    """A stored naive-UTC time as the other endpoints write it: 2026-11-02T06:30Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return value if isinstance(value, str) or value is None else iso_utc(value)


class CasePeriodSchema(Schema):
    """A period of local days: `from` and `to` (both included); the last 90 days when not given."""

    date_from = fields.Date(data_key="from", validate=FILTER_DAYS, metadata={"description": "First local day."})
    date_to = fields.Date(data_key="to", validate=FILTER_DAYS, metadata={"description": "Last local day (included)."})

    @validates_schema
    def range_in_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError([_l("The period starts after it ends.")], "from")


class CaseTextSchema(Schema):
    zh = fields.String()
    en = fields.String()


class CaseNamedKeySchema(Schema):
    key = fields.String()
    name = fields.Nested(CaseTextSchema)


class CaseDimensionSchema(CaseNamedKeySchema):
    criteria = fields.List(fields.String(), metadata={"description": "Criteria the dimension teaches."})


class CaseDimensionListSchema(Schema):
    dimensions = fields.List(fields.Nested(CaseDimensionSchema))
    criteria = fields.List(
        fields.Nested(CaseNamedKeySchema), metadata={"description": "Every criterion a pack may name."}
    )


# ----- cases -------------------------------------------------------------------------------------------------------


class CaseQuerySchema(PaginationSchema):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Words in the title or texts."})
    kind = EnumField(CaseKind)
    dimension = fields.String(validate=validate.Length(max=40))


class CaseInputSchema(BlankMeansAbsent, Schema):
    record = fields.String(
        required=True,
        validate=validate.Length(min=1, max=24),
        metadata={"description": "The record's id or number (R…) the case is made from."},
    )
    kind = EnumField(CaseKind, required=True)
    dimensions = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), required=True, validate=validate.Length(max=20)
    )
    title = fields.String(validate=TITLE, metadata={"description": "Default: the start of the problem description."})
    commentary = fields.String(validate=LONG_TEXT)


class CaseUpdateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(validate=validate.Length(max=200))
    kind = EnumField(CaseKind)
    dimensions = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20))
    commentary = fields.String(validate=LONG_TEXT, allow_none=True)
    problem_description = fields.String(validate=LONG_TEXT)
    customer_request = fields.String(validate=LONG_TEXT, allow_none=True)
    key_details = fields.String(validate=LONG_TEXT, allow_none=True)
    handling_steps = fields.String(validate=LONG_TEXT, allow_none=True)
    resolution = fields.String(validate=LONG_TEXT, allow_none=True)
    customer_feedback = fields.String(validate=LONG_TEXT, allow_none=True)


class CaseCriterionSchema(Schema):
    key = fields.String()
    name = fields.Nested(CaseTextSchema)
    kind = fields.String()
    critical = fields.Boolean()
    points = fields.Float(allow_none=True)
    scale = fields.Float()
    explanation = fields.Nested(CaseTextSchema, allow_none=True)
    suggestion = fields.Nested(CaseTextSchema, allow_none=True)


class CaseCustomerSchema(Schema):
    label = fields.String(metadata={"description": "The placeholder that stands for the customer: 客户A / Customer A."})
    customer_type = fields.String()
    tier = fields.String()
    industry = fields.String(allow_none=True)


class CaseOutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    dimensions = fields.List(fields.Nested(CaseNamedKeySchema))
    commentary = fields.String(allow_none=True)
    language = fields.String()
    source_record = fields.String(
        allow_none=True, metadata={"description": "The record's number while it exists (library readers only)."}
    )
    source_deleted = fields.Boolean(metadata={"description": "The source record was deleted (e.g. by retention)."})
    channel = fields.String()
    channel_platform = fields.String(allow_none=True)
    contacted_at = fields.String()
    duration_minutes = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    priority = fields.String()
    status = fields.String()
    emotion = fields.String(allow_none=True)
    customer = fields.Nested(CaseCustomerSchema)
    problem_description = fields.String()
    customer_request = fields.String(allow_none=True)
    key_details = fields.String(allow_none=True)
    handling_steps = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    customer_feedback = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    details = fields.Dict(
        metadata={"description": "tags, attachments, collaboration, follow_ups, satisfaction_* and related_count."}
    )
    score = fields.Float(allow_none=True, metadata={"description": "The score that counted when the case was made."})
    auto_score = fields.Float(allow_none=True)
    grade_score = fields.Float(allow_none=True)
    critical_failed = fields.Boolean()
    rubric_version = fields.Integer(allow_none=True)
    criteria = fields.List(fields.Nested(CaseCriterionSchema))
    created_by = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseOutSchema))
    kind_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class CaseSuggestionQuerySchema(CasePeriodSchema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(
        load_default="top",
        validate=validate.OneOf(list(SUGGESTION_KINDS)),
        metadata={"description": "top, bottom, angry_resolved (upset customers resolved with 满意+) or transfers."},
    )
    dimension = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))


class CaseSuggestionSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    contacted_at = UtcTime()
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    status = fields.String()
    emotion = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    score = fields.Float(metadata={"description": "Effective score: the grade if any, else the automatic score."})
    auto_score = fields.Float()
    grade_score = fields.Float(allow_none=True)
    transfers = fields.Integer(metadata={"description": "Departments the record was handed to."})
    dimension_value = fields.Float(allow_none=True, metadata={"description": "0-1 on the dimension's criteria."})
    excerpt = fields.String(metadata={"description": "The start of the problem description, scrubbed."})
    suggested_kind = fields.String()
    suggested_dimensions = fields.List(fields.String())


class CaseSuggestionListSchema(Schema):
    kind = fields.String()
    dimension = fields.String(allow_none=True)
    items = fields.List(fields.Nested(CaseSuggestionSchema))


# ----- packs -------------------------------------------------------------------------------------------------------


class PackQuerySchema(PaginationSchema):
    q = fields.String(validate=validate.Length(max=200))
    status = EnumField(PackStatus)


class PackInputSchema(BlankMeansAbsent, Schema):
    title = fields.String(required=True, validate=TITLE)
    introduction = fields.String(validate=LONG_TEXT)
    audience = EnumField(PackAudience, metadata={"description": "assigned (default) or everyone."})
    criteria = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        validate=validate.Length(max=30),
        metadata={"description": "Criteria the pack teaches besides its cases' dimensions (see /cases/dimensions)."},
    )
    case_ids = fields.List(fields.Integer(validate=ID), validate=validate.Length(max=200))


class PackUpdateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(validate=validate.Length(max=200))
    introduction = fields.String(validate=LONG_TEXT, allow_none=True)
    audience = EnumField(PackAudience)
    criteria = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=30))
    case_ids = fields.List(
        fields.Integer(validate=ID),
        validate=validate.Length(max=200),
        metadata={"description": "All the pack's cases in reading order (replaces them)."},
    )


class PackAssignmentBriefSchema(Schema):
    assigned_at = fields.String()
    due = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    criterion = fields.String(allow_none=True)


class PackReadingBriefSchema(Schema):
    first_opened_at = fields.String()
    completed_at = fields.String(allow_none=True)


class PackOutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    introduction = fields.String(allow_none=True)
    status = fields.String()
    audience = fields.String()
    criteria = fields.List(fields.Nested(CaseNamedKeySchema))
    teaches = fields.List(
        fields.Nested(CaseNamedKeySchema), metadata={"description": "Tagged criteria and the cases'."}
    )
    case_count = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    published_at = fields.String(allow_none=True)
    assignment = fields.Nested(PackAssignmentBriefSchema, allow_none=True, metadata={"description": "Yours, if any."})
    reading = fields.Nested(PackReadingBriefSchema, allow_none=True, metadata={"description": "Yours, if any."})
    cases = fields.List(fields.Nested(CaseOutSchema))


class PackPageSchema(PageSchema):
    items = fields.List(fields.Nested(PackOutSchema))


class PackAssignSchema(Schema):
    agents = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Usernames, agent codes (工号) or e-mails."},
    )
    due = fields.Date(allow_none=True, validate=FILTER_DAYS)
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)
    criterion = fields.String(
        validate=validate.Length(max=60), allow_none=True, metadata={"description": "The weakness it answers."}
    )


class PackProgressRowSchema(Schema):
    agent_id = fields.Integer()
    username = fields.String()
    name = fields.String()
    team = fields.String(allow_none=True)
    assigned = fields.Boolean()
    assigned_at = UtcTime(allow_none=True)
    assigned_by = fields.String(allow_none=True)
    due = fields.Date(allow_none=True)
    criterion = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    first_opened_at = UtcTime(allow_none=True)
    completed_at = UtcTime(allow_none=True)


class PackProgressSchema(Schema):
    collection_id = fields.Integer()
    items = fields.List(fields.Nested(PackProgressRowSchema))


class PackExportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="markdown", validate=validate.OneOf(EXPORT_FORMATS))
    language = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class PackRecommendationQuerySchema(CasePeriodSchema):
    class Meta:
        unknown = EXCLUDE

    team = fields.String(validate=validate.Length(max=80), metadata={"description": "Team name (trainers, admins)."})


class PackBriefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    cases = fields.Integer()
    assigned = fields.Boolean()
    completed = fields.Boolean()


class PackWeaknessSchema(Schema):
    criterion = fields.String()
    name = fields.Nested(CaseTextSchema)
    agent_mean = fields.Float(metadata={"description": "The agent's mean, 0-1."})
    team_mean = fields.Float()
    gap = fields.Float()
    records = fields.Integer()
    pack = fields.Nested(PackBriefSchema, allow_none=True, metadata={"description": "The pack that teaches it."})
    other_packs = fields.List(fields.Nested(PackBriefSchema))


class PackRecommendationSchema(Schema):
    agent_id = fields.Integer()
    username = fields.String()
    name = fields.String()
    team = fields.String(allow_none=True)
    weaknesses = fields.List(fields.Nested(PackWeaknessSchema))


class PackRecommendationListSchema(Schema):
    start = UtcTime()
    end = UtcTime()
    items = fields.List(fields.Nested(PackRecommendationSchema))
