"""Refreshing the knowledge gaps: group the signals of the last days by meaning, match the groups to the gaps of
earlier refreshes, rank by volume and trend.

Grouping reuses the FAQ proposals' density grouping (`kb.clustering.group_by_density`, Leiden's constant Potts model
on the neighbour graph), per space: Chinese texts on multilingual-e5-small vectors, English ones on MiniLM's, and
with a model switched off TF-IDF over the search analyzer's terms (`LexicalSpace`). Identical texts are grouped
once and count as many times as they were asked. Vectors come from the shared cache: a refresh encodes only texts
it has not seen.

Identity: a group is the same gap as an earlier one when their centres are at least GAP_SAME_SIMILARITY apart
(per space); each gap takes its closest group first, then other groups that close join it (one meaning the
grouping cut in two). So a gap keeps its id and its trainer's decision: a "not a gap" swallows the same meaning
every refresh, a resolved gap (or one turned into an article or an alternative question) comes back only when
GAP_REOPEN_SIGNALS signals arrive after the answer went public.

The slow work (reading, encoding, grouping, finding the nearest articles) runs outside any transaction; the result
is written in one short one.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from flask import current_app

from kb import clustering
from kb.drafting import impact_score, majority
from kb.gaps.models import GapStatus, KnowledgeGap
from kb.gaps.signals import Signal, collect_signals, forget_assist_misses
from kb.models import Article, ArticleStatus, ArticleVersion
from kb.proposal_engine import LEXICAL, LexicalSpace
from kb.search import search_service
from records.db import db, read_session
from records.enums import Language
from records.timeutil import utcnow
from text.analysis import normalise
from text.embeddings import CHINESE, ENGLISH, cached_vectors, get_readers

log = logging.getLogger(__name__)

#: Days of signals a refresh groups (CONSULTKB_GAP_WINDOW_DAYS). Its later half is "this period", compared with
#: the earlier half for the trend: four weeks show a two-week trend without a weekday's noise.
GAP_WINDOW_DAYS = 28
#: Fewest signals that make a new gap (CONSULTKB_GAP_MIN_SIGNALS): one odd query is not yet a gap, two visitors
#: failing on the same question are.
GAP_MIN_SIGNALS = 2
#: Centres at least this similar are the same gap (CONSULTKB_GAP_SAME_SIMILARITY_<SPACE>). The values were the
#: proposals' "an article covers this group" similarities per model when gaps were made (kb.proposal_engine:
#: COVER_SIMILARITY then 0.85, lowered for centres of many phrasings; CHINESE_COVER_SIMILARITY 0.93,
#: LEXICAL_COVER_SIMILARITY 0.6): e5 puts unrelated Chinese questions at 0.85 and more, MiniLM unrelated English
#: ones near 0.1. Two gaps are one question, a stricter test than an article answering a group (now 0.6).
GAP_SAME_SIMILARITY = {ENGLISH: 0.8, CHINESE: 0.93, LEXICAL: 0.6}
#: Constant Potts resolution of the grouping (CONSULTKB_GAP_DENSITY_RESOLUTION); the Chinese proposals' value.
GAP_DENSITY_RESOLUTION = clustering.DENSITY_RESOLUTION
#: A decided gap (resolved, article, alternative question) reopens when this many signals arrive after its
#: answer went public (CONSULTKB_GAP_REOPEN_SIGNALS).
GAP_REOPEN_SIGNALS = 3
#: Examples kept per gap, most central first.
GAP_EXAMPLES = 8
#: Articles suggested per gap.
GAP_SUGGESTIONS = 3
#: Agent-assist misses are deleted after this many days (CONSULTKB_GAP_SIGNAL_RETENTION_DAYS); the help center's
#: own search log keeps its own rules.
GAP_SIGNAL_RETENTION_DAYS = 90

Progress = Callable[[str, int, int], None]


def setting(name: str, default):
    return type(default)(current_app.config.get(name, default))


def same_similarity(space: str) -> float:
    kind = space.split("=", 1)[0]
    default = GAP_SAME_SIMILARITY.get(kind, GAP_SAME_SIMILARITY[LEXICAL])
    return float(current_app.config.get(f"GAP_SAME_SIMILARITY_{kind.upper()}", default))


class GapRefreshConflict(RuntimeError):
    """Another refresh wrote gaps while this one was computing; its result stands and this one wrote nothing."""


@dataclass
class GapGroup:
    """Signals asking the same thing: rows into the refresh's signals, their space and centre."""

    rows: list[int]
    space: str
    centre: np.ndarray
    #: Unique texts, most central first.
    texts: list[str] = field(default_factory=list)
    suggestions: list[int] = field(default_factory=list)
    category: str | None = None
    subcategory: str | None = None


