"""Service functions for reviewing FAQ proposals: list, edit, remove members, merge, retarget, reject, approve.

Like the other operations modules they validate, change the session and audit-log, flush but never commit.
Approving turns a proposal into a draft article in the knowledge-base workflow (or, for an update proposal, a new
version of its target article), linked to the proposal's records as its sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from kb.models import (
    PROPOSAL_DRAFT_FIELDS,
    Article,
    ArticleStatus,
    Proposal,
    ProposalKind,
    ProposalMember,
    ProposalRun,
    ProposalStatus,
)
from kb.operations import create_article, link_source_records, update_article
from kb.search import search_service
from records import audit
from records.access import NotFound, record_scope, require
from records.db import db, row_id
from records.enums import Role
from records.identifiers import contains_identifiers
from records.models import Record, User
from records.timeutil import utcnow

#: Roles that review proposals; every staff role may read them (drafts hold nothing identifying).
REVIEWERS = (Role.TRAINER, Role.ADMIN)
#: Published articles shown beside a proposal as those that may already answer it.
SIMILAR_ARTICLES = 5


def can_review(user: User) -> bool:
    return user.role in REVIEWERS


def _require_reviewer(user: User, action: str) -> None:
    require(can_review(user), f"Only trainers and administrators {action} proposals.")


def _require_open(proposal: Proposal) -> None:
    if proposal.status != ProposalStatus.OPEN:
        message = _l(
            "Only an open proposal can be changed; this one is %(status)s.", status=proposal.status.label_lazy()
        )
        raise ValidationError({"status": [message]})


@dataclass
class ProposalFilters:
    status: ProposalStatus | None = ProposalStatus.OPEN
    kind: ProposalKind | None = None
    category: str | None = None
    language: str | None = None


def list_proposals(filters: ProposalFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[Proposal], int]:
    """Highest impact first (volume × trend × dissatisfaction), then the newest."""
    query = sa.select(Proposal)
    if filters.status is not None:
        query = query.where(Proposal.status == filters.status)
    if filters.kind is not None:
        query = query.where(Proposal.kind == filters.kind)
    if filters.category:
        query = query.where(Proposal.category == filters.category)
    if filters.language:
        query = query.where(Proposal.language == filters.language)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Proposal.impact.desc(), Proposal.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total or 0)


def count_by_status() -> dict[str, int]:
    rows = db.session.execute(sa.select(Proposal.status, sa.func.count()).group_by(Proposal.status))
    counts = {status.value: 0 for status in ProposalStatus}
    counts.update({ProposalStatus(status).value: count for status, count in rows})
    return counts


def get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id) if row_id(proposal_id) else None
    if proposal is None:
        raise NotFound(f"No proposal {proposal_id}.")
    return proposal


def last_run() -> ProposalRun | None:
    return db.session.scalars(sa.select(ProposalRun).order_by(ProposalRun.id.desc()).limit(1)).first()


def current_members(proposal: Proposal) -> list[ProposalMember]:
    return [member for member in proposal.members if not member.removed]


def visible_members(proposal: Proposal, user: User) -> list[Record]:
    """The proposal's records this user may see, most representative first."""
    ids = [member.record_id for member in current_members(proposal)]
    if not ids:
        return []
    records = db.session.scalars(sa.select(Record).where(Record.id.in_(ids), record_scope(user))).all()
    order = {record_id: rank for rank, record_id in enumerate(ids)}
    return sorted(records, key=lambda record: order[record.id])


def _check_draft_text(values: dict[str, Any], proposal: Proposal) -> None:
    """A trainer's edit must not put identifying data into a draft bound for customers either."""
    names = [
        name
        for record in (member.record for member in current_members(proposal))
        for name in (record.customer.name, record.agent.display_name)
        if name and len(name) >= 2
    ]
    errors = {}
    for name in ("title", "answer"):
        if name in values and values[name] and contains_identifiers(values[name], names, masked_values=True):
            errors[name] = [_l("Remove personal data (names, phone numbers, addresses, ID or card numbers) first.")]
    for name in ("alt_questions", "keywords"):
        bad = [text for text in values.get(name) or [] if contains_identifiers(text, names, masked_values=True)]
        if bad:
            errors[name] = [_l("Remove personal data first: %(text)s.", text=repr(bad[0][:60]))]
    if errors:
        raise ValidationError(errors)


