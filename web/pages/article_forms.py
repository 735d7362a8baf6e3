"""The article form: posted fields → ArticleInputSchema / ArticleUpdateSchema input, and messages back to fields.

As with the record form, the schemas and kb.operations do all validation; this module reshapes input and output.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from kb.models import Article
from records.operations import taxonomy
from web.pages.forms import PageForm, form_errors

FORM_FIELDS = (
    "title",
    "summary",
    "category",
    "subcategory",
    "tags",
    "alt_questions",
    "language",
    "external_id",
    "body",
    "note",
)
#: Blank on edit means "clear it" (the schema alone would read blank as "leave unchanged").
CLEARABLE_FIELDS = ("summary", "category", "subcategory", "external_id", "language")
LIST_FIELDS = ("tags", "alt_questions")
#: Blank on edit becomes None, so the schema reports the field instead of silently keeping the old text.
REQUIRED_FIELDS = ("title", "body")


def article_labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "summary": _("Summary"),
        "category": _("Category"),
        "subcategory": _("Subcategory"),
        "tags": _("Tags"),
        "alt_questions": _("Alternative questions"),
        "language": _("Language"),
        "external_id": _("External ID"),
        "body": _("Body"),
        "note": _("What changed"),
        "comment": _("Comment"),
        "records": _("Source records"),
        "status": _("Workflow status"),
    }


class ArticleForm(PageForm):
    def labels(self) -> dict[str, str]:
        return article_labels()


def read_article_form(posted: MultiDict) -> ArticleForm:
    # Browsers send textarea line breaks as CRLF.
    return ArticleForm(values={name: posted.get(name, "").replace("\r\n", "\n").strip() for name in FORM_FIELDS})


def article_schema_input(form: ArticleForm, *, new: bool) -> dict[str, Any]:
    values: dict[str, Any] = dict(form.values)
    if new:
        return {name: value for name, value in values.items() if value}
    for name in CLEARABLE_FIELDS + REQUIRED_FIELDS:
        if not values.get(name):
            values[name] = None
    for name in LIST_FIELDS:
        values[name] = values.get(name) or []
    if not values.get("note"):
        values.pop("note", None)
    return values


def article_form_errors(error: ValidationError) -> dict[str, list[str]]:
    """Messages by form field; an error in one tag or question ("tags.2") belongs to the whole input.

    The service checks the category only once the schema passed; checking it here too, on what did load, shows
    every problem at once instead of one round at a time.
    """
    grouped = form_errors(error)
    loaded = error.valid_data if isinstance(error.valid_data, dict) else {}
    if "category" not in grouped and "subcategory" not in grouped:
        try:
            taxonomy().resolve(loaded.get("category"), loaded.get("subcategory"))
        except ValueError as exc:
            grouped["category"] = [str(exc)]
    return grouped


def form_from_article(article: Article) -> ArticleForm:
    return ArticleForm(
        values={
            "title": article.title,
            "summary": article.summary or "",
            "category": article.category or "",
            "subcategory": article.subcategory or "",
            "tags": ", ".join(article.tags or []),
            "alt_questions": "\n".join(article.alt_questions or []),
            "language": article.language.value,
            "external_id": article.external_id or "",
            "body": article.body,
            "note": "",
        }
    )
