"""FAQ proposal pages: every staff member reads the proposals drafted from resolved records; trainers and
administrators edit a draft, remove records from it, merge, reject or approve it (kb.proposals does the work)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from jobs.requests import job_activity, may_request
from kb.content import render_markdown
from kb.models import Proposal, ProposalKind, ProposalStatus
from kb.proposal_notes import status_note_text
from kb.proposal_schemas import (
    MergeSchema,
    ProposalEditSchema,
    ProposalQuerySchema,
    RejectSchema,
    RemoveMembersSchema,
    TargetSchema,
)
from kb.proposals import (
    REVIEWERS,
    ProposalFilters,
    approve_proposal,
    can_review,
    count_by_status,
    current_members,
    get_proposal,
    last_run,
    list_proposals,
    merge_proposals,
    reject_proposal,
    remove_members,
    retarget_proposal,
    similar_articles,
    update_draft,
    visible_members,
)
from records.access import NotFound
from records.db import db
from records.models import Record, User
from records.presenting import record_to_dict
from records.timeutil import format_local
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required
from web.pages.display import ui_locale
from web.pages.forms import PageForm, form_errors
from web.pages.paging import Paging

bp = Blueprint("proposal_pages", __name__)

STATUS_BADGES = {
    "open": "text-bg-primary",
    "approved": "text-bg-success",
    "rejected": "text-bg-secondary",
    "merged": "text-bg-info",
    "obsolete": "text-bg-light border",
}
#: The draft fields of the edit form; the list fields are edited one item per line.
DRAFT_FIELDS = ("title", "answer", "alt_questions", "category", "subcategory", "keywords")
LINE_FIELDS = ("alt_questions", "keywords")
#: The merge select offers this many of the highest-impact open proposals of the same kind.
MERGE_CHOICES = 200


@bp.app_template_global()
def proposal_status_label(value: str | None) -> str:
    return ProposalStatus.parse(value).label(ui_locale()) if value else ""


@bp.app_template_global()
def proposal_status_badge(value: str | None) -> str:
    return STATUS_BADGES.get(str(value or ""), "text-bg-light")


@bp.app_template_global()
def proposal_kind_label(value: str | None) -> str:
    return ProposalKind.parse(value).label(ui_locale()) if value else ""


def proposal_labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "answer": _("Answer"),
        "alt_questions": _("Alternative questions"),
        "category": _("Category"),
        "subcategory": _("Subcategory"),
        "keywords": _("Keywords"),
        "reason": _("Reason"),
        "into": _("Merge into"),
        "record_ids": _("Records"),
        "status": _("Proposal status"),
        "target": _("Article to update"),
        "source": _("Proposal"),
    }


def status_text(value: str) -> str:
    try:
        return proposal_status_label(value)
    except ValueError:
        return value


def trend_text(recent: int, previous: int) -> str:
    arrow = "↑" if recent > previous else "↓" if recent < previous else "→"
    return _("%(recent)s %(arrow)s from %(previous)s", recent=recent, arrow=arrow, previous=previous)


def satisfaction_text(mean: float | None) -> str:
    return "—" if mean is None else f"{mean:.1f}"


# ----- list --------------------------------------------------------------------------------------------------------


@bp.get("/kb/proposals")
@roles_required(*STAFF)
def list_proposals_page():
    query, filter_errors = load_query(request.args.get("status", ""), request.args.get("page", ""))
    status = query["status"]
    paging = Paging.asked(query["page"])
    filters = ProposalFilters(status=None if status == "all" else ProposalStatus(status))
    items, total = list_proposals(filters, page=paging.number, per_page=paging.size)
    user = current_user_required()
    return render_template(
        "proposals/list.html",
        # Trainers and administrators start a refresh here; the scheduler process runs it (jobs.requests).
        refresh=job_activity(db.session, "proposal_refresh") if may_request(user, "proposal_refresh") else None,
        rows=[list_row(proposal) for proposal in items],
        total=total,
        counts=count_by_status(),
        status=status,
        **paging.template_args(total),
        run=run_summary(),
        filter_errors=filter_errors,
    )


def load_query(status: str, page: str) -> tuple[dict[str, Any], list[str]]:
    """Status and page as ProposalQuerySchema loads them; an invalid one is dropped and reported, not fatal."""
    raw = {name: value.strip() for name, value in (("status", status), ("page", page)) if value.strip()}
    try:
        return ProposalQuerySchema().load(raw), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        labels = {"status": _("Proposal status"), "page": _("Page")}
        errors = [f"{labels.get(key, key)}: {raw.get(key, '')}" for key in messages]
        return ProposalQuerySchema().load({key: value for key, value in raw.items() if key not in messages}), errors


def list_row(proposal: Proposal) -> dict[str, Any]:
    target = proposal.target_article if proposal.kind == ProposalKind.UPDATE else None
    return {
        "id": proposal.id,
        "title": proposal.title,
        "kind": proposal.kind.value,
        "status": proposal.status.value,
        "target": {"id": target.id, "title": target.title} if target else None,
        "record_count": proposal.record_count,
        "trend": trend_text(proposal.recent_count, proposal.previous_count),
        "satisfaction": satisfaction_text(proposal.mean_satisfaction),
        "category": proposal.category,
        "subcategory": proposal.subcategory,
        "first_seen": format_local(proposal.first_seen),
        "last_seen": format_local(proposal.last_seen),
        "impact": f"{proposal.impact:.1f}",
    }


def run_summary() -> dict[str, Any] | None:
    run = last_run()
    if run is None:
        return None
    summary = run.summary or {}
    return {
        "status": run.status,
        "when": format_local(run.finished_at or run.started_at),
        "error": run.error,
        "text": _(
            "%(records)s resolved records, %(groups)s groups: %(new)s new, %(updated)s updated, "
            "%(reopened)s reopened, %(obsolete)s obsolete, %(covered)s covered by articles; %(open)s open proposals.",
            **{
                name: summary.get(name, 0)
                for name in ("records", "groups", "new", "updated", "reopened", "obsolete", "covered", "open")
            },
        ),
    }


# ----- detail ------------------------------------------------------------------------------------------------------


class ProposalForm(PageForm):
    def labels(self) -> dict[str, str]:
        return proposal_labels()


def form_from_proposal(proposal: Proposal) -> ProposalForm:
    values: dict[str, Any] = {name: getattr(proposal, name) or "" for name in DRAFT_FIELDS}
    for name in LINE_FIELDS:
        values[name] = "\n".join(getattr(proposal, name) or [])
    return ProposalForm(values=values)


@bp.get("/kb/proposals/<int:proposal_id>")
@roles_required(*STAFF)
def proposal_detail(proposal_id: int):
    proposal = get_proposal(proposal_id)
    return render_detail(proposal, current_user_required(), form_from_proposal(proposal))


def render_detail(proposal: Proposal, user: User, form: ProposalForm, *, status: int = 200):
    members = visible_members(proposal, user)
    merged_into = get_proposal(proposal.merged_into_id) if proposal.merged_into_id else None
    reviewer = can_review(user) and proposal.status == ProposalStatus.OPEN
    body = render_template(
        "proposals/detail.html",
        proposal=proposal,
        answer_html=Markup(render_markdown(proposal.answer or "")),
        status_note=status_note_text(proposal.status_note),
        merged_into=merged_into,
        trend=trend_text(proposal.recent_count, proposal.previous_count),
        satisfaction=satisfaction_text(proposal.mean_satisfaction),
        members=[member_row(record, user) for record in members],
        hidden_count=len(current_members(proposal)) - len(members),
        reviewer=reviewer,
        merge_choices=merge_choices(proposal) if reviewer else [],
        similar_articles=similar_articles(proposal) if reviewer else [],
        form=form,
        labels=proposal_labels(),
    )
    return body, status


def member_row(record: Record, viewer: User) -> dict[str, Any]:
    """A member as the record pages show it to this viewer: masked, and scrubbed for trainers."""
    shown = record_to_dict(record, viewer=viewer)
    return {
        "id": shown["id"],
        "number": shown["number"],
        "contacted_local": format_local(record.contacted_at),
        "problem_description": shown["problem_description"],
        "satisfaction": shown["satisfaction"],
    }


def merge_choices(proposal: Proposal) -> list[tuple[str, str]]:
    """Other open proposals this one can be merged into: the same kind, and for updates the same article."""
    candidates, _total = list_proposals(
        ProposalFilters(status=ProposalStatus.OPEN, kind=proposal.kind), per_page=MERGE_CHOICES
    )
    return [
        (
            str(other.id),
            f"{other.title} ({ngettext('%(num)d record', '%(num)d records', other.record_count)})",
        )
        for other in candidates
        if other.id != proposal.id and other.target_article_id == proposal.target_article_id
    ]


# ----- review actions ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a review action did: the message to flash and the page to go to."""

    message: str
    category: str
    location: str