@dataclass
class GapRefreshSummary:
    signals: int = 0
    groups: int = 0
    new: int = 0
    updated: int = 0
    suppressed: int = 0
    reopened: int = 0
    open: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "signals": self.signals,
            "groups": self.groups,
            "new": self.new,
            "updated": self.updated,
            "suppressed": self.suppressed,
            "reopened": self.reopened,
            "open": self.open,
            "seconds": round(self.seconds, 3),
        }


def _noop(stage: str, done: int, total: int) -> None:
    return None


# -- grouping -------------------------------------------------------------------------------------------------------


@dataclass
class _Space:
    name: str
    #: Indexes into the unique texts.
    members: list[int]
    vectors: np.ndarray
    lexical: LexicalSpace | None = None


def _spaces(texts: list[str], progress: Progress) -> list[_Space]:
    readers = get_readers()
    assigned = readers.spaces_of(texts) if readers is not None and texts else [None] * len(texts)
    members: dict[str | None, list[int]] = defaultdict(list)
    for position, space in enumerate(assigned):
        members[space].append(position)
    spaces = []
    for space, positions in members.items():
        chosen = [texts[position] for position in positions]
        if space is None:
            lexical = LexicalSpace(chosen)
            spaces.append(_Space(LEXICAL, positions, lexical.vectors, lexical))
            continue
        embedder = readers.embedder(space)
        vectors = clustering.normalised(cached_vectors(embedder, chosen))
        spaces.append(_Space(f"{space}={embedder.name}", positions, vectors))
        progress("encode", len(positions), len(texts))
    return spaces


def _labels(vectors: np.ndarray, space: str) -> np.ndarray:
    """Group labels of unit vectors (a text with no vector, such as only stop words, stays alone).

    Density grouping needs at least three texts, and its centring leaves nothing of a set that asks one thing in a
    few ways (the centre of the only group is then the zero vector): such small sets are joined where they are as
    similar as one gap's texts are (average linkage at GAP_SAME_SIMILARITY) instead.
    """
    labels = np.arange(len(vectors), dtype=np.int64)
    usable = np.flatnonzero(np.linalg.norm(vectors, axis=1) > 0)
    if len(usable) < 2:
        return labels
    chosen = vectors[usable]
    grouped = None
    if len(usable) >= 3:
        try:
            grouped = clustering.group_by_density(chosen, setting("GAP_DENSITY_RESOLUTION", GAP_DENSITY_RESOLUTION))
        except ValueError:  # a zero centre: the texts are one question asked in a few ways
            grouped = None
    if grouped is None:
        grouped = _linked(chosen, same_similarity(space))
    labels[usable] = len(vectors) + np.asarray(grouped, dtype=np.int64)
    return labels


