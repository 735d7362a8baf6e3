"""The public help-center API: search, clicks, "was this helpful?" and contact requests. No sign-in, rate-limited.

Only published articles exist here: the search index holds nothing else, and feedback on anything unpublished
answers 404 as if the article did not exist.
"""

from __future__ import annotations

import logging

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from kb.feedback import feedback_to_dict, filters_from, list_feedback, may_read_feedback
from kb.operations import get_article, get_public_article
from kb.schemas import ContactRequestSchema, FeedbackSchema
from kb.search import search_service
from kb.selfservice import (
    NoAgentAvailable,
    add_feedback,
    category_code,
    create_contact_request,
    get_or_start_session,
    log_click,
    log_search,
)
from kb.selfservice_schemas import (
    ClickSchema,
    ContactRequestOutSchema,
    FeedbackOutSchema,
    FeedbackPageSchema,
    FeedbackQuerySchema,
    PublicSearchQuerySchema,
    SearchOutSchema,
    SessionOutSchema,
)
from records.access import require
from records.db import db
from records.models import User
from web.api.common import page_of
from web.auth import STAFF, roles_required, signed_in_user
from web.extensions import limited
from web.help_session import current_session_id, forget, remember
from web.pages.customer_links import deliver_request_link

log = logging.getLogger(__name__)

blp = Blueprint(
    "selfservice",
    __name__,
    url_prefix="/api/v1",
    description="The public help center (no sign-in): search published articles, rate them, ask for help.",
)

#: Contact requests count against the limit only when one was made: a customer fixing a typo is not refused.
contact_limit = limited("RATELIMIT_CONTACT", "contact", deduct_when=lambda response: response.status_code < 400)


@blp.route("/search")
class Search(MethodView):
    @limited("RATELIMIT_SEARCH", "search")
    @blp.arguments(PublicSearchQuerySchema, location="query")
    @blp.response(200, SearchOutSchema)
    @blp.doc(security=[])
    def get(self, args: dict):
        """Search the published articles (title, other ways of asking, body), best first.

        Every search is counted in the visitor's search session (returned as `session`; browsers keep it in the
        session cookie) for the deflection figures. `category` is a category or subcategory code or label.
        """
        language = args["lang"].value if args.get("lang") else None
        category = category_code(args.get("category"))
        response = search_service().search(args["q"], language=language, category=category, limit=args["limit"])
        session = get_or_start_session(current_session_id(args.get("session")), language)
        log_search(session, response.query, len(response.results))
        db.session.commit()
        remember(session)
        return {"results": response.results, "did_you_mean": response.did_you_mean, "session": session.id}


@blp.route("/search/click")
class Click(MethodView):
    @limited("RATELIMIT_SEARCH", "click")
    @blp.arguments(ClickSchema)
    @blp.response(201, SessionOutSchema)
    @blp.doc(security=[])
    def post(self, data: dict):
        """Count that the visitor opened a search result (the help-center pages count their own clicks)."""
        article, _ = get_public_article(data["article_id"])
        session = get_or_start_session(current_session_id(data.get("session")))
        log_click(session, article)
        db.session.commit()
        remember(session)
        return {"session": session.id}


@blp.route("/articles/<string:ref>/feedback")
class Feedback(MethodView):
    @limited("RATELIMIT_FEEDBACK", "feedback")
    @blp.arguments(FeedbackSchema)
    @blp.response(201, FeedbackOutSchema)
    @blp.doc(security=[])
    def post(self, data: dict, ref: str):
        """'Was this helpful?' on a published article (by id or external id), with why not and a comment.

        `reason` (outdated, not_answered, unclear) goes only with `helpful: false`. One answer per visitor session
        (returned as `session`; browsers keep it in the cookie): answering again replaces the answer, its reason
        and its comment.
        """
        article, _ = get_public_article(ref)
        session = get_or_start_session(current_session_id(data.get("session")))
        feedback = add_feedback(article, data["helpful"], data.get("comment"), session.id, reason=data.get("reason"))
        db.session.commit()
        remember(session)
        return {
            "id": feedback.id,
            "article_id": article.id,
            "helpful": feedback.helpful,
            "reason": feedback.reason,
            "comment": feedback.comment,
            "session": feedback.session_id,
        }

    @roles_required(*STAFF)
    @blp.arguments(FeedbackQuerySchema, location="query")
    @blp.response(200, FeedbackPageSchema)
    def get(self, args: dict, ref: str):
        """The feedback on one article, newest change first (trainers, administrators and the article's authors)."""
        user = signed_in_user()
        article = get_article(ref)
        require(may_read_feedback(user, article), "Only trainers, administrators and its authors read its feedback.")
        return feedback_page(user, {**args, "article": str(article.id)})


@blp.route("/feedback")
class FeedbackFeed(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(FeedbackQuerySchema, location="query")
    @blp.response(200, FeedbackPageSchema)
    def get(self, args: dict):
        """Every answer the user may read (trainers and administrators: all; others: their articles'), newest change
        first, filtered by article, helpful, reason, with a comment, and the local days of the last change."""
        return feedback_page(signed_in_user(), args)


def feedback_page(user: User | None, args: dict) -> dict:
    rows, total = list_feedback(
        user, filters_from(args), offset=(args["page"] - 1) * args["per_page"], limit=args["per_page"]
    )
    return page_of([feedback_to_dict(row) for row in rows], total, args)


@blp.route("/contact-requests")
class ContactRequests(MethodView):
    @contact_limit
    @blp.arguments(ContactRequestSchema)
    @blp.response(201, ContactRequestOutSchema)
    @blp.doc(security=[])
    def post(self, data: dict):
        """'Still need help?': a new open record on the web channel, for an agent to answer.

        The record carries what the visitor searched and opened; the answer gives the ticket number.
        """
        session = get_or_start_session(current_session_id(data.get("session")))
        try:
            record = create_contact_request(data, session.id)
        except NoAgentAvailable as exc:
            db.session.rollback()
            log.error("A contact request was refused: %s", exc)
            abort(503, message="We cannot take requests online right now; please call us instead.")
        db.session.commit()
        forget()
        link = deliver_request_link(record)
        return {"record_no": record.number, "session": session.id, "status_url": link["url"], "emailed": link["mailed"]}
