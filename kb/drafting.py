"""Drafting an FAQ article from a group of resolved records: extractive, and free of anything identifying.

Every text that reaches a draft was scrubbed by records.masking.scrub_identifiers (names, addresses, phones, e-mails,
ID and card numbers) when the engine loaded it; `safe` checks each chosen sentence again and drops any that still
looks identifying, so a miss in one pass cannot leak through another.
"""

from __future__ import annotations

import gc
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np

from records.enums import Language
from records.identifiers import contains_identifiers, scrub_identifiers
from text.analysis import CHINESE_STOP_WORDS, ENGLISH_STOP_WORDS, iter_terms, normalise
from text.rewriting import answer_steps, customer_question, is_customer_question, without_case_details

#: Alternative questions and resolution variations offered to the editor.
ALT_QUESTIONS = 5
#: One-off promises and compensation shown to the editor.
FLAGS = 8
VARIATIONS = 4
KEYWORDS = 8
#: Questions this similar to one already chosen add nothing as an alternative phrasing.
DUPLICATE_SIMILARITY = 0.92
#: Resolutions at least this similar (TF-IDF cosine) are the same way of resolving.
SAME_RESOLUTION = 0.5
#: Window for the trend: the last TREND_DAYS against the TREND_DAYS before them.
TREND_DAYS = 30
TITLE_CHARS = 200
#: A title up to this long is preferred among the most central questions.
TITLE_PREFERRED_CHARS = 30

_PLACEHOLDER_WORDS = frozenset({"姓名", "地址", "name", "address"})
_STEP_SPLIT = re.compile(r"(?:\r?\n)+|(?<=[。；;!?！？])\s*|(?<=\.)\s+(?=[A-Z0-9])")
_STEP_NUMBER = re.compile(r"^\s*(?:\d+[.)、．]|[(（]\d+[)）]|[-*•·]|第[一二三四五六七八九十]+步[,，:：]?)\s*")
_LATIN_WORD = re.compile(r"[a-z][a-z'-]{2,}")


@dataclass
class Evidence:
    """One resolved record as the proposal engine sees it; every text already scrubbed."""

    record_id: int
    problem: str
    #: The problem as the customer would ask it, free of the case's particulars (text.rewriting); "" if nothing
    #: of it could be kept.
    asked: str
    #: What the record is grouped by: the customer's question and request.
    question: str
    resolution: str
    category: str | None
    subcategory: str | None
    satisfaction: int | None
    contacted_at: datetime
    language: Language
    #: Names known to belong to this record (customer, agent), checked again before anything is drafted.
    names: tuple[str, ...] = ()


@dataclass
class Draft:
    title: str
    answer: str
    #: One-off promises and compensation found in the resolutions, for the editor to decide on (never in the answer).
    flags: list[str]
    variations: list[dict]
    alt_questions: list[str]
    category: str | None
    subcategory: str | None
    keywords: list[str]
    language: Language
    record_count: int
    recent_count: int
    previous_count: int
    mean_satisfaction: float | None
    first_seen: datetime | None
    last_seen: datetime | None
    impact: float
    #: Member record ids, most representative first.
    ranked_ids: list[int] = field(default_factory=list)


def evidence_texts(
    problem: str | None,
    request: str | None,
    resolution: str | None,
    language: str,
    names: Sequence[str],
    companies: Sequence[str] = (),
) -> tuple[str, str, str, str]:
    """(problem, asked, question, resolution) of a record as the engine reads it (and erasure finds it again):
    every text scrubbed of identifiers, `asked` the problem as the customer's question free of the case's
    particulars (the customer's company becomes "our company"), `question` what the record is grouped by."""
    problem = (scrub_identifiers(problem or "", names) or "").strip()
    request = (scrub_identifiers(request or "", names) or "").strip()
    # Grouped by the customer's question without the agent's framing and the case's particulars (order numbers,
    # model codes, dates, amounts), so that one order number or product does not pull different questions together.
    asked = customer_question(problem, language, names, companies)
    question = f"{without_case_details(problem)}\n{without_case_details(request)}".strip()
    return problem, asked, question, (scrub_identifiers(resolution or "", names) or "").strip()


def numbered(steps: Sequence[str]) -> str:
    """Steps as a numbered Markdown list (one step as a sentence)."""
    if len(steps) < 2:
        return "".join(steps)
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))


def safe(text: str, names: Sequence[str]) -> bool:
    return bool(text.strip()) and not contains_identifiers(text, names, masked_values=True)


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a sentence or clause end where possible; line breaks kept."""
    text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in "。？！?!；;，,. ":
        position = cut.rfind(mark)
        if position >= limit // 2:
            return cut[: position + 1].rstrip(" ,，;；")
    return cut.rstrip() + "…"


def centrality_order(vectors: np.ndarray) -> np.ndarray:
    """Row indices, closest to the group's centre first."""
    centre = vectors.mean(axis=0)
    norm = np.linalg.norm(centre)
    if norm == 0:
        return np.arange(len(vectors))
    return np.argsort(-(vectors @ (centre / norm)), kind="stable")


