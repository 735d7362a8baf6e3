"""What every page form shares: the form's values and messages, and a refusal turned into messages by input.

Each form module (record_forms, article_forms, case_forms, proposals, grading) says only what is its own: its fields,
their labels and how an error key names an input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