def _linked(vectors: np.ndarray, similarity: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(
        n_clusters=None, distance_threshold=1.0 - similarity, metric="cosine", linkage="average"
    ).fit_predict(vectors)


def group_signals(signals: list[Signal], progress: Progress = _noop) -> tuple[list[GapGroup], dict[str, _Space]]:
    """Groups of signals asking the same thing (every group, however small), largest first."""
    texts: list[str] = []
    rows_of: dict[str, list[int]] = {}
    position_of: dict[str, int] = {}
    for row, signal in enumerate(signals):
        key = normalise(signal.question).casefold()
        if key not in position_of:
            position_of[key] = len(texts)
            texts.append(signal.question)
            rows_of[key] = []
        rows_of[key].append(row)
    text_rows = [rows_of[normalise(text).casefold()] for text in texts]
    groups: list[GapGroup] = []
    spaces = {}
    for space in _spaces(texts, progress):
        spaces[space.name] = space
        labels = _labels(space.vectors, space.name)
        by_label: dict[int, list[int]] = defaultdict(list)
        for index, label in enumerate(labels):
            by_label[int(label)].append(index)
        for indexes in by_label.values():
            weights = np.array([len(text_rows[space.members[index]]) for index in indexes], dtype=np.float32)
            vectors = space.vectors[indexes]
            centre = clustering.normalised((vectors * weights[:, None]).sum(axis=0, keepdims=True))[0]
            order = np.argsort(-(vectors @ centre), kind="stable")
            members = [space.members[indexes[position]] for position in order]
            groups.append(
                GapGroup(
                    rows=sorted(row for member in members for row in text_rows[member]),
                    space=space.name,
                    centre=centre,
                    texts=[texts[member] for member in members],
                )
            )
    groups.sort(key=lambda group: (-len(group.rows), group.rows[0]))
    return groups, spaces


# -- matching with earlier gaps -------------------------------------------------------------------------------------


def gap_centre(gap: KnowledgeGap, spaces: dict[str, _Space]) -> np.ndarray | None:
    """A gap's centre in this refresh's space: stored for model spaces, the texts re-read for the lexical one."""
    if gap.space == LEXICAL:
        space = spaces.get(LEXICAL)
        if space is None or space.lexical is None:
            return None
        texts = [gap.title, *(example["text"] for example in gap.examples or [])]
        vectors = space.lexical.transform(texts)
        centre = vectors.mean(axis=0)
        norm = float(np.linalg.norm(centre))
        return centre / norm if norm else None
    if gap.centre is None or gap.space not in spaces:
        return None
    return np.frombuffer(gap.centre, dtype="<f4")


def match_groups(groups: list[GapGroup], gaps: list[KnowledgeGap], spaces: dict[str, _Space]) -> dict[int, int]:
    """group index → gap id. Closest pairs first, one group per gap; then every other group at least as close to
    a gap joins it (a meaning the grouping cut in two, or more of what a trainer called "not a gap")."""
    matched: dict[int, int] = {}
    pairs: list[tuple[float, int, int]] = []
    centres = {gap.id: gap_centre(gap, spaces) for gap in gaps}
    for space in {group.space for group in groups}:
        indexes = [index for index, group in enumerate(groups) if group.space == space]
        width = len(groups[indexes[0]].centre)
        known = [g.id for g in gaps if g.space == space and centres[g.id] is not None and len(centres[g.id]) == width]
        if not known:
            continue
        # One product per space: thousands of groups against thousands of gaps in well under a second.
        similarity = np.vstack([groups[index].centre for index in indexes]) @ np.vstack([centres[g] for g in known]).T
        rows, columns = np.nonzero(similarity >= same_similarity(space))
        pairs += [(float(similarity[r, c]), indexes[r], known[c]) for r, c in zip(rows, columns, strict=True)]
    pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))
    taken: set[int] = set()
    for _, index, gap_id in pairs:
        if index in matched or gap_id in taken:
            continue
        matched[index] = gap_id
        taken.add(gap_id)
    for _, index, gap_id in pairs:
        matched.setdefault(index, gap_id)
    return matched


# -- the refresh ----------------------------------------------------------------------------------------------------


@dataclass
class _Planned:
    """What a gap becomes: its groups merged."""

    rows: list[int]
    texts: list[str]
    centre: np.ndarray
    space: str
    group: GapGroup


def _merge(planned: _Planned | None, group: GapGroup) -> _Planned:
    if planned is None:
        return _Planned(list(group.rows), list(group.texts), group.centre, group.space, group)
    planned.rows = sorted(planned.rows + group.rows)
    planned.texts = planned.texts + [text for text in group.texts if text not in planned.texts]
    return planned


