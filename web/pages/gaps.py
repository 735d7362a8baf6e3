"""Knowledge gap pages and the trainer queue (trainers and administrators): what customers and agents searched for
and did not find, grouped by meaning, beside the FAQ proposals drafted from resolved records (kb.gaps does the work).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from kb.gaps.models import GapStatus, KnowledgeGap, SignalKind
from kb.gaps.operations import (
    GAP_REVIEWERS,
    GapFilters,
    QueueFilters,
    add_alternative_question,
    count_gaps_by_status,
    create_article_from_gap,
    get_gap,
    last_refreshed,
    list_gaps,
    mark_not_a_gap,
    reopen_gap,
    resolve_gap,
    suggested_articles,
    trainer_queue,
)
from kb.gaps.presenting import trend
from kb.gaps.schemas import AlternativeSchema, CreateArticleSchema, GapQuerySchema, NoteSchema, QueueQuerySchema
from kb.models import Article
from kb.operations import get_article
from records.access import NotFound, PermissionDenied
from records.db import db
from records.enums import Language
from records.models import User
from records.timeutil import format_local
from web.auth import roles_required
from web.pages.common import current_user_required
from web.pages.display import ui_locale
from web.pages.forms import PageForm, form_errors
from web.pages.paging import Paging

bp = Blueprint("gap_pages", __name__)

STATUS_BADGES = {
    "open": "text-bg-primary",
    "article": "text-bg-success",
    "alternative": "text-bg-success",
    "not_a_gap": "text-bg-secondary",
    "resolved": "text-bg-info",
}


@bp.app_template_global()
def gap_status_label(value: str | None) -> str:
    return GapStatus.parse(value).label(ui_locale()) if value else ""


@bp.app_template_global()
def gap_status_badge(value: str | None) -> str:
    return STATUS_BADGES.get(str(value or ""), "text-bg-light")


def kind_label(value: str) -> str:
    try:
        return SignalKind.parse(value).label(ui_locale())
    except ValueError:
        return value


def trend_text(recent: int, previous: int) -> str:
    arrow = "↑" if recent > previous else "↓" if recent < previous else "→"
    return _("%(recent)s %(arrow)s from %(previous)s", recent=recent, arrow=arrow, previous=previous)


def status_note_text(note: str | None) -> str | None:
    """The refresh's note (stored as words and numbers) in the reader's language."""
    if not note:
        return None
    parts = note.split()
    if parts[0] == "reopened" and len(parts) == 3:
        return _(
            "Reopened: %(count)s signals arrived after it was answered on %(date)s.", count=parts[1], date=parts[2]
        )
    return note


def load_filters(schema_class: type, raw_args: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Filters as the API's schema loads them; one it does not understand is dropped and reported, not fatal."""
    raw = {name: value.strip() for name, value in raw_args.items() if value.strip()}
    labels = {
        "status": _("Status"),
        "kind": _("Kind"),
        "language": _("Language"),
        "category": _("Category"),
        "page": _("Page"),
    }
    try:
        return schema_class().load(raw), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        errors = [f"{labels.get(key, key)}: {raw.get(key, '')}" for key in messages]
        return schema_class().load({key: value for key, value in raw.items() if key not in messages}), errors


def refreshed_text() -> str | None:
    when = last_refreshed()
    return format_local(when) if when else None


# ----- the trainer queue -------------------------------------------------------------------------------------------


