"""What clients send about articles, feedback and self-service contact requests."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from kb.models import ArticleStatus, FeedbackReason
from records.enums import Language
from records.messages import Schema
from records.schemas import BlankMeansAbsent, EnumField, PageSchema, PaginationSchema, TagList

TITLE = validate.Length(min=1, max=300)
BODY = validate.Length(min=1, max=100_000)


class QuestionList(fields.List):
    """Alternative questions: a list, or one string with a question per line."""

    def __init__(self, **kwargs: Any):
        super().__init__(fields.String(validate=validate.Length(min=1, max=300)), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            value = value.splitlines()
        items = super()._deserialize(value, attr, data, **kwargs)
        return list(dict.fromkeys(item.strip() for item in items if item.strip()))


class ArticleInputSchema(BlankMeansAbsent, Schema):
    title = fields.String(required=True, validate=TITLE)
    body = fields.String(required=True, validate=BODY, metadata={"description": "Markdown; raw HTML is shown as text."})
    summary = fields.String(validate=validate.Length(max=1000), allow_none=True)
    category = fields.String(validate=validate.Length(max=60), allow_none=True)
    subcategory = fields.String(validate=validate.Length(max=60), allow_none=True)
    tags = TagList()
    alt_questions = QuestionList(metadata={"description": "Other ways customers ask this question."})
    language = EnumField(Language, allow_none=True)
    external_id = fields.String(validate=validate.Length(min=1, max=120), allow_none=True)
    note = fields.String(validate=validate.Length(max=500), metadata={"description": "What this edit changes."})


class ArticleUpdateSchema(ArticleInputSchema):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ArticleImportSchema(ArticleInputSchema):
    """One line of `consultkb kb import-articles`: an article, optionally already published."""

    status = EnumField(ArticleStatus)


class ArticleQuerySchema(PaginationSchema):
    status = EnumField(ArticleStatus)
    category = fields.String()
    language = EnumField(Language)
    q = fields.String(validate=validate.Length(max=200))


class FeedbackSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    helpful = fields.Boolean(required=True)
    reason = EnumField(
        FeedbackReason,
        allow_none=True,
        metadata={"description": "Why not: only with `helpful: false` (outdated, not_answered, unclear)."},
    )
    comment = fields.String(validate=validate.Length(max=2000), allow_none=True)
    session = fields.String(validate=validate.Length(max=40), allow_none=True)


class SearchQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lang = EnumField(Language, allow_none=True)
    category = fields.String(validate=validate.Length(max=60), allow_none=True)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    session = fields.String(validate=validate.Length(max=40), allow_none=True)


class ContactRequestSchema(BlankMeansAbsent, Schema):
    """ "Still need help?": what a customer tells us when self-service did not answer."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    phone = fields.String(
        validate=validate.Regexp(
            r"^\+?[\d\s\-()]{3,30}$", error=_l("A phone number has digits, spaces, + - ( ) only.")
        ),
        allow_none=True,
    )
    email = fields.Email(allow_none=True)
    description = fields.String(
        required=True,
        validate=validate.Length(min=5, max=5000, error=_l("Describe your question in {min} to {max} characters.")),
    )
    session = fields.String(validate=validate.Length(max=40), allow_none=True)

    @validates_schema
    def reachable(self, data: dict, **kwargs: Any) -> None:
        if not data.get("phone") and not data.get("email"):
            raise ValidationError([_l("Give a phone number or an e-mail address so we can answer you.")], "phone")


class RequestChangesSchema(Schema):
    comment = fields.String(
        required=True, validate=validate.Length(max=2000), metadata={"description": "What the author should change."}
    )


class SourceRecordsSchema(Schema):
    records = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Record numbers (or ids) the article was written from."},
    )


class DiffQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    old = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))
    new = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1))


class AssistQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "What the customer asked, as the agent is writing it down."},
    )
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=10))


# ----- output -----------------------------------------------------------------------------------------------------


class ArticleSummarySchema(Schema):
    """An article in a listing. Editors see the newest version; other staff see the published (live) one."""

    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    title = fields.String()
    summary = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    language = fields.String()
    status = fields.String(metadata={"enum": ArticleStatus.values()})
    public = fields.Boolean(metadata={"description": "Customers can find a version of it."})
    owner = fields.String(allow_none=True, metadata={"description": "Username of the author."})
    reviewer = fields.String(allow_none=True, metadata={"description": "Username of whoever published it last."})
    version = fields.Integer(metadata={"description": "Number of the version shown here."})
    live_version = fields.Integer(allow_none=True, metadata={"description": "Number of the version customers see."})
    view_count = fields.Integer()
    helpful_yes = fields.Integer()
    helpful_no = fields.Integer()
    reuse_count = fields.Integer(metadata={"description": "Records agents answered with this article."})
    created_at = fields.String(metadata={"description": "UTC, RFC 3339"})
    updated_at = fields.String(metadata={"description": "UTC, RFC 3339"})
    published_at = fields.String(allow_none=True, metadata={"description": "UTC, RFC 3339"})


class ArticleOutSchema(ArticleSummarySchema):
    body = fields.String(metadata={"description": "Markdown source."})
    body_html = fields.String(metadata={"description": "The body rendered to sanitised HTML."})
    alt_questions = fields.List(fields.String())
    source_records = fields.List(
        fields.String(), metadata={"description": "Numbers of the records it was written from (staff only)."}
    )


class ArticlePageSchema(PageSchema):
    items = fields.List(fields.Nested(ArticleSummarySchema))
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class VersionSummarySchema(Schema):
    number = fields.Integer()
    title = fields.String()
    author = fields.String()
    created_at = fields.String(metadata={"description": "UTC, RFC 3339"})
    changed_fields = fields.List(fields.String())
    note = fields.String(allow_none=True)
    live = fields.Boolean(metadata={"description": "Customers see this version."})


class VersionOutSchema(VersionSummarySchema):
    body = fields.String()
    body_html = fields.String()
    summary = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    alt_questions = fields.List(fields.String())
    language = fields.String()


class FieldChangeSchema(Schema):
    field = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    diff = fields.List(fields.String(), metadata={"description": "Unified diff lines (lists item by item)."})


class DiffOutSchema(Schema):
    old = fields.Integer(data_key="from")
    new = fields.Integer(data_key="to")
    changes = fields.List(fields.Nested(FieldChangeSchema))


class SuggestionSchema(Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    title = fields.String()
    snippet = fields.String(metadata={"description": "HTML: escaped text, matches in <mark>."})
    score = fields.Float()
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)


class AssistOutSchema(Schema):
    query = fields.String()
    mode = fields.String(metadata={"description": "hybrid, or bm25 when embeddings are off."})
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class ReuseOutSchema(Schema):
    record = fields.String(metadata={"description": "Record number."})
    article = fields.Integer()
    reuse_count = fields.Integer()


class LinkedArticleSchema(Schema):
    """An article used on a record."""

    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    title = fields.String()
    public = fields.Boolean()
