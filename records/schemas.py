"""Marshmallow schemas: the one place record input is validated (REST API, record form and imports all use them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, post_load, pre_load, validate, validates_schema

from records.enums import (
    Channel,
    CustomerTier,
    CustomerType,
    Emotion,
    LabelledEnum,
    Language,
    Priority,
    Role,
    Status,
)
from records.messages import Schema
from records.timeutil import parse_contact_time, utcnow

NOT_RATED = {"", "not rated", "not_rated", "未评价", "none", "null", "n/a"}

# Free text is bounded so that one pasted novel cannot bloat the index; 20k characters hold a long transcript.
LONG_TEXT = validate.Length(max=20000)
SHORT_TEXT = validate.Length(max=200)


class EnumField(fields.Field):
    """An enum given by value or by its English or Chinese label; errors name the allowed values."""

    def __init__(self, enum_cls: type[LabelledEnum], **kwargs: Any):
        super().__init__(**kwargs)
        self.enum_cls = enum_cls
        self.metadata.setdefault("enum", enum_cls.values())

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> LabelledEnum:
        try:
            return self.enum_cls.parse(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ContactTimeField(fields.Field):
    """Minute-precision contact time, local unless an offset is given, never in the future."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.metadata.setdefault("example", "2026-11-02 14:30")
        self.metadata.setdefault(
            "description",
            "YYYY-MM-DD HH:MM in the deployment's timezone, or ISO 8601 with an offset; not in the future",
        )

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat(timespec="seconds") + "Z"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any):
        try:
            moment = parse_contact_time(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        # One minute of slack for clocks that run slightly ahead of the server's.
        if (moment - utcnow()).total_seconds() > 60:
            raise ValidationError([_l("The contact time is in the future.")])
        return moment


class SatisfactionField(fields.Field):
    """1–5, or not rated (empty, "not rated", 未评价) which is stored as None."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        return value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in NOT_RATED):
            return None
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not 1 <= number <= 5:
            raise ValidationError(
                [_l("Satisfaction is a whole number from 1 to 5, or not rated; got %(value)s.", value=repr(value))]
            )
        return number

    def _validated(self, value: Any) -> Any:
        return value


class TagList(fields.List):
    """A list of strings, also accepted as one string separated by , ， ; ； or |."""

    def __init__(self, **kwargs: Any):
        super().__init__(fields.String(validate=validate.Length(min=1, max=60)), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            value = split_list(value)
        items = super()._deserialize(value, attr, data, **kwargs)
        return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def split_list(text: str) -> list[str]:
    for separator in "，;；|":
        text = text.replace(separator, ",")
    return [item.strip() for item in text.split(",") if item.strip()]


class CustomerInputSchema(Schema):
    name = fields.String(validate=validate.Length(max=120), allow_none=True)
    phone = fields.String(
        validate=validate.Regexp(
            r"^\+?[\d\s\-()]{3,30}$", error=_l("A phone number has digits, spaces, + - ( ) only.")
        ),
        allow_none=True,
    )
    email = fields.Email(allow_none=True)
    customer_type = EnumField(CustomerType)
    company = fields.String(validate=SHORT_TEXT, allow_none=True)
    industry = fields.String(validate=validate.Length(max=80), allow_none=True)
    tier = EnumField(CustomerTier)
    tags = TagList()

    @validates_schema
    def enterprise_needs_company(self, data: dict, **kwargs: Any) -> None:
        if data.get("customer_type") == CustomerType.ENTERPRISE and not (data.get("company") or "").strip():
            raise ValidationError([_l("An enterprise customer needs a company name.")], "company")


class BlankMeansAbsent:
    """Forms and spreadsheets send "" for untouched fields; treat it as "not given", not as a value."""

    @pre_load
    def blank_means_absent(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}
        return data


class PartialMixin:
    """Every field optional: the schema of a PATCH."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class CustomerUpdateSchema(PartialMixin, CustomerInputSchema):
    pass


class AttachmentSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    obtained_via = fields.String(validate=validate.Length(max=120), allow_none=True)
    note = fields.String(validate=SHORT_TEXT, allow_none=True)


class CollaborationSchema(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=80))
    ticket_no = fields.String(validate=validate.Length(max=60), allow_none=True)
    note = fields.String(validate=SHORT_TEXT, allow_none=True)


class FollowUpInputSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    owner = fields.String(
        validate=validate.Length(min=1, max=120),
        metadata={"description": "负责人 as written; may name someone who is not a user. Required without owner_user."},
    )
    owner_user = fields.String(
        validate=validate.Length(max=80),
        allow_none=True,
        metadata={"description": "The owner as a user (username, agent code or e-mail), who gets the reminders."},
    )
    due = fields.Date(required=True)
    done = fields.Boolean(load_default=False)

    @validates_schema
    def has_an_owner(self, data: dict, partial: bool | Any = False, **kwargs: Any) -> None:
        if not partial and not data.get("owner") and not data.get("owner_user"):
            raise ValidationError({"owner": [_l("Name the follow-up's owner (负责人), or choose a user.")]})

    @pre_load
    def date_part_of_due(self, data: Any, **kwargs: Any) -> Any:
        # Exports from other tools give due times ("2024-05-21 18:00"); only the day matters for a follow-up.
        if isinstance(data, dict) and isinstance(data.get("due"), str) and len(data["due"]) > 10:
            data = {**data, "due": data["due"][:10]}
        return data


class FollowUpUpdateSchema(PartialMixin, FollowUpInputSchema):
    pass


class RecordInputSchema(BlankMeansAbsent, Schema):
    """A record as a client sends it. Cross-field rules run in `record_rule_errors` so PATCH can reuse them."""

    external_id = fields.String(validate=validate.Length(min=1, max=120), allow_none=True)
    source = fields.String(validate=validate.Length(min=1, max=40))
    record_no = fields.String(
        validate=validate.Length(max=24),
        metadata={"description": "Imports: keep this record number (R…) if it is free here; else a new one is given."},
    )
    customer = fields.Nested(CustomerInputSchema)
    customer_no = fields.String(validate=validate.Length(max=20))
    channel = EnumField(Channel, required=True)
    channel_platform = fields.String(validate=validate.Length(max=80), allow_none=True)
    contacted_at = ContactTimeField(required=True)
    duration_minutes = fields.Integer(validate=validate.Range(min=0, max=1440), allow_none=True)
    agent = fields.String(validate=validate.Length(min=1, max=80))
    assignee = fields.String(
        validate=validate.Length(max=80),
        allow_none=True,
        metadata={
            "description": "Who handles the record (username, agent code or e-mail); left out, the assignment rules "
            "choose on creation; null on PATCH gives it back to the agent."
        },
    )
    team = fields.String(validate=validate.Length(min=1, max=80), allow_none=True)
    category = fields.String(validate=validate.Length(max=60), allow_none=True)
    subcategory = fields.String(validate=validate.Length(max=60), allow_none=True)
    tags = TagList()
    priority = EnumField(Priority)
    status = EnumField(Status, required=True)
    problem_description = fields.String(required=True, validate=[validate.Length(min=1), LONG_TEXT])
    customer_request = fields.String(validate=LONG_TEXT, allow_none=True)
    key_details = fields.String(validate=LONG_TEXT, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    emotion = EnumField(Emotion, allow_none=True)
    handling_steps = fields.String(validate=LONG_TEXT, allow_none=True)
    collaboration = fields.List(fields.Nested(CollaborationSchema))
    resolution = fields.String(validate=LONG_TEXT, allow_none=True)
    satisfaction = SatisfactionField(allow_none=True)
    satisfaction_efficiency = SatisfactionField(allow_none=True)
    satisfaction_resolution = SatisfactionField(allow_none=True)
    satisfaction_attitude = SatisfactionField(allow_none=True)
    customer_feedback = fields.String(validate=LONG_TEXT, allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpInputSchema))
    related = TagList()
    language = EnumField(Language, allow_none=True)

    @validates_schema
    def follows_record_rules(self, data: dict, partial: bool | Any = False, **kwargs: Any) -> None:
        if partial:
            return  # PATCH checks the merged record instead (operations.update_record).
        errors = record_rule_errors(data)
        if errors:
            raise ValidationError(errors)


class RecordUpdateSchema(PartialMixin, RecordInputSchema):
    pass


#: Template rules a record imported from history may break: they say what an agent must write *now*, and a record
#: written years ago in another system is what it is. It is stored, flagged (Record.template_exceptions) and scored
#: low for it; every other rule (and every malformed value) still rejects the row.
HISTORY_RULES = ("follow_ups", "resolution")


