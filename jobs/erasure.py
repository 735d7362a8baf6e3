"""Erasing records from every store: what retention deletes leaves no trace of the person behind.

A record reaches further than its row: follow-ups, links between records, scores, grades and their disputes,
calibration samples, article source and reuse links, FAQ proposal members and the draft text taken from the record
(sentences, keywords), the text of article drafts approved from such a proposal and never published, cached sentence
vectors of its text, examples quoting it in stored reports and the report rows kept for its contact days, the
help-center visit that ended in it (its searches and feedback comments), every detail but references in its audit
entries, and its customer once no record of theirs is left. An erasure on request (jobs.erasure_requests: an
administrator deleting a record, or erasing a customer) also deletes the training cases made from it; retention keeps
those anonymised snapshots (the database sets their link to the record to NULL).

Not touched: published articles (the knowledge base's own text, which a reviewer read and published), the Whoosh
index (one document per public article, never a record), exports (written where the user chose, never kept under
DATA_DIR), and backups, which keep their own rotation. On SQLite every connection runs with secure_delete
(records.db), so the database file keeps no readable copy of what was deleted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from kb import proposal_notes
from kb.drafting import TITLE_CHARS, corpus_words, numbered, steps_markdown
from kb.drafting import _clip as clip_like_drafts
from kb.drafting import evidence_texts as drafted_texts
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleRecordLink,
    ArticleVersion,
    LinkKind,
    Proposal,
    ProposalMember,
    SearchEvent,
    SearchSession,
)
from kb.search import version_passage, version_texts
from records.changes import days_affected, touch
from records.db import db, read_session
from records.enums import Language
from records.models import AuditLog, Customer, CustomerLink, FollowUp, Record, RecordNote, User, record_links
from scoring.cases.models import CollectionItem, TrainingCase
from scoring.models import CalibrationSession, Dispute, Grade, RecordScore
from text.embeddings import text_hash
from text.models import EmbeddingCache
from text.rewriting import answer_steps

#: Ids per IN (...) list, well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
#: The audit details an erased record's (or customer's, or training case's) entries keep: field names, references
#: (ids, numbers, usernames) and figures, never a text someone typed. Everything else goes: the external system's
#: ticket id, a legal-hold reason, a reveal's purpose, the help-center session, a case's title.
KEPT_AUDIT_DETAILS = frozenset(
    {
        "fields",
        "source",
        "follow_up_id",
        "agent",
        "grade_id",
        "new_grade_id",
        "dispute_id",
        "calibration_id",
        "score",
        "outcome",
        "category",
        "years",
        "record",
        "records",
        "article",
        "kind",
        "unverified",
        "customers_deleted",
        "training_cases",
        "help_center_visits",
        "searches",
    }
)
#: How long kb.drafting.answer_and_variations clips a resolution for a draft's answer and for a variation.
ANSWER_CHARS, VARIATION_CHARS = 4000, 1000


def _key(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass
class EvidenceTexts:
    """A record's texts as the FAQ proposal engine saw them (kb.proposal_engine.load_evidence and kb.drafting)."""

    question: str
    #: What a draft's title or alternative questions hold when taken from this record.
    phrasings: set[str]
    #: What a draft's answer or its variations hold when taken from this record.
    answers: set[str]
    #: The record's problem, request and resolution as the engine reads them, casefolded: keywords come from these.
    text: str
    language: str

    @cached_property
    def words(self) -> set[str]:
        """The words of `text` (kb.drafting.corpus_words: jieba words for Chinese, English words otherwise); only
        the erased records' are needed, and segmenting costs about a millisecond a record."""
        return corpus_words(self.text, Language(self.language)) if self.text else set()


