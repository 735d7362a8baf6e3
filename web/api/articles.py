"""Knowledge-base articles for staff: writing, review and publishing, versions, agent assist, reuse on records.

Trainers and administrators write; every other staff member reads published articles only, as customers see them.
The public help center (search, feedback) has its own blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError

from kb.gaps.signals import note_assist_search
from kb.models import Article
from kb.operations import (
    ArticleFilters,
    archive_article,
    articles_linked_to,
    can_edit_articles,
    count_articles_by_status,
    create_article,
    delete_article,
    diff_versions,
    get_article,
    get_version,
    link_reuse,
    link_source_records,
    list_articles,
    publish_article,
    request_changes,
    restore_version,
    reuse_counts,
    submit_for_review,
    unarchive_article,
    unlink_reuse,
    update_article,
)
from kb.presenting import article_to_dict, articles_to_dicts, source_records_for, version_to_dict
from kb.schemas import (
    ArticleInputSchema,
    ArticleOutSchema,
    ArticlePageSchema,
    ArticleQuerySchema,
    ArticleUpdateSchema,
    AssistOutSchema,
    AssistQuerySchema,
    DiffOutSchema,
    DiffQuerySchema,
    LinkedArticleSchema,
    RequestChangesSchema,
    ReuseOutSchema,
    SourceRecordsSchema,
    VersionOutSchema,
    VersionSummarySchema,
)
from kb.search import assist
from records.access import NotFound, require
from records.db import db
from records.models import Record, User
from records.operations import get_record_for
from records.schemas import RecordSummarySchema
from web.api.common import PRECONDITION_FAILED, StaffView, check_if_match, etag_headers
from web.auth import RECORD_KEEPERS, roles_required, signed_in_user

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/api/v1",
    description="Knowledge-base articles for staff: writing, review, versions, agent assist and reuse on records.",
)


def editors_only(view: Callable) -> Callable:
    """Trainers and administrators; checked before the body is read, so others learn nothing from 422s."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require(can_edit_articles(current_user()), "Only trainers and administrators work on articles.")
        return view(*args, **kwargs)

    return wrapper


def current_user() -> User:
    user = signed_in_user()
    assert user is not None  # StaffView's roles_required ran first
    return user


def shown(article: Article) -> dict[str, Any]:
    return article_to_dict(article, viewer=current_user())