class HistoryFollowUpSchema(FollowUpInputSchema):
    """A follow-up as another system kept it: the owner and the due date may be missing (the record is then flagged
    for HISTORY_RULES' "follow_ups"); what is given must still be well-formed."""

    owner = fields.String(load_default="", validate=validate.Length(max=120))
    due = fields.Date(load_default=None, allow_none=True)

    def has_an_owner(self, *args: Any, **kwargs: Any) -> None:
        """Not a validator here (overriding drops the parent's hook): a missing owner flags the record instead."""


class ImportRecordSchema(RecordInputSchema):
    """A row of an import file: a record as RecordInputSchema loads it, plus when it was first written
    (`recorded_at`), and accepted despite HISTORY_RULES (the rules broken come back in `template_exceptions`)."""

    follow_ups = fields.List(fields.Nested(HistoryFollowUpSchema))

    recorded_at = ContactTimeField(
        allow_none=True,
        metadata={"description": "When the record was first written in the source system; feeds timeliness."},
    )

    @validates_schema
    def follows_record_rules(self, data: dict, partial: bool | Any = False, **kwargs: Any) -> None:
        errors = {key: value for key, value in record_rule_errors(data).items() if key not in HISTORY_RULES}
        recorded, contacted = data.get("recorded_at"), data.get("contacted_at")
        if recorded is not None and contacted is not None and recorded < contacted:
            errors["recorded_at"] = [_l("The record was written before the contact it records.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def note_exceptions(self, data: dict, **kwargs: Any) -> dict:
        data["template_exceptions"] = [key for key in HISTORY_RULES if key in record_rule_errors(data)]
        return data


def record_rule_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """The template's rules that span fields. `values` is a whole record's state after loading."""
    errors: dict[str, list[str]] = {}
    status = values.get("status")
    if status == Status.RESOLVED and not (values.get("resolution") or "").strip():
        errors["resolution"] = [_l("A resolved record needs a resolution.")]
    if status in (Status.PENDING, Status.TRANSFERRED):
        open_follow_ups = [
            item
            for item in values.get("follow_ups") or []
            if not item.get("done") and (item.get("owner") or item.get("owner_user")) and item.get("due")
        ]
        if not open_follow_ups:
            errors["follow_ups"] = [
                _l("A pending or transferred record needs an open follow-up with an owner and a due date.")
            ]
    channel = values.get("channel")
    if channel in (Channel.SOCIAL_MEDIA, Channel.OTHER) and not (values.get("channel_platform") or "").strip():
        errors["channel_platform"] = [_l("Name the platform for this channel, e.g. 微信公众号 or 微博.")]
    return errors


#: Days a filter may name; outside them the timezone arithmetic overflows, and no record is there anyway.
FILTER_DAYS = validate.Range(min=date(1900, 1, 1), max=date(9998, 12, 31), error=_l("Give a day from 1900 to 9998."))


class PaginationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    # Bounded so that page × per_page always fits the database's OFFSET (a 64-bit integer).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    """The envelope of a listing; subclasses add `items`."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class RecordQuerySchema(PaginationSchema):
    status = EnumField(Status)
    agent = fields.String()
    team = fields.String()
    category = fields.String()
    subcategory = fields.String()
    channel = EnumField(Channel)
    priority = EnumField(Priority)
    customer_no = fields.String()
    date_from = fields.Date(data_key="from", validate=FILTER_DAYS)
    date_to = fields.Date(data_key="to", validate=FILTER_DAYS)
    q = fields.String(validate=validate.Length(max=200))
    reveal = fields.Boolean(load_default=False)

    @validates_schema
    def range_in_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError([_l("The period starts after it ends.")], "from")


class RevealQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reveal = fields.Boolean(load_default=False)


# ----- output -----------------------------------------------------------------------------------------------------


class UserOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    agent_code = fields.String(allow_none=True)
    role = EnumField(Role)
    team = fields.Function(lambda user: user.team.name if user.team else None)
    active = fields.Boolean()


class UserInputSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{2,80}$"))
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    # Length and common passwords: records.passwords, checked by create_user.
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1))
    role = EnumField(Role, required=True)
    team = fields.String(validate=validate.Length(min=1, max=80), allow_none=True)
    agent_code = fields.String(validate=validate.Length(min=1, max=40), allow_none=True)
    email = fields.Email(allow_none=True)


