"""What the public help-center API answers, and the few inputs kb.schemas does not already define."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, post_load, pre_load, validate, validates_schema

from kb import branding
from kb.models import FeedbackReason
from kb.schemas import SearchQuerySchema
from records.messages import Schema
from records.schemas import FILTER_DAYS, BlankMeansAbsent, EnumField, PageSchema, PaginationSchema


class SearchResultSchema(Schema):
    id = fields.Integer(attribute="article_id")
    external_id = fields.String(allow_none=True)
    title = fields.String()
    snippet = fields.String(metadata={"description": "HTML: escaped text, the query's words in <mark>."})
    score = fields.Float()


class SearchOutSchema(Schema):
    results = fields.List(fields.Nested(SearchResultSchema))
    did_you_mean = fields.String(allow_none=True, metadata={"description": "The query with misspellings fixed."})
    session = fields.String()


class ClickSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    article_id = fields.Integer(required=True, validate=validate.Range(min=1))
    session = fields.String(
        validate=validate.Length(max=40),
        allow_none=True,
        metadata={"description": "The search session from an earlier answer; omitted means the cookie's."},
    )


class FeedbackOutSchema(Schema):
    id = fields.Integer()
    article_id = fields.Integer()
    helpful = fields.Boolean()
    reason = EnumField(FeedbackReason, allow_none=True)
    comment = fields.String(allow_none=True)
    session = fields.String(allow_none=True)


class FeedbackItemSchema(Schema):
    """One visitor's answer on an article, as staff read it (no session: it would tie answers to a visitor)."""

    id = fields.Integer()
    article_id = fields.Integer()
    article_title = fields.String()
    helpful = fields.Boolean()
    reason = EnumField(FeedbackReason, allow_none=True)
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(metadata={"description": "When the visitor last changed the answer."})


class FeedbackPageSchema(PageSchema):
    items = fields.List(fields.Nested(FeedbackItemSchema))


class ContactRequestOutSchema(Schema):
    record_no = fields.String(metadata={"description": "The ticket number to quote when the customer calls back."})
    session = fields.String()
    status_url = fields.String(
        metadata={"description": "The customer's status page (no account needed); keep it private, it expires."}
    )
    emailed = fields.Boolean(metadata={"description": "Whether the status link was also mailed to the given e-mail."})


class SessionOutSchema(Schema):
    session = fields.String()


class DayRangeSchema(Schema):
    """A range of local days (both included), as the insights page and the feedback feed take it."""

    class Meta:
        unknown = EXCLUDE

    date_from = fields.Date(data_key="from", validate=FILTER_DAYS)
    date_to = fields.Date(data_key="to", validate=FILTER_DAYS)

    @validates_schema
    def range_in_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError([_l("The start date is after the end date.")], "from")


class DeflectionQuerySchema(DayRangeSchema):
    """The insights page's date range, its deflection window (N days) and how long unviewed articles are listed after
    (M days)."""

    window = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=90, error=_l("Choose from 1 to 90 days.")),
        metadata={"description": "A contact request within this many days after a view makes it a failed deflection."},
    )
    unviewed = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=730, error=_l("Choose from 1 to 730 days.")),
        metadata={"description": "List public articles nobody viewed for this many days."},
    )


class FeedbackQuerySchema(PaginationSchema, DayRangeSchema):
    """Filters of the feedback feed (/kb/feedback and GET /api/v1/feedback); dates are local days of the last change."""

    article = fields.String(validate=validate.Length(max=120), metadata={"description": "Id or external id."})
    helpful = fields.Boolean()
    reason = EnumField(FeedbackReason)
    commented = fields.Boolean(metadata={"description": "Only answers with a comment."})


class PublicSearchQuerySchema(SearchQuerySchema):
    """kb.schemas.SearchQuerySchema, read as forms and scripts send it: `lang=` or `category=` left empty means
    "any", and a query of spaces is no query."""

    @pre_load
    def blank_means_absent(self, data: Any, **kwargs: Any) -> Any:
        if not hasattr(data, "items"):
            return data
        cleaned = {key: value for key, value in data.items() if key == "q" or str(value).strip()}
        if isinstance(cleaned.get("q"), str):
            cleaned["q"] = cleaned["q"].strip()
        return cleaned


class HelpCenterSettingsSchema(BlankMeansAbsent, Schema):
    """The administrator's branding (kb.branding); a field left empty falls back to the configuration."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(max=80))
    logo_url = fields.String(validate=validate.Length(max=500))
    primary_color = fields.String(validate=validate.Length(max=7))
    footer_text = fields.String(validate=validate.Length(max=500))
    contact_phone = fields.String(
        validate=validate.Regexp(r"^\+?[\d\s\-()]{3,30}$", error=_l("A phone number has digits, spaces, + - ( ) only."))
    )
    contact_email = fields.Email(validate=validate.Length(max=120))
    contact_hours = fields.String(validate=validate.Length(max=120))
    default_language = fields.String(validate=validate.OneOf(branding.LANGUAGES, error=_l("Choose a language.")))

    @post_load
    def normalise(self, data: dict, **kwargs: Any) -> dict:
        errors: dict[str, list] = {}
        for field, check in (("primary_color", branding.normalise_color), ("logo_url", branding.check_logo_url)):
            if data.get(field):
                try:
                    data[field] = check(data[field])
                except ValidationError as error:
                    errors[field] = error.messages
        if errors:
            raise ValidationError(errors)
        return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