def evidence_texts(
    problem: str | None,
    request: str | None,
    resolution: str | None,
    language: str,
    *names: str | None,
    company: str | None = None,
) -> EvidenceTexts:
    known = tuple(name for name in names if name and len(name.strip()) >= 2)
    problem, asked, question, resolution = drafted_texts(
        problem, request, resolution, language, known, (company or "",)
    )
    phrasings = {_key(clip_like_drafts(text, TITLE_CHARS)) for text in (problem, asked) if text}
    answers = set()
    if resolution:
        steps, flags = answer_steps(clip_like_drafts(resolution, ANSWER_CHARS), language)
        answers = {
            _key(numbered(steps)),
            _key(steps_markdown(clip_like_drafts(resolution, ANSWER_CHARS))),
            _key(clip_like_drafts(resolution, VARIATION_CHARS)),
            *(_key(flag) for flag in flags),
        }
        answers.discard("")
    raw = "\n".join(text for text in (problem, asked, request, resolution) if text)
    return EvidenceTexts(
        question=question, phrasings=phrasings, answers=answers, text=raw.casefold(), language=language
    )


def _record_texts(session: Session, condition: sa.ColumnElement[bool]) -> dict[int, EvidenceTexts]:
    rows = session.execute(
        sa.select(
            Record.id,
            Record.problem_description,
            Record.customer_request,
            Record.resolution,
            Record.language,
            Customer.name,
            Customer.company,
            User.display_name,
        )
        .join(Customer, Customer.id == Record.customer_id)
        .join(User, User.id == Record.agent_id)
        .where(condition)
    )
    return {
        row.id: evidence_texts(
            row.problem_description,
            row.customer_request,
            row.resolution,
            row.language,
            row.name,
            row.display_name,
            company=row.company,
        )
        for row in rows
    }


class RunMemo:
    """What one run computes at most once: the hashes of articles' texts, and records' evidence texts (scrubbing
    costs about a millisecond a record, and the same proposal members and twins come up batch after batch)."""

    def __init__(self) -> None:
        self._article_hashes: set[str] | None = None
        self._texts: dict[int, EvidenceTexts] = {}

    @property
    def article_hashes(self) -> set[str]:
        """Hashes of the texts articles have vectors for (search, and proposal coverage)."""
        if self._article_hashes is None:
            with read_session() as reader:
                texts: list[str] = []
                for title, alt_questions in reader.execute(sa.select(Article.title, Article.alt_questions)):
                    texts.extend([title, *(alt_questions or [])])
                live = reader.scalars(
                    sa.select(ArticleVersion).join(Article, Article.live_version_id == ArticleVersion.id)
                )
                for version in live:
                    texts.extend([*version_texts(version), version_passage(version)])
            self._article_hashes = {text_hash(text) for text in texts if text}
        return self._article_hashes

    def warm(self, ids: list[int]) -> None:
        """Scrub, in a read session before the batch's transaction, the texts deleting `ids` will look at: theirs,
        their proposals' other members', and those of records with the same problem description."""
        if not ids:
            return
        with read_session() as reader:
            proposals = sa.select(ProposalMember.proposal_id).where(ProposalMember.record_id.in_(ids))
            members = reader.scalars(
                sa.select(ProposalMember.record_id).where(ProposalMember.proposal_id.in_(proposals))
            )
            problems = sa.select(Record.problem_description).where(Record.id.in_(ids)).scalar_subquery()
            twins = reader.scalars(sa.select(Record.id).where(Record.problem_description.in_(problems)))
            members = set(members)
            wanted = {*ids, *members, *twins} - set(self._texts)
            missing = sorted(wanted)
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                self._texts.update(_record_texts(reader, Record.id.in_(chunk)))
        # The words of the records whose drafts will be trimmed, segmented now rather than under the write lock.
        for record_id in members.intersection(ids):
            _ = self._texts[record_id].words if record_id in self._texts else None
        # The articles' text hashes too: computed once, and not inside the transaction.
        _ = self.article_hashes

    def texts(self, ids: Iterable[int]) -> dict[int, EvidenceTexts]:
        wanted = list(dict.fromkeys(ids))
        missing = [record_id for record_id in wanted if record_id not in self._texts]
        for start in range(0, len(missing), CHUNK):
            self._texts.update(_record_texts(db.session, Record.id.in_(missing[start : start + CHUNK])))
        return {record_id: self._texts[record_id] for record_id in wanted if record_id in self._texts}


