"""Knowledge gaps (what people searched for and did not find, grouped by meaning) and the trainer queue where gaps
and FAQ proposals meet. Trainers and administrators only: the examples are what customers typed (masked), and the
decisions are editorial."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import ValidationError

from kb.gaps.models import GapStatus
from kb.gaps.operations import (
    GAP_REVIEWERS,
    GapFilters,
    QueueFilters,
    add_alternative_question,
    count_gaps_by_status,
    create_article_from_gap,
    get_gap,
    list_gaps,
    mark_not_a_gap,
    reopen_gap,
    resolve_gap,
    trainer_queue,
)
from kb.gaps.presenting import gap_dict
from kb.gaps.schemas import (
    AlternativeSchema,
    CreateArticleSchema,
    GapDecisionOutSchema,
    GapOutSchema,
    GapPageSchema,
    GapQuerySchema,
    NoteSchema,
    QueuePageSchema,
    QueueQuerySchema,
)
from kb.operations import get_article
from records.access import NotFound
from records.db import db
from web.api.articles import current_user
from web.api.common import StaffView
from web.auth import roles_required

blp = Blueprint(
    "gaps",
    __name__,
    url_prefix="/api/v1",
    description="Knowledge gaps and the trainer queue: searches nobody found an answer to, grouped by meaning.",
)


class ReviewerView(StaffView):
    decorators = [roles_required(*GAP_REVIEWERS)]


def decided(gap, article=None) -> dict[str, Any]:
    return {"gap": gap_dict(gap), "article_id": article.id if article is not None else gap.article_id}


@blp.route("/gaps")
class Gaps(ReviewerView):
    @blp.arguments(GapQuerySchema, location="query")
    @blp.response(200, GapPageSchema)
    def get(self, args: dict):
        """Gaps, most signals first (zero-result searches, searches followed by a contact request, "not helpful"
        votes, agent-assist searches that found nothing)."""
        status = args["status"]
        filters = GapFilters(
            status=None if status == "all" else GapStatus(status),
            language=args.get("language"),
            category=args.get("category"),
        )
        items, total = list_gaps(filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": [gap_dict(gap) for gap in items],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "status_counts": count_gaps_by_status(),
        }


@blp.route("/gaps/<int:gap_id>")
class GapItem(ReviewerView):
    @blp.response(200, GapOutSchema)
    def get(self, gap_id: int):
        """One gap with its masked examples and the articles nearest to it."""
        return gap_dict(get_gap(gap_id))


@blp.route("/gaps/<int:gap_id>/create-article")
class CreateArticle(ReviewerView):
    @blp.arguments(CreateArticleSchema)
    @blp.response(201, GapDecisionOutSchema)
    def post(self, data: dict, gap_id: int):
        """A draft article prefilled from the gap (title, alternative questions, category); write its answer."""
        gap = get_gap(gap_id)
        article = create_article_from_gap(gap, by=current_user(), title=data.get("title"), note=data.get("note"))
        db.session.commit()
        return decided(gap, article)


@blp.route("/gaps/<int:gap_id>/add-alternative")
class AddAlternative(ReviewerView):
    @blp.arguments(AlternativeSchema)
    @blp.response(200, GapDecisionOutSchema)
    def post(self, data: dict, gap_id: int):
        """Add the gap's question as an alternative question of an article (a new version, reviewed as usual)."""
        gap = get_gap(gap_id)
        try:
            article = get_article(data["article"])
        except NotFound:
            # The article is a field of the request: a wrong one is bad input, not a missing page.
            raise ValidationError({"article": [_("No article %(number)s.", number=data["article"])]}) from None
        add_alternative_question(gap, article, by=current_user(), question=data.get("question"), note=data.get("note"))
        db.session.commit()
        return decided(gap, article)


@blp.route("/gaps/<int:gap_id>/not-a-gap")
class NotAGap(ReviewerView):
    @blp.arguments(NoteSchema)
    @blp.response(200, GapDecisionOutSchema)
    def post(self, data: dict, gap_id: int):
        """Not a gap: the same meaning stays folded into this gap in later refreshes."""
        gap = get_gap(gap_id)
        mark_not_a_gap(gap, by=current_user(), note=data.get("note"))
        db.session.commit()
        return decided(gap)


@blp.route("/gaps/<int:gap_id>/resolve")
class Resolve(ReviewerView):
    @blp.arguments(NoteSchema)
    @blp.response(200, GapDecisionOutSchema)
    def post(self, data: dict, gap_id: int):
        """Resolved some other way; it reopens if signals keep coming afterwards."""
        gap = get_gap(gap_id)
        resolve_gap(gap, by=current_user(), note=data.get("note"))
        db.session.commit()
        return decided(gap)


@blp.route("/gaps/<int:gap_id>/reopen")
class Reopen(ReviewerView):
    @blp.response(200, GapDecisionOutSchema)
    def post(self, gap_id: int):
        """Undo a decision: the gap is open again."""
        gap = get_gap(gap_id)
        reopen_gap(gap, by=current_user())
        db.session.commit()
        return decided(gap)


@blp.route("/trainer-queue")
class Queue(ReviewerView):
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, QueuePageSchema)
    def get(self, args: dict):
        """Open gaps and open FAQ proposals together, most volume first (signals or records), then by trend."""
        filters = QueueFilters(kind=args.get("kind"), language=args.get("language"), category=args.get("category"))
        items, total = trainer_queue(filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": [
                {
                    "kind": item.kind,
                    "id": item.id,
                    "title": item.title,
                    "volume": item.volume,
                    "recent_count": item.recent,
                    "previous_count": item.previous,
                    "impact": item.impact,
                    "language": item.language,
                    "category": item.category,
                    "subcategory": item.subcategory,
                }
                for item in items
            ],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
        }
