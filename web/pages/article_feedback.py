"""What customers said about articles, for the people who can act on it: the feed at /kb/feedback (filters by
article, answer, reason, comment and day) and the latest answers on an article's staff page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from kb.feedback import ARTICLE_PAGE_COMMENTS, FeedbackFilters, filters_from, list_feedback, may_read_feedback
from kb.feedback import reason_counts as count_reasons
from kb.models import Article, FeedbackReason
from kb.selfservice_schemas import FeedbackQuerySchema
from records.access import NotFound, require
from records.models import User
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required
from web.pages.display import ui_locale
from web.pages.forms import PageForm, form_errors
from web.pages.paging import Paging

bp = Blueprint("feedback_pages", __name__)

#: The feed's filter inputs, as FeedbackQuerySchema names them.
FILTER_PARAMS = ("article", "helpful", "reason", "commented", "from", "to")


@bp.app_template_global()
def feedback_reason_label(reason: FeedbackReason) -> str:
    return reason.label(ui_locale())


def reason_choices() -> list[tuple[str, str]]:
    return [(reason.value, feedback_reason_label(reason)) for reason in FeedbackReason]


def article_feedback_context(article: Article, user: User) -> dict[str, Any]:
    """For the article's staff page: the newest answers and the reasons given, if the user may read them."""
    if not may_read_feedback(user, article):
        return {"feedback_readable": False}
    rows, total = list_feedback(user, FeedbackFilters(article_id=article.id), limit=ARTICLE_PAGE_COMMENTS)
    return {
        "feedback_readable": True,
        "feedback_rows": rows,
        "feedback_total": total,
        "feedback_reasons": [(reason, number) for reason, number in count_reasons(article).items()],
    }


@bp.get("/kb/feedback")
@roles_required(*STAFF)
def feedback_feed():
    user = current_user_required()
    require(may_read_feedback(user), "Only trainers, administrators and an article's authors read feedback.")
    raw = {name: request.args.get(name, "").strip() for name in FILTER_PARAMS}
    form = PageForm(values=raw)
    paging = Paging.asked(request.args.get("page"))
    try:
        args = FeedbackQuerySchema().load({key: value for key, value in raw.items() if value})
        filters = filters_from(args)
    except ValidationError as error:
        form.errors = form_errors(error)
        filters = None
    except NotFound:
        form.errors = {"article": [_("There is no article with this id.")]}
        filters = None
    rows, total = [], 0
    if filters is not None:
        rows, total = list_feedback(user, filters, offset=(paging.number - 1) * paging.size, limit=paging.size)
    return render_template(
        "articles/feedback.html",
        rows=rows,
        total=total,
        form=form,
        reasons=reason_choices(),
        filter_args={key: value for key, value in raw.items() if value},
        **paging.template_args(total),
    )