@bp.get("/kb/queue")
@roles_required(*GAP_REVIEWERS)
def queue_page():
    args = {name: request.args.get(name, "") for name in ("kind", "language", "category", "page")}
    query, filter_errors = load_filters(QueueQuerySchema, args)
    paging = Paging.asked(query.get("page"))
    filters = QueueFilters(kind=query.get("kind"), language=query.get("language"), category=query.get("category"))
    items, total = trainer_queue(filters, page=paging.number, per_page=paging.size)
    rows = [
        {
            "kind": item.kind,
            "id": item.id,
            "title": item.title,
            "volume": item.volume,
            "trend": trend_text(item.recent, item.previous),
            "language": Language(item.language).label(ui_locale()),
            "category": item.category,
            "subcategory": item.subcategory,
            "url": url_for("gap_pages.gap_detail", gap_id=item.id)
            if item.kind == "gap"
            else url_for("proposal_pages.proposal_detail", proposal_id=item.id),
        }
        for item in items
    ]
    shown = {
        "kind": filters.kind or "",
        "language": filters.language.value if filters.language else "",
        "category": filters.category or "",
    }
    return render_template(
        "gaps/queue.html",
        rows=rows,
        total=total,
        filters=shown,
        link_args={key: value for key, value in shown.items() if value},
        languages=[(language.value, language.label(ui_locale())) for language in Language],
        filter_errors=filter_errors,
        refreshed=refreshed_text(),
        **paging.template_args(total),
    )


# ----- gaps by status ----------------------------------------------------------------------------------------------


@bp.get("/kb/gaps")
@roles_required(*GAP_REVIEWERS)
def list_gaps_page():
    args = {name: request.args.get(name, "") for name in ("status", "language", "category", "page")}
    query, filter_errors = load_filters(GapQuerySchema, args)
    status = query["status"]
    paging = Paging.asked(query.get("page"))
    filters = GapFilters(
        status=None if status == "all" else GapStatus(status),
        language=query.get("language"),
        category=query.get("category"),
    )
    gaps, total = list_gaps(filters, page=paging.number, per_page=paging.size)
    return render_template(
        "gaps/list.html",
        rows=[gap_row(gap) for gap in gaps],
        total=total,
        counts=count_gaps_by_status(),
        status=status,
        filter_errors=filter_errors,
        refreshed=refreshed_text(),
        **paging.template_args(total),
    )


def gap_row(gap: KnowledgeGap) -> dict[str, Any]:
    return {
        "id": gap.id,
        "title": gap.title,
        "status": gap.status.value,
        "signal_count": gap.signal_count,
        "trend": trend_text(gap.recent_count, gap.previous_count),
        "kinds": [(kind_label(kind), count) for kind, count in sorted((gap.kinds or {}).items())],
        "language": gap.language.label(ui_locale()),
        "category": gap.category,
        "subcategory": gap.subcategory,
        "last_seen": format_local(gap.last_seen),
    }


# ----- one gap and its actions -------------------------------------------------------------------------------------


class GapForm(PageForm):
    def labels(self) -> dict[str, str]:
        return {
            "title": _("Title"),
            "article": _("Article"),
            "question": _("Question"),
            "note": _("Note"),
            "status": _("Status"),
        }


@bp.get("/kb/gaps/<int:gap_id>")
@roles_required(*GAP_REVIEWERS)
def gap_detail(gap_id: int):
    gap = get_gap(gap_id)
    return render_detail(gap, GapForm(values={"question": gap.title}))


def render_detail(gap: KnowledgeGap, form: GapForm, *, status: int = 200):
    suggestions = suggested_articles(gap)
    unhelpful_ids = [item["id"] for item in gap.unhelpful_articles or []]
    titles = {article.id: article.title for article in db.session.query(Article).filter(Article.id.in_(unhelpful_ids))}
    if not form.value("article") and suggestions:
        form.values["article"] = str(suggestions[0].id)
    body = render_template(
        "gaps/detail.html",
        gap=gap,
        row=gap_row(gap),
        examples=[
            {"text": example["text"], "count": example["count"], "kinds": [kind_label(k) for k in example["kinds"]]}
            for example in gap.examples or []
        ],
        ratio=trend(gap.recent_count, gap.previous_count),
        suggestions=suggestions,
        unhelpful=[
            {"id": item["id"], "title": titles.get(item["id"], f"#{item['id']}"), "count": item["count"]}
            for item in gap.unhelpful_articles or []
        ],
        status_note=status_note_text(gap.status_note),
        decided_at=format_local(gap.decided_at),
        first_seen=format_local(gap.first_seen),
        last_seen=format_local(gap.last_seen),
        article_choices=[(str(article.id), f"#{article.id} {article.title}") for article in suggestions],
        form=form,
        is_open=gap.status == GapStatus.OPEN,
    )
    return body, status


