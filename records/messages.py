"""The base schema of every package: marshmallow's own messages in words people read, marked for translation.

Marshmallow writes its messages in English when a field or validator is created, usually at import. The base schema
swaps them for lazy strings when a field is bound, so they come out in the language of the request that loads the
schema (and in English in the CLI).
"""

from __future__ import annotations

from typing import Any

import marshmallow
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

REQUIRED = _l("This field is required.")

#: Per field class, the "invalid" message. A message is held in a one-item list: marshmallow formats and wraps only
#: plain str messages, and a lazy string must reach the error dict as a list item like any other message.
INVALID: tuple[tuple[type[fields.Field], Any], ...] = (
    (fields.Email, _l("Enter a valid email address.")),
    (fields.Integer, _l("Enter a whole number.")),
    (fields.Number, _l("Enter a number.")),
    (fields.DateTime, _l("Enter a date and time as YYYY-MM-DD HH:MM.")),
    (fields.Date, _l("Enter a date as YYYY-MM-DD.")),
    (fields.Boolean, _l("Enter yes or no.")),
    (fields.String, _l("Enter text.")),
    (fields.List, _l("Enter a list.")),
    (fields.Dict, _l("Enter an object.")),
)


class Schema(marshmallow.Schema):
    """marshmallow.Schema whose built-in messages are translated."""

    error_messages = {  # noqa: RUF012 - marshmallow reads this class attribute
        "unknown": _l("Unknown field."),
        "type": _l("Invalid input type."),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        translate_field(field_obj)


def translate_field(field_obj: fields.Field) -> None:
    """Translated messages for the field, its validators and the fields it holds (list items, dict keys/values)."""
    messages = {"required": [REQUIRED], "null": [REQUIRED]}
    for kind, text in INVALID:
        if isinstance(field_obj, kind) and "invalid" in field_obj.error_messages:
            messages["invalid"] = [text]
            break
    field_obj.error_messages = {**field_obj.error_messages, **messages}
    for validator in field_obj.validators:
        translate_validator(validator, items=isinstance(field_obj, fields.List | fields.Dict))
    for inner in (getattr(field_obj, "inner", None), getattr(field_obj, "key_field", None)):
        if inner is not None:
            translate_field(inner)
    if getattr(field_obj, "value_field", None) is not None:
        translate_field(field_obj.value_field)


def translate_validator(validator: Any, *, items: bool) -> None:
    """Validators format their message with str.format at validation time, so their placeholders are {braces}."""
    if isinstance(validator, validate.Length):
        if items:
            validator.message_min = _l("Give at least {min}.")
            validator.message_max = _l("Give at most {max}.")
            validator.message_all = _l("Give {min} to {max}.")
            validator.message_equal = _l("Give exactly {equal}.")
        else:
            validator.message_min = _l("Use at least {min} characters.")
            validator.message_max = _l("Use at most {max} characters.")
            validator.message_all = _l("Use {min} to {max} characters.")
            validator.message_equal = _l("Use exactly {equal} characters.")
    elif isinstance(validator, validate.Range):
        validator.message_min = _l("Enter {min} or more.")
        validator.message_max = _l("Enter {max} or less.")
        validator.message_all = _l("Enter a number from {min} to {max}.")
    elif isinstance(validator, validate.OneOf) and validator.error == validate.OneOf.default_message:
        validator.error = _l("Choose one of: {choices}.")
    elif isinstance(validator, validate.Email) and validator.error == fields.Email.default_error_messages["invalid"]:
        validator.error = _l("Enter a valid email address.")