class Quoting:
    """Whether a text holds a word of the erased records that no remaining member (or source record) uses anywhere
    in its text. Latin words count only as whole words ("tick" is not in "ticket"); Chinese words anywhere."""

    def __init__(self, erased: list[EvidenceTexts], remaining: list[EvidenceTexts]) -> None:
        words = set().union(*(item.words for item in erased))
        others = "\n".join(item.text for item in remaining)
        own = sorted(word for word in words if word not in others)
        parts = [
            rf"(?<![0-9a-z_]){re.escape(word)}(?![0-9a-z_])" if word.isascii() else re.escape(word) for word in own
        ]
        self.pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str | None) -> bool:
        return self.pattern is not None and self.pattern.search((text or "").casefold()) is not None


def scrub_proposal_drafts(ids: list[int], texts: dict[int, EvidenceTexts], memo: RunMemo, note: str) -> int:
    """Take the deleted records' phrasings, resolutions and keywords out of the drafts of the proposals they belonged
    to; `note` (kb.proposal_notes) tells the reviewer why the draft changed.

    A draft does not record which member each sentence came from, so a sentence counts as the deleted record's when
    it is that record's (scrubbed, clipped) text and no remaining member has the same text, or when it holds a word
    of the deleted record that no remaining member uses (a trainer's edit quoting the record, a clipped variant); a
    keyword counts when no remaining member's text holds it. The title and answer are replaced by the next phrasing
    and resolution the draft still offers; the next refresh redrafts the rest. Returns how many proposals changed.
    """
    session = db.session
    holders: dict[int, set[int]] = defaultdict(set)
    for proposal_id, record_id in session.execute(
        sa.select(ProposalMember.proposal_id, ProposalMember.record_id).where(ProposalMember.record_id.in_(ids))
    ):
        holders[proposal_id].add(record_id)
    deleted = set(ids)
    changed = 0
    affected = sa.select(Proposal).where(Proposal.id.in_(list(holders))).options(selectinload(Proposal.members))
    for proposal in session.scalars(affected.order_by(Proposal.id)):
        mine = [texts[record_id] for record_id in holders[proposal.id] if record_id in texts]
        remaining = list(
            memo.texts(member.record_id for member in proposal.members if member.record_id not in deleted).values()
        )
        phrasings = set().union(*(item.phrasings for item in mine))
        answers = set().union(*(item.answers for item in mine))
        phrasings -= set().union(*(item.phrasings for item in remaining))
        answers -= set().union(*(item.answers for item in remaining))
        quotes = Quoting(mine, remaining)

        def gone(text: str | None, exact: set[str]) -> bool:
            return _key(text) in exact or quotes(text)  # noqa: B023 (used within this iteration)

        keywords = [
            word
            for word in proposal.keywords or []
            if not any(word.casefold() in item.text for item in mine)
            or any(word.casefold() in item.text for item in remaining)
        ]
        alt_questions = [text for text in proposal.alt_questions or [] if not gone(text, phrasings)]
        variations = [item for item in proposal.variations or [] if not gone(item.get("text"), answers)]
        flags = [flag for flag in proposal.editor_flags or [] if not gone(flag, answers)]
        title, answer = proposal.title, proposal.answer
        if gone(title, phrasings):
            title = alt_questions.pop(0) if alt_questions else ""
        if gone(answer, answers):
            answer = steps_markdown(variations.pop(0)["text"]) if variations else ""
        if (title, answer, alt_questions, variations, flags, keywords) != (
            proposal.title,
            proposal.answer,
            proposal.alt_questions or [],
            proposal.variations or [],
            proposal.editor_flags or [],
            proposal.keywords or [],
        ):
            proposal.title, proposal.answer = title, answer
            proposal.alt_questions, proposal.variations = alt_questions, variations
            proposal.editor_flags, proposal.keywords = flags, keywords
            proposal.status_note = proposal_notes.status_note(note)
            changed += 1
        proposal.record_count = sum(
            1 for member in proposal.members if member.record_id not in deleted and not member.removed
        )
    return changed