def _examples(signals: list[Signal], rows: list[int], texts: list[str]) -> list[dict]:
    by_question: dict[str, list[Signal]] = defaultdict(list)
    for row in rows:
        by_question[normalise(signals[row].question).casefold()].append(signals[row])
    examples = []
    for text in texts[:GAP_EXAMPLES]:
        members = by_question.get(normalise(text).casefold(), [])
        if not members:
            continue
        shown = Counter(member.text for member in members).most_common(1)[0][0]
        kinds = sorted({kind for member in members for kind in member.kinds})
        examples.append({"text": shown, "count": len(members), "kinds": kinds})
    return examples


def _figures(signals: list[Signal], rows: list[int], middle: datetime) -> dict:
    members = [signals[row] for row in rows]
    kinds = Counter(kind for member in members for kind in member.kinds)
    unhelpful = Counter(article for member in members for article in member.articles)
    recent = sum(1 for member in members if member.at >= middle)
    return {
        "signal_count": len(members),
        "recent_count": recent,
        "previous_count": len(members) - recent,
        "impact": impact_score(len(members), recent, len(members) - recent, None),
        "kinds": dict(sorted(kinds.items())),
        "unhelpful_articles": [{"id": article, "count": count} for article, count in unhelpful.most_common(5)],
        "first_seen": min(member.at for member in members),
        "last_seen": max(member.at for member in members),
        "language": Language.ZH if sum(m.language == Language.ZH for m in members) * 2 >= len(members) else Language.EN,
    }


def suggest(groups: list[GapGroup]) -> None:
    """The nearest public articles of each group's most central text, and the category most of them share."""
    if not groups:
        return
    service = search_service()
    nearest = {}
    for group in groups:
        nearest[id(group)] = [article_id for article_id, _ in service.nearest(group.texts[0], limit=GAP_SUGGESTIONS)]
    wanted = {article_id for ids in nearest.values() for article_id in ids}
    with read_session() as reader:
        rows = reader.execute(
            sa.select(Article.id, ArticleVersion.category, ArticleVersion.subcategory)
            .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
            .where(Article.id.in_(wanted))
        ).all()
    categories = {article_id: (category, subcategory) for article_id, category, subcategory in rows}
    for group in groups:
        ids = [article_id for article_id in nearest[id(group)] if article_id in categories]
        group.suggestions = ids
        group.category = majority([categories[article_id][0] for article_id in ids])
        group.subcategory = majority(
            [categories[article_id][1] for article_id in ids if categories[article_id][0] == group.category]
        )


def _answered_since(gap: KnowledgeGap) -> datetime | None:
    """Since when a decided gap's answer has been public (None while its article is not)."""
    if gap.status == GapStatus.RESOLVED:
        return gap.decided_at
    article = gap.article
    if article is None or not article.is_public or article.status != ArticleStatus.PUBLISHED:
        return None
    return max(filter(None, [gap.decided_at, article.published_at]))


