"""What clients send and get about FAQ proposals."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from kb.models import ProposalKind, ProposalStatus
from kb.schemas import TITLE, QuestionList
from records.enums import Language
from records.messages import Schema
from records.schemas import BlankMeansAbsent, EnumField, PageSchema, PaginationSchema, TagList


class ProposalQuerySchema(PaginationSchema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf([*ProposalStatus.values(), "all"]),
        metadata={"description": "open (default), approved, rejected, merged, obsolete or all."},
    )
    kind = EnumField(ProposalKind)
    category = fields.String(validate=validate.Length(max=60))
    language = EnumField(Language)
    include = fields.String(
        validate=validate.OneOf(["members"]),
        metadata={"description": "`members`: each proposal's member records (id, number, source, external_id)."},
    )


class ProposalEditSchema(BlankMeansAbsent, Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(validate=TITLE)
    answer = fields.String(validate=validate.Length(max=100_000), metadata={"description": "Markdown."})
    alt_questions = QuestionList(validate=validate.Length(max=30))
    category = fields.String(validate=validate.Length(max=60), allow_none=True)
    subcategory = fields.String(validate=validate.Length(max=60), allow_none=True)
    keywords = TagList(validate=validate.Length(max=30))


class RejectSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Why; shown to later reviewers and kept with the rejection."},
    )


class MergeSchema(Schema):
    into = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The open proposal this one is merged into; its members move there."},
    )


class TargetSchema(Schema):
    article_id = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "The article that already answers this proposal's question: the proposal becomes an update "
            "of it. null: the proposal becomes one of a new article."
        },
    )


class RemoveMembersSchema(Schema):
    record_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )


class VariationSchema(Schema):
    text = fields.String()
    count = fields.Integer()


class MemberSchema(Schema):
    record_id = fields.Integer()
    number = fields.String()
    source = fields.String()
    external_id = fields.String(allow_none=True)


class SimilarArticleSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    score = fields.Float(metadata={"description": "Search's cosine to the proposal's title (BM25 without embeddings)."})


class ProposalOutSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    target_article_id = fields.Integer(allow_none=True)
    article_id = fields.Integer(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True)
    title = fields.String()
    answer = fields.String()
    variations = fields.List(fields.Nested(VariationSchema))
    editor_flags = fields.List(fields.String(), dump_only=True)
    alt_questions = fields.List(fields.String())
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    language = fields.String()
    edited_fields = fields.List(fields.String())
    impact = fields.Float(metadata={"description": "Volume × trend × dissatisfaction; the list's order."})
    record_count = fields.Integer()
    recent_count = fields.Integer(metadata={"description": "Members contacted in the last 30 days."})
    previous_count = fields.Integer(metadata={"description": "Members contacted in the 30 days before those."})
    mean_satisfaction = fields.Float(allow_none=True)
    first_seen = fields.String(allow_none=True)
    last_seen = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    rejected_size = fields.Integer(allow_none=True)
    status_note = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    members = fields.List(
        fields.Nested(MemberSchema),
        metadata={"description": "With include=members (or on one proposal): the records you may see."},
    )
    removed_record_ids = fields.List(fields.Integer())
    similar_articles = fields.List(
        fields.Nested(SimilarArticleSchema),
        metadata={"description": "On one proposal: the published articles closest to its question, closest first."},
    )


class ProposalPageSchema(PageSchema):
    items = fields.List(fields.Nested(ProposalOutSchema))
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class ApprovalOutSchema(Schema):
    proposal = fields.Nested(ProposalOutSchema)
    article_id = fields.Integer()
    article_status = fields.String()