def scrub_draft_articles(ids: list[int], texts: dict[int, EvidenceTexts], memo: RunMemo) -> int:
    """Take the deleted records' text out of the articles drafted from them (an approved proposal) that customers have
    never seen, and out of those articles' versions, as from a proposal's draft: a sentence, body line, alternative
    question or tag is the record's when it is its text or holds a word no other source record of the article uses.

    Published articles are the knowledge base's own text, read and published by a reviewer: an erasure leaves them
    alone (their source links go). Returns how many articles changed.
    """
    session = db.session
    holders: dict[int, set[int]] = defaultdict(set)
    for article_id, record_id in session.execute(
        sa.select(ArticleRecordLink.article_id, ArticleRecordLink.record_id).where(
            ArticleRecordLink.record_id.in_(ids), ArticleRecordLink.kind == LinkKind.SOURCE
        )
    ):
        holders[article_id].add(record_id)
    if not holders:
        return 0
    deleted = set(ids)
    changed = 0
    drafts = sa.select(Article).where(Article.id.in_(list(holders)), Article.live_version_id.is_(None))
    for article in session.scalars(drafts.order_by(Article.id)):
        mine = [texts[record_id] for record_id in holders[article.id] if record_id in texts]
        others = session.scalars(
            sa.select(ArticleRecordLink.record_id).where(
                ArticleRecordLink.article_id == article.id, ArticleRecordLink.kind == LinkKind.SOURCE
            )
        )
        remaining = list(memo.texts(record_id for record_id in others if record_id not in deleted).values())
        exact = set().union(*(item.phrasings | item.answers for item in mine))
        exact -= set().union(*(item.phrasings | item.answers for item in remaining))
        quotes = Quoting(mine, remaining)

        def gone(text: str | None) -> bool:
            return _key(text) in exact or quotes(text)  # noqa: B023 (used within this iteration)

        touched = False
        for holder in (article, *article.versions):
            alt_questions = [text for text in holder.alt_questions or [] if not gone(text)]
            title = holder.title
            if gone(title):
                title = alt_questions.pop(0) if alt_questions else ""
            body = "" if gone(holder.body) else "\n".join(line for line in holder.body.splitlines() if not gone(line))
            summary = None if gone(holder.summary) else holder.summary
            tags = [tag for tag in holder.tags or [] if not gone(tag)]
            if (title, body, summary, alt_questions, tags) != (
                holder.title,
                holder.body,
                holder.summary,
                holder.alt_questions or [],
                holder.tags or [],
            ):
                holder.title, holder.body, holder.summary = title, body, summary
                holder.alt_questions, holder.tags = alt_questions, tags
                touched = True
        if touched:
            scrub_audit_details("article", [str(article.id)])
            changed += 1
    return changed


def drop_cached_vectors(ids: list[int], texts: dict[int, EvidenceTexts], memo: RunMemo) -> int:
    """Delete the cached vectors of the deleted records' texts, unless a live record or an article has the same
    text. Only records with the same problem description can share a question text, so only those are checked."""
    session = db.session
    hashes = {text_hash(item.question) for item in texts.values() if item.question}
    if not hashes:
        return 0
    problems = sa.select(Record.problem_description).where(Record.id.in_(ids))
    twins = session.scalars(
        sa.select(Record.id).where(Record.problem_description.in_(problems.scalar_subquery()), Record.id.not_in(ids))
    ).all()
    hashes -= {text_hash(item.question) for item in memo.texts(twins).values() if item.question}
    hashes -= memo.article_hashes
    if not hashes:
        return 0
    result = session.execute(sa.delete(EmbeddingCache).where(EmbeddingCache.text_hash.in_(sorted(hashes))))
    return result.rowcount or 0


