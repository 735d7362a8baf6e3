"""FAQ proposals: groups of resolved records drafted as articles, for trainers to review.

Every staff member may read them (drafts hold nothing identifying; members are limited to the records the reader
may see). Trainers and administrators edit, remove members, merge, reject and approve.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from kb.models import ProposalStatus
from kb.presenting import proposal_dict
from kb.proposal_schemas import (
    ApprovalOutSchema,
    MergeSchema,
    ProposalEditSchema,
    ProposalOutSchema,
    ProposalPageSchema,
    ProposalQuerySchema,
    RejectSchema,
    RemoveMembersSchema,
    TargetSchema,
)
from kb.proposals import (
    ProposalFilters,
    approve_proposal,
    can_review,
    count_by_status,
    get_proposal,
    list_proposals,
    merge_proposals,
    reject_proposal,
    remove_members,
    retarget_proposal,
    similar_articles,
    update_draft,
)
from records.access import require
from records.db import db
from web.api.articles import current_user
from web.api.common import StaffView

blp = Blueprint(
    "proposals",
    __name__,
    url_prefix="/api/v1",
    description="FAQ proposals drafted from resolved records: review, edit, merge, reject, approve.",
)


def shown(proposal, *, members: bool = True) -> dict[str, Any]:
    return proposal_dict(proposal, members=members, viewer=current_user())


def reviewer() -> Any:
    user = current_user()
    require(can_review(user), "Only trainers and administrators review proposals.")
    return user


@blp.route("/proposals")
class Proposals(StaffView):
    @blp.arguments(ProposalQuerySchema, location="query")
    @blp.response(200, ProposalPageSchema)
    def get(self, args: dict):
        """List proposals, highest impact first (volume × trend × low satisfaction).

        `include=members` adds each proposal's member records (those you may see), most representative first.
        """
        status = args["status"]
        filters = ProposalFilters(
            status=None if status == "all" else ProposalStatus(status),
            kind=args.get("kind"),
            category=args.get("category"),
            language=args.get("language"),
        )
        items, total = list_proposals(filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": [shown(item, members=args.get("include") == "members") for item in items],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "status_counts": count_by_status(),
        }


@blp.route("/proposals/<int:proposal_id>")
class ProposalItem(StaffView):
    @blp.response(200, ProposalOutSchema)
    def get(self, proposal_id: int):
        """One proposal with its members (those you may see) and the published articles closest to its question
        (`similar_articles`), which may already answer it (POST …/target makes it an update of one)."""
        proposal = get_proposal(proposal_id)
        data = shown(proposal)
        data["similar_articles"] = [
            {"id": article.id, "title": article.title, "score": round(float(score), 4)}
            for article, score in similar_articles(proposal)
        ]
        return data

    @blp.arguments(ProposalEditSchema)
    @blp.response(200, ProposalOutSchema)
    def patch(self, changes: dict, proposal_id: int):
        """Edit the draft of an open proposal; refreshes leave edited fields alone from then on."""
        user = reviewer()
        proposal = get_proposal(proposal_id)
        update_draft(proposal, changes, by=user)
        db.session.commit()
        return shown(proposal)


@blp.route("/proposals/<int:proposal_id>/approve")
class Approve(StaffView):
    @blp.arguments(ProposalEditSchema)
    @blp.response(200, ApprovalOutSchema)
    def post(self, changes: dict, proposal_id: int):
        """Approve: a new proposal becomes a draft article, an update proposal a new version of its target article;
        both are linked to the proposal's records as sources and go through review before customers see them.

        The body may carry last edits to the draft (same fields as PATCH), applied first.
        """
        user = reviewer()
        proposal = get_proposal(proposal_id)
        article = approve_proposal(proposal, by=user, changes=changes or None)
        db.session.commit()
        return {"proposal": shown(proposal), "article_id": article.id, "article_status": article.status.value}


@blp.route("/proposals/<int:proposal_id>/reject")
class Reject(StaffView):
    @blp.arguments(RejectSchema)
    @blp.response(200, ProposalOutSchema)
    def post(self, data: dict, proposal_id: int):
        """Reject with a reason. The group is not proposed again unless it grows by PROPOSAL_REGROWTH_FACTOR."""
        user = reviewer()
        proposal = get_proposal(proposal_id)
        reject_proposal(proposal, data["reason"], by=user)
        db.session.commit()
        return shown(proposal)


@blp.route("/proposals/<int:proposal_id>/merge")
class Merge(StaffView):
    @blp.arguments(MergeSchema)
    @blp.response(200, ProposalOutSchema)
    def post(self, data: dict, proposal_id: int):
        """Merge this proposal into `into`; answers with the merged proposal. Later refreshes keep them together."""
        user = reviewer()
        source = get_proposal(proposal_id)
        target = get_proposal(data["into"])
        merge_proposals(target, source, by=user)
        db.session.commit()
        return shown(target)


@blp.route("/proposals/<int:proposal_id>/target")
class Target(StaffView):
    @blp.arguments(TargetSchema)
    @blp.response(200, ProposalOutSchema)
    def post(self, data: dict, proposal_id: int):
        """Make the proposal an update of an article that already answers its question (`article_id`), or of a new
        article (`article_id`: null). Later refreshes keep the choice. `similar_articles` in the proposal lists the
        closest articles."""
        user = reviewer()
        proposal = get_proposal(proposal_id)
        retarget_proposal(proposal, data["article_id"], by=user)
        db.session.commit()
        return shown(proposal)


@blp.route("/proposals/<int:proposal_id>/remove-members")
class RemoveMembers(StaffView):
    @blp.arguments(RemoveMembersSchema)
    @blp.response(200, ProposalOutSchema)
    def post(self, data: dict, proposal_id: int):
        """Take records out of the proposal; later refreshes never put them back into it."""
        user = reviewer()
        proposal = get_proposal(proposal_id)
        remove_members(proposal, data["record_ids"], by=user)
        db.session.commit()
        return shown(proposal)
