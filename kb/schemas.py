"""What clients send about articles, feedback and self-service contact requests."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from kb.models import ArticleStatus
from records.enums import Language
from records.schemas import EnumField, PaginationSchema, TagList

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


class ArticleInputSchema(Schema):
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

    @pre_load
    def blank_means_absent(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}
        return data


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


class ContactRequestSchema(Schema):
    """ "Still need help?": what a customer tells us when self-service did not answer."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    phone = fields.String(
        validate=validate.Regexp(r"^\+?[\d\s\-()]{3,30}$", error="A phone number has digits, spaces, + - ( ) only."),
        allow_none=True,
    )
    email = fields.Email(allow_none=True)
    description = fields.String(required=True, validate=validate.Length(min=5, max=5000))
    session = fields.String(validate=validate.Length(max=40), allow_none=True)

    @pre_load
    def blank_means_absent(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}
        return data

    @validates_schema
    def reachable(self, data: dict, **kwargs: Any) -> None:
        if not data.get("phone") and not data.get("email"):
            raise ValidationError("Give a phone number or an e-mail address so we can answer you.", "phone")