def without_examples(value: Any, ids: set[int]) -> Any:
    """`value` with every dict whose "record_id" is one of `ids` removed, however deep it sits."""

    def gone(item: Any) -> bool:
        if not isinstance(item, dict) or "record_id" not in item:
            return False
        try:
            return int(item["record_id"]) in ids
        except (TypeError, ValueError):
            return False

    if isinstance(value, dict):
        return {key: without_examples(item, ids) for key, item in value.items() if not gone(item)}
    if isinstance(value, list):
        return [without_examples(item, ids) for item in value if not gone(item)]
    return value


def prune_reports(ids: list[int]) -> int:
    """Remove the deleted records' examples from stored reports; returns how many reports changed."""
    from jobs.models import Report

    wanted = set(ids)
    changed = 0
    for report in db.session.scalars(sa.select(Report).order_by(Report.id)):
        pruned = without_examples(report.figures or {}, wanted)
        if pruned != report.figures:
            report.figures = pruned
            changed += 1
    return changed


def prune_calibrations(ids: list[int]) -> None:
    wanted = set(ids)
    for calibration in db.session.scalars(sa.select(CalibrationSession).order_by(CalibrationSession.id)):
        kept = [record_id for record_id in calibration.record_ids or [] if record_id not in wanted]
        if kept != calibration.record_ids:
            calibration.record_ids = kept


def scrub_audit_details(object_type: str, object_ids: Iterable[str]) -> None:
    """Keep only references and figures (KEPT_AUDIT_DETAILS) in the details of the entries about these objects: the
    entries still say who did what to which reference, and when, but no longer what was written."""
    wanted = sorted({str(object_id) for object_id in object_ids})
    for start in range(0, len(wanted), CHUNK):
        entries = db.session.scalars(
            sa.select(AuditLog).where(
                AuditLog.object_type == object_type, AuditLog.object_id.in_(wanted[start : start + CHUNK])
            )
        )
        for entry in entries:
            details = entry.details or {}
            if any(key not in KEPT_AUDIT_DETAILS for key in details):
                entry.details = {key: value for key, value in details.items() if key in KEPT_AUDIT_DETAILS}


def drop_visits(ids: list[int]) -> int:
    """Delete the help-center visits that ended in the records' contact requests: what the person searched, and
    the comments they left on articles (their votes stay, without the visit, so articles' tallies hold)."""
    session = db.session
    visits = list(session.scalars(sa.select(SearchSession.id).where(SearchSession.record_id.in_(ids))))
    return drop_visit_ids(visits)


def drop_visit_ids(visits: list[str]) -> int:
    session = db.session
    for start in range(0, len(visits), CHUNK):
        chunk = visits[start : start + CHUNK]
        feedback = sa.update(ArticleFeedback).where(ArticleFeedback.session_id.in_(chunk))
        session.execute(feedback.values(session_id=None, comment=None))
        session.execute(sa.delete(SearchEvent).where(SearchEvent.session_id.in_(chunk)))
        session.execute(sa.delete(SearchSession).where(SearchSession.id.in_(chunk)))
    return len(visits)


def drop_training_cases(ids: list[int], numbers: list[str]) -> list[int]:
    """Delete the training cases made from the records (and their places in packs), and the titles (taken from the
    record's text) in the audit entries of those cases and of cases made from them and deleted earlier; returns the
    ids of the cases deleted now."""
    session = db.session
    cases = list(session.scalars(sa.select(TrainingCase.id).where(TrainingCase.source_record_id.in_(ids))))
    if cases:
        session.execute(sa.delete(CollectionItem).where(CollectionItem.case_id.in_(cases)))
        session.execute(sa.delete(TrainingCase).where(TrainingCase.id.in_(cases)))
    # "case.create" names the record a case was made from; cases are curated by hand, so there are few to read.
    wanted = set(numbers)
    made = session.execute(
        sa.select(AuditLog.object_id, AuditLog.details).where(
            AuditLog.action == "case.create", AuditLog.object_type == "trainingcase"
        )
    )
    earlier = {object_id for object_id, details in made if (details or {}).get("record") in wanted and object_id}
    scrub_audit_details("trainingcase", {*map(str, cases), *earlier})
    return cases