def diverse_questions(
    texts: Sequence[str], vectors: np.ndarray, order: np.ndarray, title: str, limit: int = ALT_QUESTIONS
) -> list[str]:
    """Real phrasings that differ from the title and from each other, most central first (greedy max-min)."""
    chosen_rows: list[int] = []
    seen = {normalise(title).casefold()}
    title_rows = [row for row in order if texts[row] == title][:1]
    reference = list(title_rows)
    for row in order:
        if len(chosen_rows) >= limit:
            break
        key = normalise(texts[row]).casefold()
        if key in seen or not texts[row].strip():
            continue
        if reference and float(np.max(vectors[reference] @ vectors[row])) >= DUPLICATE_SIMILARITY:
            continue
        seen.add(key)
        chosen_rows.append(row)
        reference.append(row)
    return [texts[row] for row in chosen_rows]


def _terms(text: str) -> list[str]:
    return [
        term.lower()
        for term, _, _ in iter_terms(text)
        if term.lower() not in ENGLISH_STOP_WORDS and term not in CHINESE_STOP_WORDS and term not in _PLACEHOLDER_WORDS
    ]


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Unit-length TF-IDF rows over the analyzer's terms (Chinese words and English words alike)."""
    documents = [Counter(_terms(text)) for text in texts]
    vocabulary: dict[str, int] = {}
    for counts in documents:
        for term in counts:
            vocabulary.setdefault(term, len(vocabulary))
    matrix = np.zeros((len(texts), max(1, len(vocabulary))), dtype=np.float32)
    frequencies = Counter(term for counts in documents for term in counts)
    for row, counts in enumerate(documents):
        for term, count in counts.items():
            matrix[row, vocabulary[term]] = (1 + math.log(count)) * math.log((1 + len(texts)) / (1 + frequencies[term]))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def steps_markdown(resolution: str) -> str:
    """A resolution as numbered Markdown steps when it has several, else as one paragraph."""
    steps = [_STEP_NUMBER.sub("", part).strip() for part in _STEP_SPLIT.split(resolution)]
    steps = [step for step in steps if step]
    if len(steps) < 2:
        return " ".join(resolution.split())
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))


def answer_and_variations(
    resolutions: Sequence[str], names: Sequence[str], language: Language = Language.ZH
) -> tuple[str, list[dict], list[str]]:
    """The most representative resolution as steps addressed to the customer, the other distinct ways the group
    was resolved, and the one-off promises and compensation the answer leaves out (for the editor).

    Representative = closest to the TF-IDF centre of all the group's resolutions; a variation is a resolution
    unlike every one chosen before it, counted with the resolutions that resemble it.
    """
    usable = [text for text in resolutions if text and text.strip()]
    if not usable:
        return "", [], []
    matrix = tfidf_matrix(usable)
    order = centrality_order(matrix)
    chosen: list[int] = []
    for row in order:
        if not safe(usable[row], names):
            continue
        if chosen and float(np.max(matrix[chosen] @ matrix[row])) >= SAME_RESOLUTION:
            continue
        chosen.append(row)
        if len(chosen) > VARIATIONS:
            break
    if not chosen:
        return "", [], []
    similarity = matrix @ matrix[chosen].T
    # Each resolution counts towards the chosen one it resembles most.
    nearest = np.argmax(similarity, axis=1)
    counts = Counter(int(index) for index in nearest)
    # The answer: the first chosen resolution that leaves steps once its one-off promises are set aside.
    steps: list[str] = []
    flags: list[str] = []
    for row in chosen:
        steps, found = answer_steps(_clip(usable[row], 4000), language.value)
        flags.extend(flag for flag in found if flag not in flags)
        if steps:
            break
    for row in chosen:
        flags.extend(flag for flag in answer_steps(usable[row], language.value)[1] if flag not in flags)
    answer = numbered(steps)
    variations = [
        {"text": _clip(usable[row], 1000), "count": counts.get(position, 0)}
        for position, row in enumerate(chosen[1:], start=1)
    ]
    return answer, variations, flags[:FLAGS]


def keywords_for(texts: Sequence[str], language: Language, document_frequency: Counter, documents: int) -> list[str]:
    """Words that set the group apart: jieba's TF-IDF keywords for Chinese, re-weighted by how rare each word is
    in all records (so 客户 and 订单, in nearly every record, drop out); for English, terms frequent in the group
    and rare in all records."""

    def rarity(word: str) -> float:
        return math.log((1 + documents) / (1 + document_frequency.get(word, 0)))

    if language == Language.ZH:
        candidates = _jieba_analyse().extract_tags("\n".join(texts), topK=KEYWORDS * 3, withWeight=True)
        scored = {
            word: weight * rarity(word)
            for word, weight in candidates
            if word not in _PLACEHOLDER_WORDS and not word.isdigit() and word not in CHINESE_STOP_WORDS
        }
    else:
        counts: Counter = Counter()
        for text in texts:
            counts.update(set(english_words(text)))
        scored = {word: count * rarity(word) for word, count in counts.items() if count >= 2 or len(texts) < 4}
    ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, score in ranked if score > 0][:KEYWORDS]