def act(ref: str, operation: Callable[..., Any], *args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Run one workflow step on the article and answer with the article as it is now."""
    article = get_article(ref)
    check_if_match(article)
    operation(article, *args, by=current_user())
    db.session.commit()
    return shown(article), etag_headers(article)


# ----- articles ----------------------------------------------------------------------------------------------------


@blp.route("/articles")
class Articles(StaffView):
    @editors_only
    @blp.arguments(ArticleQuerySchema, location="query")
    @blp.response(200, ArticlePageSchema)
    def get(self, args: dict):
        """List articles in every state, newest change first (trainers, administrators).

        `q` searches title, body and external_id; `status_counts` counts all articles by state.
        """
        filters = ArticleFilters(
            status=args.get("status"), category=args.get("category"), language=args.get("language"), q=args.get("q")
        )
        items, total = list_articles(filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": articles_to_dicts(items, viewer=current_user()),
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "status_counts": count_articles_by_status(),
        }

    @editors_only
    @blp.arguments(ArticleInputSchema)
    @blp.response(201, ArticleOutSchema)
    def post(self, data: dict):
        """Write a new draft (version 1). `language` is detected from the text when not given."""
        article = create_article(data, by=current_user())
        db.session.commit()
        return shown(article), etag_headers(article)


@blp.route("/articles/<string:ref>")
class ArticleItem(StaffView):
    @blp.response(200, ArticleOutSchema)
    def get(self, ref: str):
        """One article by id or external_id.

        Trainers and administrators get the newest version in any state; other staff get published articles only,
        with the content customers see (404 for drafts and archived articles).
        """
        article = get_article(ref)
        return shown(article), etag_headers(article)

    @editors_only
    @blp.arguments(ArticleUpdateSchema)
    @blp.response(200, ArticleOutSchema)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def patch(self, changes: dict, ref: str):
        """Edit; a real change makes a new version (`note` says what changed).

        A published article keeps showing its published version to customers until the edit is reviewed and
        published in turn; until then its status is draft. Send the `ETag` of your GET as `If-Match` to change only
        what you read (412 when it was changed meanwhile); workflow steps (submit, publish …) honour it too.
        """
        article = get_article(ref)
        check_if_match(article)
        update_article(article, changes, by=current_user())
        db.session.commit()
        return shown(article), etag_headers(article)

    @editors_only
    @blp.response(204)
    @blp.alt_response(412, description=PRECONDITION_FAILED)
    def delete(self, ref: str):
        """Delete with all versions (administrators; everyone else archives); `If-Match` as for PATCH."""
        article = get_article(ref)
        check_if_match(article)
        delete_article(article, by=current_user())
        db.session.commit()


@blp.route("/articles/<string:ref>/submit")
class Submit(StaffView):
    @editors_only
    @blp.response(200, ArticleOutSchema)
    def post(self, ref: str):
        """Send a draft for review."""
        return act(ref, submit_for_review)


@blp.route("/articles/<string:ref>/publish")
class Publish(StaffView):
    @editors_only
    @blp.response(200, ArticleOutSchema)
    def post(self, ref: str):
        """Make the newest version the one customers see.

        Needs an article in review and a reviewer who did not write it (403 for the author), unless the
        administrator turned the rule off (KB_REQUIRE_SEPARATE_REVIEWER=0).
        """
        return act(ref, publish_article)


@blp.route("/articles/<string:ref>/request-changes")
class RequestChanges(StaffView):
    @editors_only
    @blp.arguments(RequestChangesSchema)
    @blp.response(200, ArticleOutSchema)
    def post(self, data: dict, ref: str):
        """Send an article in review back to draft, saying what should change."""
        return act(ref, request_changes, data["comment"])


@blp.route("/articles/<string:ref>/archive")
class Archive(StaffView):
    @editors_only
    @blp.response(200, ArticleOutSchema)
    def post(self, ref: str):
        """Take the article off the help center; its history stays."""
        return act(ref, archive_article)


@blp.route("/articles/<string:ref>/unarchive")
class Unarchive(StaffView):
    @editors_only
    @blp.response(200, ArticleOutSchema)
    def post(self, ref: str):
        """Bring an archived article back as a draft, to be reviewed again."""
        return act(ref, unarchive_article)


@blp.route("/articles/<string:ref>/restore/<int:number>")
class Restore(StaffView):
    @editors_only
    @blp.response(200, ArticleOutSchema)
    def post(self, ref: str, number: int):
        """Bring back an old version's content as a new version (history is never rewritten)."""
        return act(ref, restore_version, number)


# ----- versions ----------------------------------------------------------------------------------------------------


@blp.route("/articles/<string:ref>/versions")
class Versions(StaffView):
    @editors_only
    @blp.response(200, VersionSummarySchema(many=True))
    def get(self, ref: str):
        """Every version, oldest first: who, when, which fields changed, the note, and which one is live."""
        article = get_article(ref)
        return [version_to_dict(article, version) for version in article.versions]


@blp.route("/articles/<string:ref>/versions/<int:number>")
class VersionItem(StaffView):
    @editors_only
    @blp.response(200, VersionOutSchema)
    def get(self, ref: str, number: int):
        """One version's full content."""
        article = get_article(ref)
        return version_to_dict(article, get_version(article, number), with_body=True)


@blp.route("/articles/<string:ref>/diff")
class Diff(StaffView):
    @editors_only
    @blp.arguments(DiffQuerySchema, location="query")
    @blp.response(200, DiffOutSchema)
    def get(self, args: dict, ref: str):
        """What changed from version `from` to version `to`: per field, before, after and a unified diff."""
        article = get_article(ref)
        return {"old": args["old"], "new": args["new"], "changes": diff_versions(article, args["old"], args["new"])}


# ----- source records ----------------------------------------------------------------------------------------------


@blp.route("/articles/<string:ref>/sources")
class Sources(StaffView):
    @editors_only
    @blp.response(200, RecordSummarySchema(many=True))
    def get(self, ref: str):
        """The records the article was written from (staff only; nothing personal)."""
        return source_records_for(get_article(ref), current_user())

    @editors_only
    @blp.arguments(SourceRecordsSchema)
    @blp.response(200, RecordSummarySchema(many=True))
    def post(self, data: dict, ref: str):
        """Link the records the article was written from, by number; answers with all its source records."""
        user = current_user()
        article = get_article(ref)
        records = records_by_reference(user, data["records"])
        link_source_records(article, records, by=user)
        db.session.commit()
        return source_records_for(article, user)


def records_by_reference(user: User, references: list[str]) -> list[Record]:
    """All the records, or a 422 naming every one that does not exist (nothing is linked then)."""
    found, missing = [], {}
    for index, reference in enumerate(references):
        try:
            found.append(get_record_for(user, reference.strip()))
        except NotFound:
            missing[index] = [f"No record {reference}."]
    if missing:
        raise ValidationError({"records": missing})
    return found


# ----- agent assist and reuse --------------------------------------------------------------------------------------


@blp.route("/assist")
class Assist(StaffView):
    @blp.arguments(AssistQuerySchema, location="query")
    @blp.response(200, AssistOutSchema)
    def get(self, args: dict):
        """Published articles matching what the customer asked, for the agent writing the record."""
        response = assist(args["text"], limit=args["limit"])
        # An empty answer is a knowledge gap signal (kept masked; kb.gaps.signals).
        note_assist_search(current_user(), args["text"], len(response.results))
        db.session.commit()
        return {
            "query": response.query,
            "mode": response.mode,
            "suggestions": [
                {
                    "id": hit.article_id,
                    "external_id": hit.external_id,
                    "title": hit.title,
                    "snippet": hit.snippet,
                    "score": hit.score,
                    "category": hit.category,
                    "subcategory": hit.subcategory,
                }
                for hit in response.results
            ],
        }


@blp.route("/records/<string:record_ref>/articles")
class RecordArticles(StaffView):
    @blp.response(200, LinkedArticleSchema(many=True))
    def get(self, record_ref: str):
        """The articles used to answer this record."""
        record = get_record_for(current_user(), record_ref)
        return [linked_article(article) for article in articles_linked_to(record)]


@blp.route("/records/<string:record_ref>/articles/<string:article_ref>")
class RecordArticleItem(StaffView):
    decorators = [roles_required(*RECORD_KEEPERS)]

    @blp.response(201, ReuseOutSchema)
    def post(self, record_ref: str, article_ref: str):
        """Note that this record was answered with the article: it counts as a reuse of the article."""
        user = current_user()
        record = get_record_for(user, record_ref)
        article = get_article(article_ref)
        link_reuse(article, record, by=user)
        db.session.commit()
        return {"record": record.number, "article": article.id, "reuse_count": reuse_counts([article.id])[article.id]}

    @blp.response(204)
    def delete(self, record_ref: str, article_ref: str):
        """Undo a reuse link made by mistake."""
        user = current_user()
        unlink_reuse(get_article(article_ref), get_record_for(user, record_ref), by=user)
        db.session.commit()


def linked_article(article: Article) -> dict[str, Any]:
    """Editors see the newest title; others the published one (the title of an archived article stays known)."""
    version = article.live_version if article.live_version and not can_edit_articles(current_user()) else None
    return {
        "id": article.id,
        "external_id": article.external_id,
        "title": version.title if version else article.title,
        "public": article.is_public,
    }