def drop_day_rows(moments: Iterable[Any]) -> None:
    """Delete the report rows kept for the records' contact days (jobs.reports.days): they are out of date once the
    day's version is bumped, but would still hold what the records were until the nightly job replaced them."""
    from jobs.models import ReportDayRows

    days = sorted(days_affected(moments))
    for start in range(0, len(days), CHUNK):
        db.session.execute(sa.delete(ReportDayRows).where(ReportDayRows.day.in_(days[start : start + CHUNK])))


def erase_records(ids: list[int], numbers: list[str], memo: RunMemo, *, on_request: bool = False) -> int:
    """Delete the records (ids, with their numbers) and everything derived from them, in the caller's transaction;
    returns how many customers went with them.

    `on_request`: an erasure someone asked for (jobs.erasure_requests), which also deletes the training cases made
    from the records; retention keeps those anonymised snapshots.
    """
    if not ids:
        return 0
    session = db.session
    texts = memo.texts(ids)
    customer_ids = set(session.scalars(sa.select(Record.customer_id).where(Record.id.in_(ids))))
    moments = list(session.scalars(sa.select(Record.contacted_at).where(Record.id.in_(ids))))
    # Deleted by statement, not through the session: the report figures kept per day learn of it here.
    touch(session, moments)

    note = proposal_notes.DRAFT_ERASED if on_request else proposal_notes.DRAFT_TRIMMED
    scrub_proposal_drafts(ids, texts, memo, note)
    scrub_draft_articles(ids, texts, memo)
    drop_cached_vectors(ids, texts, memo)
    prune_reports(ids)
    drop_day_rows(moments)
    prune_calibrations(ids)
    drop_visits(ids)
    if on_request:
        drop_training_cases(ids, numbers)
    scrub_audit_details("record", numbers)
    session.flush()

    # Explicit rather than left to ON DELETE: the same on every database, and the statements say what goes.
    grades = sa.select(Grade.id).where(Grade.record_id.in_(ids))
    for statement in (
        sa.delete(ProposalMember).where(ProposalMember.record_id.in_(ids)),
        sa.delete(ArticleRecordLink).where(ArticleRecordLink.record_id.in_(ids)),
        sa.delete(Dispute).where(Dispute.grade_id.in_(grades)),
        sa.delete(Grade).where(Grade.record_id.in_(ids)),
        sa.delete(RecordScore).where(RecordScore.record_id.in_(ids)),
        sa.delete(FollowUp).where(FollowUp.record_id.in_(ids)),
        sa.delete(RecordNote).where(RecordNote.record_id.in_(ids)),
        sa.delete(CustomerLink).where(CustomerLink.record_id.in_(ids)),
        sa.delete(record_links).where(sa.or_(record_links.c.record_id.in_(ids), record_links.c.related_id.in_(ids))),
        sa.delete(Record).where(Record.id.in_(ids)),
    ):
        # ORM statements synchronise the session ("auto"): session.get of a deleted record answers None.
        session.execute(statement)
    orphans = session.scalars(
        sa.select(Customer.number).where(
            Customer.id.in_(list(customer_ids)), ~sa.select(Record.id).where(Record.customer_id == Customer.id).exists()
        )
    ).all()
    if orphans:
        scrub_audit_details("customer", orphans)
        session.execute(sa.delete(Customer).where(Customer.number.in_(list(orphans))))
    return len(orphans)