def gap_action(gap_id: int, action: Callable[[KnowledgeGap, User, GapForm], tuple[str, str]]):
    """Run one decision: commit, flash and go on; or roll back and show the page again with the messages."""
    user = current_user_required()
    gap = get_gap(gap_id)
    form = GapForm(
        values={name: request.form.get(name, "").strip() for name in ("title", "article", "question", "note")}
    )
    try:
        message, location = action(gap, user, form)
    except (ValidationError, PermissionDenied) as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_detail(get_gap(gap_id), form, status=422 if isinstance(exc, ValidationError) else 403)
    db.session.commit()
    flash(message, "success")
    return redirect(location, code=303)


def _loaded(schema: Any, form: GapForm, names: tuple[str, ...]) -> dict[str, Any]:
    return schema.load({name: form.value(name) for name in names if form.value(name)})


@bp.post("/kb/gaps/<int:gap_id>/create-article")
@roles_required(*GAP_REVIEWERS)
def create_article_page(gap_id: int):
    def action(gap: KnowledgeGap, user: User, form: GapForm) -> tuple[str, str]:
        data = _loaded(CreateArticleSchema(), form, ("title", "note"))
        article = create_article_from_gap(gap, by=user, title=data.get("title"), note=data.get("note"))
        message = _("Draft article created from the gap: write its answer, then submit it for review.")
        return message, url_for("article_pages.edit_article", ref=article.id)

    return gap_action(gap_id, action)


@bp.post("/kb/gaps/<int:gap_id>/add-alternative")
@roles_required(*GAP_REVIEWERS)
def add_alternative_page(gap_id: int):
    def action(gap: KnowledgeGap, user: User, form: GapForm) -> tuple[str, str]:
        data = _loaded(AlternativeSchema(), form, ("article", "question", "note"))
        try:
            article = get_article(data["article"])
        except NotFound:
            raise ValidationError({"article": [_("No article %(number)s.", number=data["article"])]}) from None
        add_alternative_question(gap, article, by=user, question=data.get("question"), note=data.get("note"))
        message = _(
            "The question was added to the article; a published article shows it once the new version is published."
        )
        return message, url_for("article_pages.article_detail", ref=article.id)

    return gap_action(gap_id, action)


@bp.post("/kb/gaps/<int:gap_id>/not-a-gap")
@roles_required(*GAP_REVIEWERS)
def not_a_gap_page(gap_id: int):
    def action(gap: KnowledgeGap, user: User, form: GapForm) -> tuple[str, str]:
        mark_not_a_gap(gap, by=user, note=_loaded(NoteSchema(), form, ("note",)).get("note"))
        return _("Marked as not a gap: the same question stays out of the queue."), url_for("gap_pages.queue_page")

    return gap_action(gap_id, action)


@bp.post("/kb/gaps/<int:gap_id>/resolve")
@roles_required(*GAP_REVIEWERS)
def resolve_page(gap_id: int):
    def action(gap: KnowledgeGap, user: User, form: GapForm) -> tuple[str, str]:
        resolve_gap(gap, by=user, note=_loaded(NoteSchema(), form, ("note",)).get("note"))
        return _("Marked as resolved: it comes back if people keep failing to find an answer."), url_for(
            "gap_pages.queue_page"
        )

    return gap_action(gap_id, action)


@bp.post("/kb/gaps/<int:gap_id>/reopen")
@roles_required(*GAP_REVIEWERS)
def reopen_page(gap_id: int):
    def action(gap: KnowledgeGap, user: User, form: GapForm) -> tuple[str, str]:
        reopen_gap(gap, by=user)
        return _("The gap is open again."), url_for("gap_pages.gap_detail", gap_id=gap.id)

    return gap_action(gap_id, action)