def review_action(proposal_id: int, action: Callable[[Proposal, User, ProposalForm], Outcome]):
    """Run one review action: commit, flash and redirect; or roll back and show the page again with the messages
    next to the fields and what was typed still in them."""
    user = current_user_required()
    proposal = get_proposal(proposal_id)
    form = form_from_proposal(proposal)
    form.values.update(posted_values(request.form))
    try:
        outcome = action(proposal, user, form)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = form_errors(exc)
        return render_detail(proposal, user, form, status=422)
    db.session.commit()
    flash(outcome.message, outcome.category)
    return redirect(outcome.location, code=303)


def detail_url(proposal: Proposal, **kwargs: Any) -> str:
    return url_for("proposal_pages.proposal_detail", proposal_id=proposal.id, **kwargs)


def posted_values(posted: MultiDict) -> dict[str, Any]:
    # Browsers send textarea line breaks as CRLF.
    values: dict[str, Any] = {
        name: posted[name].replace("\r\n", "\n").strip() for name in (*DRAFT_FIELDS, "reason", "into") if name in posted
    }
    if "record_ids" in posted:
        values["record_ids"] = posted.getlist("record_ids")
    return values


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def draft_changes(form: ProposalForm) -> dict[str, Any]:
    """The edit form as ProposalEditSchema loads it. Blank means "clear it" here: a blank title becomes None so the
    schema reports it, a blank answer or category is emptied, and the list fields are read one item per line."""
    raw: dict[str, Any] = {name: form.value(name) or None for name in ("title", "category", "subcategory")}
    raw["answer"] = form.value("answer")
    for name in LINE_FIELDS:
        raw[name] = lines(form.value(name))
    changes = ProposalEditSchema().load(raw)
    changes.setdefault("answer", "")
    return changes