def update_draft(proposal: Proposal, changes: dict[str, Any], *, by: User) -> list[str]:
    """Edit the draft; edited fields are the trainer's from now on and a refresh leaves them alone."""
    _require_reviewer(by, "edit")
    _require_open(proposal)
    values = {name: value for name, value in changes.items() if name in PROPOSAL_DRAFT_FIELDS}
    if "title" in values and not (values["title"] or "").strip():
        raise ValidationError({"title": [_l("A proposal needs a title.")]})
    if "category" in values or "subcategory" in values:
        from records.operations import apply_category

        apply_category(values, proposal)
    _check_draft_text(values, proposal)
    changed = [name for name, value in values.items() if value != getattr(proposal, name)]
    for name in changed:
        setattr(proposal, name, values[name])
    if changed:
        proposal.edited_fields = sorted(set(proposal.edited_fields or []) | set(changed))
        audit.log(by, "proposal.edit", proposal, fields=changed)
    db.session.flush()
    return changed


def remove_members(proposal: Proposal, record_ids: list[int], *, by: User) -> int:
    """Take records out of the proposal for good: later refreshes never put them back into it."""
    _require_reviewer(by, "edit")
    _require_open(proposal)
    wanted = set(record_ids)
    removed = 0
    for member in proposal.members:
        if member.record_id in wanted and not member.removed:
            member.removed = True
            removed += 1
    unknown = wanted - {member.record_id for member in proposal.members}
    if unknown:
        raise ValidationError({"record_ids": [_l("Some of the selected records are not members of this proposal.")]})
    proposal.record_count = len(current_members(proposal))
    audit.log(by, "proposal.remove_members", proposal, records=sorted(wanted), removed=removed)
    db.session.flush()
    return removed


def merge_proposals(target: Proposal, source: Proposal, *, by: User) -> Proposal:
    """Fold `source` into `target`: its members join the target, and later refreshes keep them together."""
    _require_reviewer(by, "merge")
    if target.id == source.id:
        raise ValidationError({"source": [_l("A proposal cannot be merged into itself.")]})
    _require_open(target)
    _require_open(source)
    if target.kind != source.kind or target.target_article_id != source.target_article_id:
        raise ValidationError({"source": [_l("Only proposals of the same kind (and the same target article) merge.")]})
    present = {member.record_id for member in target.members}
    next_rank = len(target.members)
    for member in current_members(source):
        if member.record_id not in present:
            target.members.append(ProposalMember(record_id=member.record_id, rank=next_rank, removed=False))
            next_rank += 1
    for member in list(source.members):
        if not member.removed:
            source.members.remove(member)
    db.session.flush()
    target.alt_questions = list(dict.fromkeys([*target.alt_questions, source.title, *source.alt_questions]))[:10]
    target.variations = [*target.variations, *source.variations][:8]
    target.record_count = len(current_members(target))
    target.recent_count += source.recent_count
    target.previous_count += source.previous_count
    target.impact += source.impact
    target.first_seen = min(filter(None, [target.first_seen, source.first_seen]), default=None)
    target.last_seen = max(filter(None, [target.last_seen, source.last_seen]), default=None)
    source.status = ProposalStatus.MERGED
    source.merged_into_id = target.id
    source.reviewed_by_id, source.reviewed_at = by.id, utcnow()
    audit.log(by, "proposal.merge", target, merged=source.id)
    db.session.flush()
    return target


def similar_articles(proposal: Proposal, *, limit: int = SIMILAR_ARTICLES) -> list[tuple[Article, float]]:
    """The published articles closest to the proposal's question in its language, closest first, without the one it
    updates: where the reviewer looks for an article that already answers it. Scores are search's cosines (BM25
    scores with embeddings off), without its "no match" thresholds."""
    found = search_service().nearest(proposal.title or "", limit=limit + 1, language=proposal.language.value)
    ids = [article_id for article_id, _ in found if article_id != proposal.target_article_id]
    articles = {article.id: article for article in db.session.scalars(sa.select(Article).where(Article.id.in_(ids)))}
    return [
        (articles[article_id], score)
        for article_id, score in found
        if article_id in articles and articles[article_id].status != ArticleStatus.ARCHIVED
    ][:limit]


