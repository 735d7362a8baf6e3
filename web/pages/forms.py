"""What every page form shares: the form's values and messages, and a refusal turned into messages by input.

Each form module (record_forms, article_forms, case_forms, proposals, grading) says only what is its own: its fields,
their labels and how an error key names an input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from records.access import PermissionDenied
from records.importing import flatten_messages


@dataclass
class PageForm:
    """What a page's form holds: typed values (kept when the input is refused) and messages by input. Subclasses say
    how their inputs are labelled in the error summary; `extra_labels` labels inputs named at run time (the points
    inputs of a grade are named after their criteria)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    extra_labels: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        return self.values.get(name, "")

    def error(self, key: str) -> list[str]:
        return self.errors.get(key, [])

    def labels(self) -> dict[str, str]:
        return {}

    def summary(self) -> list[tuple[str, str]]:
        """(label, message) for the alert above the form."""
        labels = {**self.labels(), **self.extra_labels}
        return [(labels.get(key, ""), message) for key, messages in self.errors.items() for message in messages]


def first_part(key: str) -> str:
    """The input behind an error key of a list or nested field: an error in one tag ("tags.2") is the whole input's."""
    return key.split(".")[0]


def form_errors(
    error: ValidationError | PermissionDenied,
    *,
    input_for: Callable[[str], str] = first_part,
) -> dict[str, list[str]]:
    """Messages by form input, each message once per input.

    `input_for` names the input behind a marshmallow error key (messages are worded where they are raised). A refusal
    of the whole action (PermissionDenied) belongs to the page ("_page"), not to an input.
    """
    if isinstance(error, PermissionDenied):
        return {"_page": [str(error)]}
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    grouped: dict[str, list[str]] = {}
    for key, message in flatten_messages(messages):
        shown = grouped.setdefault(input_for(key), [])
        if message not in shown:
            shown.append(message)
    return grouped