class CustomerOutSchema(Schema):
    id = fields.Integer(allow_none=True)
    number = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    customer_type = fields.String()
    company = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    tier = fields.String()
    tags = fields.List(fields.String())
    record_count = fields.Integer(metadata={"description": "How many of the customer's records you may see."})
    unverified = fields.Boolean(
        metadata={"description": "Made by a public contact request: identity not verified, link it after checking."}
    )
    masked = fields.Boolean(metadata={"description": "True when contact details are masked."})


class FollowUpOutSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    owner = fields.String()
    owner_user = fields.String(allow_none=True, metadata={"description": "The owner's username when a user owns it."})
    due = fields.Date(allow_none=True)
    done = fields.Boolean()
    overdue = fields.Boolean()


class RecordNoteOutSchema(Schema):
    id = fields.Integer()
    author = fields.String(metadata={"description": '"customer": added through a status link'})
    created_at = fields.String(metadata={"description": "UTC, ISO 8601"})
    text = fields.String(metadata={"description": "Masked like the record's free text unless revealed"})


class RecordSummarySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    contacted_at = fields.String()
    channel = fields.String()
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    status = fields.String()
    agent = fields.String()


class RecordOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    source = fields.String()
    external_id = fields.String(allow_none=True)
    customer = fields.Nested(CustomerOutSchema)
    channel = fields.String()
    channel_platform = fields.String(allow_none=True)
    contacted_at = fields.String(metadata={"description": "UTC, ISO 8601, minute precision"})
    duration_minutes = fields.Integer(allow_none=True)
    agent = fields.String()
    assignee = fields.String(
        allow_none=True, metadata={"description": "Username of who handles the record; null: the agent."}
    )
    team = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    subcategory = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    priority = fields.String()
    status = fields.String()
    problem_description = fields.String()
    customer_request = fields.String(allow_none=True)
    key_details = fields.String(allow_none=True)
    attachments = fields.List(fields.Dict())
    emotion = fields.String(allow_none=True)
    handling_steps = fields.String(allow_none=True)
    collaboration = fields.List(fields.Dict())
    resolution = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    satisfaction_efficiency = fields.Integer(allow_none=True)
    satisfaction_resolution = fields.Integer(allow_none=True)
    satisfaction_attitude = fields.Integer(allow_none=True)
    customer_feedback = fields.String(allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpOutSchema))
    related = fields.List(fields.String())
    customer_notes = fields.List(
        fields.Nested(RecordNoteOutSchema),
        metadata={"description": "What the customer added through a status link; never changes the record's fields"},
    )
    language = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    recorded_at = fields.String(
        allow_none=True, metadata={"description": "Imports: when the record was first written in the source system."}
    )
    imported_at = fields.String(allow_none=True, metadata={"description": "Set for records that came by import."})
    template_exceptions = fields.List(
        fields.String(),
        metadata={
            "description": "Imported history kept despite today's template: follow_ups (pending without an open "
            "follow-up with owner and due date), resolution (resolved without one)."
        },
    )
    masked = fields.Boolean(metadata={"description": "True when personal data in the record is masked."})


class RecordPageSchema(PageSchema):
    items = fields.List(fields.Nested(RecordOutSchema))


class CustomerDetailSchema(CustomerOutSchema):
    history = fields.List(fields.Nested(RecordSummarySchema))


class TokenRequestSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenOutSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.String()
    user = fields.Nested(UserOutSchema)


def _stars(required: bool = False) -> fields.Integer:
    message = _l("Choose 1 to 5 stars.")
    return fields.Integer(
        required=required,
        allow_none=not required,
        strict=False,
        validate=validate.Range(min=1, max=5, error=message),
        error_messages={"required": message, "invalid": message, "null": message},
    )


class CustomerRatingSchema(BlankMeansAbsent, Schema):
    """A customer's rating through a status link: overall 1-5 and, if they like, the three sub-scores."""

    satisfaction = _stars(required=True)
    satisfaction_efficiency = _stars()
    satisfaction_resolution = _stars()
    satisfaction_attitude = _stars()


class CustomerNoteSchema(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(max=5000, error=_l("At most %(limit)d characters.", limit=5000)),
        error_messages={"required": _l("Write what you would like to add.")},
    )