def retarget_proposal(proposal: Proposal, article_id: int | None, *, by: User) -> Proposal:
    """Make the proposal an update of an article that already answers its question, or (`article_id` None) a
    proposal of a new article. A refresh decides this by similarity, and a close neighbour can pass for the article
    or the article be missed; the reviewer's choice stands through later refreshes."""
    _require_reviewer(by, "edit")
    _require_open(proposal)
    if article_id is None:
        kind, target = ProposalKind.NEW, None
    else:
        article = db.session.get(Article, article_id)
        if article is None or article.status == ArticleStatus.ARCHIVED:
            raise ValidationError({"target": [_l("Choose an article of the knowledge base that is not archived.")]})
        if article.language != proposal.language:
            raise ValidationError({"target": [_l("The article is in another language than the proposal.")]})
        kind, target = ProposalKind.UPDATE, article.id
    if (kind, target) == (proposal.kind, proposal.target_article_id):
        return proposal
    proposal.kind, proposal.target_article_id = kind, target
    proposal.edited_fields = sorted(set(proposal.edited_fields or []) | {"target"})
    audit.log(by, "proposal.retarget", proposal, kind=kind.value, article=target)
    db.session.flush()
    return proposal


def reject_proposal(proposal: Proposal, reason: str, *, by: User) -> Proposal:
    _require_reviewer(by, "reject")
    _require_open(proposal)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_l("Say why, so the next reviewer knows.")]})
    proposal.status = ProposalStatus.REJECTED
    proposal.rejection_reason = reason.strip()
    proposal.rejected_size = len(current_members(proposal))
    proposal.status_note = None
    proposal.reviewed_by_id, proposal.reviewed_at = by.id, utcnow()
    audit.log(by, "proposal.reject", proposal, reason=proposal.rejection_reason, size=proposal.rejected_size)
    db.session.flush()
    return proposal


def _source_note(proposal: Proposal) -> str:
    # A version note is text its author writes: this one in the language of whoever approves.
    return gettext("from proposal %(number)s", number=proposal.id)


def approve_proposal(proposal: Proposal, *, by: User, changes: dict[str, Any] | None = None) -> Article:
    """A new proposal becomes a draft article; an update proposal adds its phrasings and steps to the target
    article as a new version. Either way the article goes through review before customers see it."""
    _require_reviewer(by, "approve")
    _require_open(proposal)
    if changes:
        update_draft(proposal, changes, by=by)
    _check_draft_text({name: getattr(proposal, name) for name in ("title", "answer", "alt_questions")}, proposal)
    records = db.session.scalars(
        sa.select(Record).where(Record.id.in_([member.record_id for member in current_members(proposal)]))
    ).all()
    if proposal.kind == ProposalKind.UPDATE and proposal.target_article_id:
        article = db.session.get(Article, proposal.target_article_id)
        if article is None or article.status == ArticleStatus.ARCHIVED:
            raise ValidationError({"target": [_l("The article this proposal would update is gone or archived.")]})
        alternatives = list(dict.fromkeys([*article.alt_questions, proposal.title, *proposal.alt_questions]))
        alternatives = [text for text in alternatives if text and text != article.title]
        edit: dict[str, Any] = {"alt_questions": alternatives, "note": _source_note(proposal)}
        if proposal.answer.strip() and proposal.answer.strip() not in article.body:
            edit["body"] = f"{article.body.rstrip()}\n\n{proposal.answer.strip()}\n"
        update_article(article, edit, by=by)
    else:
        article = create_article(
            {
                "title": proposal.title,
                "body": proposal.answer or proposal.title,
                "category": proposal.category,
                "subcategory": proposal.subcategory,
                "tags": list(proposal.keywords[:5]),
                "alt_questions": list(proposal.alt_questions),
                "language": proposal.language,
                "note": _source_note(proposal),
            },
            by=by,
        )
    link_source_records(article, list(records), by=by)
    proposal.status = ProposalStatus.APPROVED
    proposal.article_id = article.id
    proposal.status_note = None
    proposal.reviewed_by_id, proposal.reviewed_at = by.id, utcnow()
    audit.log(by, "proposal.approve", proposal, article=article.id, records=len(records))
    db.session.flush()
    return article