@bp.post("/kb/proposals/<int:proposal_id>/edit")
@roles_required(*REVIEWERS)
def edit_proposal(proposal_id: int):
    def action(proposal: Proposal, user: User, form: ProposalForm) -> Outcome:
        if update_draft(proposal, draft_changes(form), by=user):
            return Outcome(_("Draft saved."), "success", detail_url(proposal))
        return Outcome(_("Nothing changed."), "info", detail_url(proposal))

    return review_action(proposal_id, action)


@bp.post("/kb/proposals/<int:proposal_id>/remove-members")
@roles_required(*REVIEWERS)
def remove_proposal_members(proposal_id: int):
    def action(proposal: Proposal, user: User, form: ProposalForm) -> Outcome:
        try:
            data = RemoveMembersSchema().load({"record_ids": request.form.getlist("record_ids")})
        except ValidationError as exc:
            raise ValidationError({"record_ids": [_("Select the records to remove.")]}) from exc
        removed = remove_members(proposal, data["record_ids"], by=user)
        message = ngettext("%(num)d record removed.", "%(num)d records removed.", removed)
        return Outcome(message, "success", detail_url(proposal, _anchor="members"))

    return review_action(proposal_id, action)


@bp.post("/kb/proposals/<int:proposal_id>/merge")
@roles_required(*REVIEWERS)
def merge_proposal(proposal_id: int):
    def action(source: Proposal, user: User, form: ProposalForm) -> Outcome:
        try:
            into = MergeSchema().load({"into": form.value("into")})["into"]
            target = get_proposal(into)
        except (ValidationError, NotFound) as exc:
            raise ValidationError({"into": [_("Choose the proposal to merge into.")]}) from exc
        merge_proposals(target, source, by=user)
        message = _("Proposal “%(source)s” merged into this one.", source=source.title)
        return Outcome(message, "success", detail_url(target))

    return review_action(proposal_id, action)


@bp.post("/kb/proposals/<int:proposal_id>/target")
@roles_required(*REVIEWERS)
def retarget_proposal_page(proposal_id: int):
    def action(proposal: Proposal, user: User, form: ProposalForm) -> Outcome:
        chosen = request.form.get("target", "")
        article_id = None
        if chosen != "new":
            try:
                article_id = TargetSchema().load({"article_id": chosen or None})["article_id"]
            except ValidationError:
                article_id = None
            if article_id is None:
                raise ValidationError({"target": [_("Choose the article that already answers it.")]})
        retarget_proposal(proposal, article_id, by=user)
        if proposal.kind == ProposalKind.UPDATE and proposal.target_article:
            message = _("It now adds to “%(title)s” when approved.", title=proposal.target_article.title)
        else:
            message = _("It now proposes a new article.")
        return Outcome(message, "success", detail_url(proposal))

    return review_action(proposal_id, action)


@bp.post("/kb/proposals/<int:proposal_id>/reject")
@roles_required(*REVIEWERS)
def reject_proposal_page(proposal_id: int):
    def action(proposal: Proposal, user: User, form: ProposalForm) -> Outcome:
        reason = form.value("reason")
        if reason:  # a blank reason is refused by the service, with its own message; the schema checks the length
            reason = RejectSchema().load({"reason": reason})["reason"]
        reject_proposal(proposal, reason, by=user)
        return Outcome(_("Proposal rejected."), "success", detail_url(proposal))

    return review_action(proposal_id, action)


@bp.post("/kb/proposals/<int:proposal_id>/approve")
@roles_required(*REVIEWERS)
def approve_proposal_page(proposal_id: int):
    def action(proposal: Proposal, user: User, form: ProposalForm) -> Outcome:
        article = approve_proposal(proposal, by=user)
        if proposal.kind == ProposalKind.UPDATE:
            message = _(
                "Approved: article “%(title)s” has a new version %(number)s; it needs review before customers see it.",
                title=article.title,
                number=article.version,
            )
        else:
            message = _(
                "Approved: draft article “%(title)s” created; it needs review before customers see it.",
                title=article.title,
            )
        return Outcome(message, "success", url_for("article_pages.article_detail", ref=article.id))

    return review_action(proposal_id, action)
