"""What clients send and get about knowledge gaps and the trainer queue."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from kb.gaps.models import GapStatus
from kb.gaps.operations import QUEUE_KINDS
from kb.schemas import TITLE
from records.enums import Language
from records.messages import Schema
from records.schemas import BlankMeansAbsent, EnumField, PageSchema, PaginationSchema

NOTE = validate.Length(max=2000)


class GapQuerySchema(PaginationSchema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf([*GapStatus.values(), "all"]),
        metadata={"description": "open (default), article, alternative, not_a_gap, resolved or all."},
    )
    language = EnumField(Language)
    category = fields.String(
        validate=validate.Length(max=60), metadata={"description": "Category or subcategory code."}
    )


class QueueQuerySchema(PaginationSchema):
    kind = fields.String(validate=validate.OneOf(QUEUE_KINDS), metadata={"description": "gap or proposal."})
    language = EnumField(Language)
    category = fields.String(
        validate=validate.Length(max=60), metadata={"description": "Category or subcategory code."}
    )


class NoteSchema(BlankMeansAbsent, Schema):
    class Meta:
        unknown = EXCLUDE

    note = fields.String(validate=NOTE, metadata={"description": "Why; kept with the decision."})


class CreateArticleSchema(NoteSchema):
    title = fields.String(validate=TITLE, metadata={"description": "Another title than the gap's central question."})


class AlternativeSchema(NoteSchema):
    article = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The article that gets the question (see suggested_articles)."},
    )
    question = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "The wording to add; the gap's central question if left out."},
    )


class ExampleSchema(Schema):
    text = fields.String()
    count = fields.Integer()
    kinds = fields.List(fields.String())


class ArticleRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()


class UnhelpfulSchema(Schema):
    id = fields.Integer()
    count = fields.Integer()


class GapOutSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    title = fields.String()
    language = fields.String()
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    signal_count = fields.Integer(metadata={"description": "Signals in the refresh window."})
    recent_count = fields.Integer(metadata={"description": "Signals in the window's later half (this period)."})
    previous_count = fields.Integer(metadata={"description": "Signals in the window's earlier half."})
    trend = fields.Float(metadata={"description": "(recent + 1) / (previous + 1)."})
    impact = fields.Float(metadata={"description": "Volume × trend."})
    kinds = fields.Dict(keys=fields.String(), values=fields.Integer())
    examples = fields.List(fields.Nested(ExampleSchema), metadata={"description": "Masked, most central first."})
    unhelpful_articles = fields.List(fields.Nested(UnhelpfulSchema))
    suggested_articles = fields.List(fields.Nested(ArticleRefSchema))
    first_seen = fields.String(allow_none=True)
    last_seen = fields.String(allow_none=True)
    article_id = fields.Integer(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    status_note = fields.String(allow_none=True)
    refreshed_at = fields.String(allow_none=True)


class GapPageSchema(PageSchema):
    items = fields.List(fields.Nested(GapOutSchema))
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class GapDecisionOutSchema(Schema):
    gap = fields.Nested(GapOutSchema)
    article_id = fields.Integer(allow_none=True)


class QueueItemSchema(Schema):
    kind = fields.String(metadata={"description": "gap or proposal."})
    id = fields.Integer()
    title = fields.String()
    volume = fields.Integer(metadata={"description": "Signals of a gap, records of a proposal."})
    recent_count = fields.Integer()
    previous_count = fields.Integer()
    impact = fields.Float()
    language = fields.String()
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)


class QueuePageSchema(PageSchema):
    items = fields.List(fields.Nested(QueueItemSchema))
