"""Reuse on record pages: agents link the articles they answered a record with, and unlink mistakes.

Each link counts as a reuse of the article. The record form links the suggestions the agent ticked (agent assist);
the record page lists the linked articles and links more by ID or from its own suggestions.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from kb.operations import articles_linked_to, can_edit_articles, get_article, link_reuse, unlink_reuse
from records.access import NotFound, can_edit_record
from records.db import db
from records.models import Record, User
from records.operations import get_record_for
from web.auth import RECORD_KEEPERS, roles_required
from web.pages.common import current_user_required

bp = Blueprint("reuse_pages", __name__)


@bp.post("/records/<ref>/articles")
@roles_required(*RECORD_KEEPERS)
def link_article(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    reference = request.form.get("article", "").strip()
    try:
        if not reference:
            raise NotFound("")
        article = get_article(reference)
        link_reuse(article, record, by=user)
    except NotFound:
        db.session.rollback()
        flash(_("There is no published article %(ref)s.", ref=reference), "danger")
    else:
        db.session.commit()
        flash(_("Article linked to this record."), "success")
    return redirect(url_for("record_pages.record_detail", ref=record.number, _anchor="articles"), code=303)


@bp.post("/records/<ref>/articles/<article_ref>/unlink")
@roles_required(*RECORD_KEEPERS)
def unlink_article(ref: str, article_ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    unlink_reuse(get_article(article_ref), record, by=user)
    db.session.commit()
    flash(_("Article unlinked."), "info")
    return redirect(url_for("record_pages.record_detail", ref=record.number, _anchor="articles"), code=303)


def link_articles_from_form(record: Record, references: list[str], user: User) -> int:
    """Articles the agent ticked among the suggestions of the record form; ones no longer published are skipped."""
    linked = 0
    for reference in dict.fromkeys(reference.strip() for reference in references if reference.strip()):
        try:
            link_reuse(get_article(reference), record, by=user)
        except NotFound:
            continue
        linked += 1
    return linked


def linked_articles_for(record: Record, user: User) -> list[dict[str, Any]]:
    """The articles used on a record, for its detail page: readers see the published title."""
    editor = can_edit_articles(user)
    rows = []
    for article in articles_linked_to(record):
        live = article.live_version if article.is_public else None
        rows.append(
            {
                "id": article.id,
                "title": article.title if editor or live is None else live.title,
                "public": article.is_public,
                "openable": editor or article.is_public,
            }
        )
    return rows


def may_link_articles(record: Record, user: User) -> bool:
    return user.role in RECORD_KEEPERS and can_edit_record(user, record)