def refresh_gaps(
    *, days: int | None = None, now: datetime | None = None, progress: Progress = _noop
) -> GapRefreshSummary:
    """Group the signals of the last `days` (GAP_WINDOW_DAYS) and bring the gaps up to date; flushes, the caller
    commits (`run_gap_refresh` does)."""
    started = time.perf_counter()
    days = days or setting("GAP_WINDOW_DAYS", GAP_WINDOW_DAYS)
    end = now or utcnow()
    start, middle = end - timedelta(days=days), end - timedelta(days=days) / 2
    minimum = setting("GAP_MIN_SIGNALS", GAP_MIN_SIGNALS)
    reopen_after = setting("GAP_REOPEN_SIGNALS", GAP_REOPEN_SIGNALS)
    summary = GapRefreshSummary()

    with read_session() as reader:
        signals = collect_signals(reader, start, end)
        known = list(reader.scalars(sa.select(KnowledgeGap).order_by(KnowledgeGap.id)))
    summary.signals = len(signals)
    progress("signals", len(signals), len(signals))
    groups, spaces = group_signals(signals, progress)
    summary.groups = len(groups)
    matched = match_groups(groups, known, spaces)
    planned: dict[int, _Planned] = {}
    fresh: list[_Planned] = []
    for index, group in enumerate(groups):
        if index in matched:
            planned[matched[index]] = _merge(planned.get(matched[index]), group)
        elif len(group.rows) >= minimum:
            fresh.append(_merge(None, group))
    suggest([plan.group for plan in [*fresh, *planned.values()]])

    # From here on one short transaction writes the result.
    gaps = {gap.id: gap for gap in db.session.scalars(sa.select(KnowledgeGap).order_by(KnowledgeGap.id))}
    if list(gaps) != [gap.id for gap in known]:
        raise GapRefreshConflict("Another refresh changed the gaps meanwhile; its result stands.")
    now_utc = utcnow()
    for gap_id, gap in gaps.items():
        plan = planned.get(gap_id)
        if plan is None:
            # Nothing of it in the window any more: its examples age out with the signals.
            gap.signal_count = gap.recent_count = gap.previous_count = 0
            gap.impact, gap.examples, gap.kinds, gap.unhelpful_articles = 0.0, [], {}, []
            gap.refreshed_at = now_utc
            continue
        figures = _figures(signals, plan.rows, middle)
        for name, value in figures.items():
            setattr(gap, name, value)
        gap.examples = _examples(signals, plan.rows, plan.texts)
        gap.refreshed_at = now_utc
        if gap.status == GapStatus.NOT_A_GAP:
            summary.suppressed += 1
            continue
        if gap.status == GapStatus.OPEN:
            gap.title = gap.examples[0]["text"] if gap.examples else gap.title
            gap.centre = _centre_bytes(plan)
            _apply_suggestions(gap, plan.group)
            summary.updated += 1
            continue
        since = _answered_since(gap)
        after = sum(1 for row in plan.rows if since is not None and signals[row].at > since)
        if since is not None and after >= reopen_after:
            gap.status = GapStatus.OPEN
            gap.status_note = f"reopened {after} {since.date().isoformat()}"
            _apply_suggestions(gap, plan.group)
            summary.reopened += 1
    for plan in fresh:
        figures = _figures(signals, plan.rows, middle)
        examples = _examples(signals, plan.rows, plan.texts)
        gap = KnowledgeGap(
            status=GapStatus.OPEN,
            space=plan.space,
            centre=_centre_bytes(plan),
            title=examples[0]["text"],
            examples=examples,
            refreshed_at=now_utc,
            **figures,
        )
        _apply_suggestions(gap, plan.group)
        db.session.add(gap)
        summary.new += 1
    forget_assist_misses(
        end - timedelta(days=max(days, setting("GAP_SIGNAL_RETENTION_DAYS", GAP_SIGNAL_RETENTION_DAYS)))
    )
    db.session.flush()
    summary.open = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(KnowledgeGap)
        .where(KnowledgeGap.status == GapStatus.OPEN, KnowledgeGap.signal_count > 0)
    )
    summary.seconds = time.perf_counter() - started
    return summary


def _centre_bytes(plan: _Planned) -> bytes | None:
    # Lexical centres are vectors of one refresh's vocabulary: the texts stand for them instead.
    return None if plan.space == LEXICAL else plan.centre.astype("<f4").tobytes()


def _apply_suggestions(gap: KnowledgeGap, group: GapGroup) -> None:
    gap.suggested_articles = list(group.suggestions)
    gap.category, gap.subcategory = group.category, group.subcategory


def run_gap_refresh(*, days: int | None = None, progress: Progress = _noop) -> GapRefreshSummary:
    """Refresh and commit (the CLI and the nightly job)."""
    db.session.commit()  # on SQLite an open transaction would hold the write lock while the models encode
    try:
        summary = refresh_gaps(days=days, progress=progress)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("Knowledge gaps refreshed: %s", summary.as_dict())
    return summary
