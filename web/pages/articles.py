"""Knowledge-base pages for staff: trainers and administrators write, review, publish and archive articles;
other staff read published articles. Linking articles to records (reuse) is in article_reuse.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from kb.content import render_markdown
from kb.models import Article, ArticleStatus
from kb.operations import (
    ArticleFilters,
    archive_article,
    can_edit_articles,
    count_articles_by_status,
    create_article,
    delete_article,
    diff_versions,
    get_article,
    get_version,
    link_source_records,
    list_articles,
    publish_article,
    request_changes,
    restore_version,
    reuse_counts,
    separate_reviewer_required,
    submit_for_review,
    unarchive_article,
    update_article,
    wrote_unpublished_changes,
)
from kb.presenting import pending_review_comment, shown_version, source_records_for
from kb.schemas import ArticleInputSchema, ArticleQuerySchema, ArticleUpdateSchema
from records.access import NotFound, PermissionDenied
from records.db import db
from records.enums import Language, Role
from records.models import User
from records.operations import get_record_for
from records.schemas import split_list
from records.timeutil import format_local
from records.versioning import StaleVersion, etag, require_version
from web.auth import STAFF, roles_required
from web.pages.article_feedback import article_feedback_context
from web.pages.article_forms import (
    ArticleForm,
    article_form_errors,
    article_labels,
    article_schema_input,
    form_from_article,
    read_article_form,
)
from web.pages.common import current_user_required
from web.pages.display import ui_locale
from web.pages.paging import Paging

bp = Blueprint("article_pages", __name__)

EDITOR_ROLES = (Role.TRAINER, Role.ADMIN)
FILTER_PARAMS = ("status", "category", "language", "q")
STATUS_BADGES = {
    "draft": "text-bg-secondary",
    "in_review": "text-bg-warning",
    "published": "text-bg-success",
    "archived": "text-bg-dark",
}
#: Workflow steps a button may post, and the service function behind each.
STEPS = {
    "submit": submit_for_review,
    "publish": publish_article,
    "archive": archive_article,
    "unarchive": unarchive_article,
}


@bp.app_template_global()
def article_status_label(value: str | None) -> str:
    return ArticleStatus.parse(value).label(ui_locale()) if value else ""


@bp.app_template_global()
def article_status_badge(value: str | None) -> str:
    return STATUS_BADGES.get(str(value or ""), "text-bg-light")


@bp.app_template_global()
def language_label(value: str | None) -> str:
    return Language.parse(value).label(ui_locale()) if value else ""


# ----- list --------------------------------------------------------------------------------------------------------


@bp.get("/kb/articles")
@roles_required(*EDITOR_ROLES)
def list_articles_page():
    filter_args = {name: request.args[name].strip() for name in FILTER_PARAMS if request.args.get(name, "").strip()}
    query, filter_errors = load_query(filter_args, request.args.get("page", ""))
    paging = Paging.asked(query["page"])
    filters = ArticleFilters(
        status=query.get("status"), category=query.get("category"), language=query.get("language"), q=query.get("q")
    )
    items, total = list_articles(filters, page=paging.number, per_page=paging.size)
    counts = reuse_counts([article.id for article in items])
    return render_template(
        "articles/list.html",
        rows=[list_row(article, counts.get(article.id, 0)) for article in items],
        total=total,
        counts=count_articles_by_status(),
        **paging.template_args(total),
        filter_args=filter_args,
        filter_errors=filter_errors,
    )


def load_query(filter_args: dict[str, str], page: str) -> tuple[dict[str, Any], list[str]]:
    """The filters as ArticleQuerySchema loads them; invalid ones are dropped and reported, not fatal."""
    raw: dict[str, Any] = dict(filter_args)
    if page.strip():
        raw["page"] = page.strip()
    try:
        return ArticleQuerySchema().load(raw), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        labels = article_labels()
        errors = [f"{labels.get(key, key)}: {msgs[0]}" for key, msgs in messages.items()]
        kept = {key: value for key, value in raw.items() if key not in messages}
        try:
            return ArticleQuerySchema().load(kept), errors
        except ValidationError:
            return ArticleQuerySchema().load({}), errors


def list_row(article: Article, reuse_count: int) -> dict[str, Any]:
    return {
        "id": article.id,
        "external_id": article.external_id,
        "title": article.title,
        "status": article.status.value,
        "version": article.version,
        "live_version": article.live_version.number if article.live_version else None,
        "category": article.category,
        "subcategory": article.subcategory,
        "language": article.language.value,
        "owner": article.owner.display_name if article.owner else "—",
        "updated_local": format_local(article.updated_at),
        "view_count": article.view_count,
        "reuse_count": reuse_count,
    }


# ----- detail, versions, diff --------------------------------------------------------------------------------------


@bp.get("/kb/articles/<ref>")
@roles_required(*STAFF)
def article_detail(ref: str):
    user = current_user_required()
    article = get_article(ref)
    version = shown_version(article, user)  # NotFound for readers unless the article is published
    context: dict[str, Any] = {
        "article": article,
        "version": version,
        "body_html": Markup(render_markdown(version.body)),
        "labels": article_labels(),
        "editor": can_edit_articles(user),
        "reuse_count": reuse_counts([article.id]).get(article.id, 0),
        **article_feedback_context(article, user),
    }
    if context["editor"]:
        context.update(
            versions=list(reversed(article.versions)),
            live=article.live_version,
            review_comment=pending_review_comment(article),
            sources=source_records_for(article, user),
            may_publish=may_publish(article, user),
            author_blocked=separate_reviewer_required() and wrote_unpublished_changes(article, user),
            is_admin=user.role == Role.ADMIN,
        )
    return render_template("articles/detail.html", **context)


def may_publish(article: Article, user: User) -> bool:
    """Whether the publish button can succeed; the service function decides, this only hides a useless button."""
    if article.status == ArticleStatus.ARCHIVED:
        return False
    if article.status == ArticleStatus.PUBLISHED and article.live_version is article.versions[-1]:
        return False
    if not separate_reviewer_required():
        return True
    return article.status == ArticleStatus.IN_REVIEW and not wrote_unpublished_changes(article, user)


@bp.get("/kb/articles/<ref>/versions/<int:number>")
@roles_required(*EDITOR_ROLES)
def version_page(ref: str, number: int):
    article = get_article(ref)
    version = get_version(article, number)
    return render_template(
        "articles/version.html",
        article=article,
        version=version,
        body_html=Markup(render_markdown(version.body)),
        labels=article_labels(),
    )


@bp.get("/kb/articles/<ref>/diff")
@roles_required(*EDITOR_ROLES)
def diff_page(ref: str):
    article = get_article(ref)
    newest = article.versions[-1].number
    old = request.args.get("from", type=int) or max(1, newest - 1)
    new = request.args.get("to", type=int) or newest
    return render_template(
        "articles/diff.html",
        article=article,
        old=old,
        new=new,
        changes=[{**change, "lines": diff_lines(change["diff"])} for change in diff_versions(article, old, new)],
        labels=article_labels(),
    )


def diff_lines(diff: list[str]) -> list[tuple[str, str]]:
    """(kind, text) per line of a unified diff, without the file header; kind is add, remove, hunk or same."""
    lines = []
    for line in diff:
        if line.startswith(("--- ", "+++ ")):
            continue
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("add", line))
        elif line.startswith("-"):
            lines.append(("remove", line))
        else:
            lines.append(("same", line))
    return lines


# ----- form --------------------------------------------------------------------------------------------------------


@bp.route("/kb/articles/new", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def new_article():
    user = current_user_required()
    if request.method == "GET":
        return render_form(ArticleForm(values={"language": ""}), article=None)
    form = read_article_form(request.form)
    try:
        article = create_article(ArticleInputSchema().load(article_schema_input(form, new=True)), by=user)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = article_form_errors(exc)
        return render_form(form, article=None, status=422)
    db.session.commit()
    flash(_("Draft saved as version 1."), "success")
    return redirect(url_for("article_pages.article_detail", ref=article.id))


@bp.route("/kb/articles/<ref>/edit", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def edit_article(ref: str):
    user = current_user_required()
    article = get_article(ref)
    if request.method == "GET":
        return render_form(form_from_article(article), article=article)
    form = read_article_form(request.form)
    try:
        # The version the form was opened at: an article saved by someone else since is not overwritten.
        require_version(article, request.form.get("row_version") or None)
        changed = update_article(article, ArticleUpdateSchema().load(article_schema_input(form, new=False)), by=user)
    except StaleVersion:
        db.session.rollback()
        # The input stays, with the current version: saving again, having read the warning, replaces the article.
        return render_form(form, article=article, status=409, changed_meanwhile=True)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = article_form_errors(exc)
        # The version the form was opened at stays: a correction must not skip a change made meanwhile.
        return render_form(form, article=article, status=422, row_version=request.form.get("row_version"))
    db.session.commit()
    if changed:
        flash(_("Saved as version %(number)s.", number=article.version), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("article_pages.article_detail", ref=article.id))


def render_form(
    form: ArticleForm,
    *,
    article: Article | None,
    status: int = 200,
    changed_meanwhile: bool = False,
    row_version: str | None = None,
):
    body = render_template(
        "articles/form.html",
        form=form,
        article=article,
        row_version=row_version or (etag(article).strip('"') if article else None),
        changed_meanwhile=changed_meanwhile,
        labels=article_labels(),
        languages=[(member.value, member.label(ui_locale())) for member in Language],
    )
    return body, status


# ----- workflow ----------------------------------------------------------------------------------------------------


@bp.post("/kb/articles/<ref>/<any(submit, publish, archive, unarchive):name>")
@roles_required(*EDITOR_ROLES)
def workflow_step(ref: str, name: str):
    article = get_article(ref)
    done = {
        "submit": _("Submitted for review."),
        "publish": _("Published: customers now see version %(number)s.", number=article.version),
        "archive": _("Archived: the article is no longer on the help center."),
        "unarchive": _("Restored as a draft; it needs review before it is published again."),
    }

    def step(user: User) -> tuple[str, str]:
        STEPS[name](article, by=user)
        return done[name], "success"

    return run_step(article, step)


@bp.post("/kb/articles/<ref>/request-changes")
@roles_required(*EDITOR_ROLES)
def request_changes_page(ref: str):
    article = get_article(ref)

    def step(user: User) -> tuple[str, str]:
        request_changes(article, request.form.get("comment", ""), by=user)
        return _("Sent back to the author with your comment."), "success"

    return run_step(article, step)


@bp.post("/kb/articles/<ref>/restore/<int:number>")
@roles_required(*EDITOR_ROLES)
def restore_page(ref: str, number: int):
    article = get_article(ref)

    def step(user: User) -> tuple[str, str]:
        if not restore_version(article, number, by=user):
            return _("Version %(number)s has the same content as the newest version.", number=number), "info"
        return _("Version %(number)s restored as version %(new)s.", number=number, new=article.version), "success"

    return run_step(article, step)


def run_step(article: Article, step: Callable[[User], tuple[str, str]]):
    """Run a workflow step; a refusal (wrong state, author publishing) is shown above the article, not a bare error."""
    user = current_user_required()
    try:
        message, category = step(user)
    except (ValidationError, PermissionDenied) as exc:
        db.session.rollback()
        for refusal in refusal_messages(exc):
            flash(refusal, "danger")
    else:
        db.session.commit()
        flash(message, category)
    return redirect(url_for("article_pages.article_detail", ref=article.id), code=303)


def refusal_messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return [str(message) for values in messages.values() for message in values]
    return [str(exc)]


@bp.post("/kb/articles/<ref>/delete")
@roles_required(*EDITOR_ROLES)
def delete_page(ref: str):
    user = current_user_required()
    article = get_article(ref)
    title = article.title
    try:
        delete_article(article, by=user)
    except PermissionDenied as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("article_pages.article_detail", ref=article.id), code=303)
    db.session.commit()
    flash(_("Article “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("article_pages.list_articles_page"), code=303)


@bp.post("/kb/articles/<ref>/sources")
@roles_required(*EDITOR_ROLES)
def add_sources(ref: str):
    user = current_user_required()
    article = get_article(ref)
    references = split_list(request.form.get("records", ""))
    records, missing = [], []
    for reference in references:
        try:
            records.append(get_record_for(user, reference))
        except NotFound:
            missing.append(reference)
    if missing or not records:
        flash(
            _("No record %(numbers)s; nothing was linked.", numbers=", ".join(missing))
            if missing
            else _("Enter one or more record numbers."),
            "danger",
        )
    else:
        link_source_records(article, records, by=user)
        db.session.commit()
        flash(_("Source records linked."), "success")
    return redirect(url_for("article_pages.article_detail", ref=article.id, _anchor="sources"), code=303)