@lru_cache(maxsize=1)
def _jieba_analyse():
    # jieba.analyse reads its IDF table at import without closing the file; the warning is its, not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        import jieba.analyse

        gc.collect()
    return jieba.analyse


def corpus_words(text: str, language: Language) -> set[str]:
    """The words of one record counted for keyword rarity (jieba words for Chinese, English words otherwise)."""
    if language == Language.ZH:
        import jieba

        return {word for word in jieba.lcut(text) if len(word) > 1}
    return set(english_words(text))


def english_words(text: str) -> list[str]:
    return [
        word
        for word in _LATIN_WORD.findall(text.lower())
        if word not in ENGLISH_STOP_WORDS and word not in _PLACEHOLDER_WORDS
    ]


def impact_score(count: int, recent: int, previous: int, mean_satisfaction: float | None) -> float:
    """Volume × trend × dissatisfaction, the order trainers review in.

    Trend: (recent + 1) / (previous + 1), kept within 0.5-3 so one busy week cannot bury everything else.
    Dissatisfaction: (6 - mean rating) / 3, so 5 stars weighs 1/3, 3 stars 1, 1 star 5/3; unrated counts as 3.
    """
    growth = min(3.0, max(0.5, (recent + 1) / (previous + 1)))
    rating = 3.0 if mean_satisfaction is None else mean_satisfaction
    return round(count * growth * (6.0 - rating) / 3.0, 4)


def majority(values: Sequence) -> object | None:
    counted = Counter(value for value in values if value)
    if not counted:
        return None
    return sorted(counted.items(), key=lambda item: (-item[1], str(item[0])))[0][0]


#: A customer's mood or a complaint about the service rather than the question itself (觉得客服在推脱, "nobody gives
#: a straight answer", "I will post about it"): fine among the alternative questions, not as the title.
_VENTING = re.compile(
    r"投诉|差评|曝光|12315|消协|气死|太差|垃圾|无语|推脱|没人管|没人回|给(?:个)?说法|态度"
    r"|\b(?:nobody|no one|fed up|losing (?:my )?patience|furious|outraged|sorted today|demands?|threaten\w*"
    r"|social media|unacceptable|ridiculous|complain\w*|sue|lawyer)\b",
    re.IGNORECASE,
)


def _title_preference(question: str, centrality: int) -> tuple:
    """Lower is a better title: one without a case's counts and durations (排队16分钟, 点了4次), then one without the
    customer's venting, then a short one, then the more central."""
    return (
        bool(re.search(r"\d", question)),
        bool(_VENTING.search(question)),
        len(question) > TITLE_PREFERRED_CHARS,
        centrality,
    )


def draft(
    members: Sequence[Evidence],
    vectors: np.ndarray,
    *,
    now: datetime,
    document_frequency: Counter,
    documents: int,
) -> Draft:
    """The draft for one group; `vectors` are the members' question vectors (unit rows, same order)."""
    names = sorted({name for member in members for name in member.names})
    order = centrality_order(vectors)
    ranked = [members[row] for row in order]
    # Titles and alternative questions are customers' questions free of anything naming one case; among the
    # central ones one without numbers, then a short one, reads best as a title.
    questions = [_clip(member.asked, TITLE_CHARS) for member in members]
    usable = [row for row in order if is_customer_question(questions[row], names) and safe(questions[row], names)]
    central = usable[: max(3, len(usable) // 4)]
    title = (
        questions[min(central, key=lambda row: _title_preference(questions[row], central.index(row)))]
        if central
        else ""
    )
    alternatives = diverse_questions(
        [questions[row] if row in set(usable) else "" for row in range(len(members))],
        vectors,
        order,
        title,
        limit=ALT_QUESTIONS,
    )
    language = majority([member.language for member in members]) or Language.ZH
    answer, variations, flags = answer_and_variations(
        [member.resolution for member in ranked], names, Language(language)
    )
    pair = majority([(member.category, member.subcategory) for member in members if member.category])
    keywords = [
        word
        for word in keywords_for([member.question for member in members], language, document_frequency, documents)
        if safe(word, names)
    ]
    ratings = [member.satisfaction for member in members if member.satisfaction]
    mean_satisfaction = round(float(np.mean(ratings)), 2) if ratings else None
    recent_start = now - timedelta(days=TREND_DAYS)
    previous_start = recent_start - timedelta(days=TREND_DAYS)
    recent = sum(1 for member in members if member.contacted_at >= recent_start)
    previous = sum(1 for member in members if previous_start <= member.contacted_at < recent_start)
    times = [member.contacted_at for member in members]
    return Draft(
        title=title,
        answer=answer,
        flags=flags,
        variations=variations,
        alt_questions=alternatives,
        category=pair[0] if pair else None,
        subcategory=pair[1] if pair else None,
        keywords=keywords,
        language=Language(language),
        record_count=len(members),
        recent_count=recent,
        previous_count=previous,
        mean_satisfaction=mean_satisfaction,
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        impact=impact_score(len(members), recent, previous, mean_satisfaction),
        ranked_ids=[member.record_id for member in ranked],
    )
