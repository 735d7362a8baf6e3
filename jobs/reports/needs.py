"""Customer needs: the words customers use most in their requests (客户诉求) and feedback, against the previous
period, and the newest product suggestions ("several customers ask for order export").

Keywords are weighted as kb.drafting weights them (texts using the word × how rare it is across the texts read:
jieba words for Chinese, English words otherwise), and the words every request is phrased with (REQUEST_WORDS)
are left out. Texts are scrubbed of personal data, names and addresses before anything reads them. A sample of
NEEDS_SAMPLE texts per period, spread evenly over it, keeps segmentation cheap however many records it has.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.reports.common import CURRENT, PREVIOUS, Window, example, rate
from jobs.reports.records import example_columns, example_rows
from kb.drafting import _PLACEHOLDER_WORDS, corpus_words
from records.enums import Language
from records.identifiers import contains_identifiers, scrub_identifiers
from records.models import Customer, Record, User
from records.timeutil import local_day_start
from text.analysis import CHINESE_STOP_WORDS

#: Texts read per period. Scrubbing and segmenting 1,000 short requests takes about 0.07 s here (jieba reads some
#: 20,000 a second); 1,000 texts estimate the share of a word used in 5 % of them to within about ±1.4 points (95 %),
#: enough to rank needs, however many records the period has.
NEEDS_SAMPLE = 1000
NEEDS_KEYWORDS = 10
#: A word in fewer of the period's texts than this is an accident of wording, not a need.
KEYWORD_MIN_TEXTS = 3
#: The words every request is phrased with (希望尽快解决问题, "please help"): rarity weighting alone keeps them when
#: a period has few other words, and they name no need.
REQUEST_WORDS = frozenset(
    {
        "希望",
        "要求",
        "尽快",
        "马上",
        "问题",
        "解决",
        "处理",
        "帮忙",
        "帮助",
        "需要",
        "客户",
        "客服",
        "能否",
        "是否",
        "可以",
        "一下",
    }
    | {"谢谢", "感谢", "已经", "还是", "现在", "今天", "告知", "提供", "请求", "麻烦"}
    | {"want", "wants", "need", "needs", "asks", "asked", "help", "customer", "would", "like", "get", "know"}
)
SUGGESTION_EXAMPLES = 3
#: The taxonomy's product suggestions (投诉建议 → 产品建议).
SUGGESTION = ("feedback", "suggestion")

_TEXT_COLUMNS = (Record.customer_request, Record.customer_feedback)


def sample_texts(session: Session, window: Window, which: str) -> list[tuple[str, Language]]:
    """Up to NEEDS_SAMPLE request + feedback texts of the period, the newest of each trend step."""
    steps = [step for step in window.buckets() if step.which == which]
    per_step = math.ceil(NEEDS_SAMPLE / len(steps))
    texts = []
    for step in steps:
        query = (
            sa.select(Record.customer_request, Record.customer_feedback, Record.language)
            .where(
                Record.contacted_at >= local_day_start(step.first),
                Record.contacted_at < local_day_start(step.after),
                sa.or_(*(column.is_not(None) for column in _TEXT_COLUMNS)),
            )
            .order_by(Record.contacted_at.desc())
            .limit(per_step)
        )
        for request, feedback, language in session.execute(query):
            text = "\n".join(part for part in (request, feedback) if part and part.strip())
            if text:
                texts.append((scrub_identifiers(text) or "", Language(language)))
    return texts


def keyword_figures(samples: dict[str, list[tuple[str, Language]]]) -> list[dict[str, Any]]:
    """The words most characteristic of this period's texts: texts using the word × how rare it is across both
    periods' texts (kb.drafting's rarity weighting), each with its share now and before. Every text is segmented
    once (kb.drafting.corpus_words), and texts repeated word for word only the first time."""
    segmented: dict[tuple[str, Language], frozenset[str]] = {}

    def words(text: str, language: Language) -> frozenset[str]:
        key = (text, language)
        if key not in segmented:
            segmented[key] = frozenset(
                word
                for word in corpus_words(text, language)
                if not word.isdigit()
                and word not in CHINESE_STOP_WORDS
                and word not in _PLACEHOLDER_WORDS
                and word not in REQUEST_WORDS
            )
        return segmented[key]

    counts = {which: Counter() for which in (CURRENT, PREVIOUS)}
    sizes = {which: Counter() for which in (CURRENT, PREVIOUS)}
    for which, texts in samples.items():
        for text, language in texts:
            counts[which].update((word, language) for word in words(text, language))
            sizes[which][language] += 1
    documents = sum(len(texts) for texts in samples.values())
    everywhere = counts[CURRENT] + counts[PREVIOUS]

    def weight(key: tuple[str, Language]) -> float:
        return counts[CURRENT][key] * math.log((1 + documents) / (1 + everywhere[key]))

    ranked = sorted(
        (key for key, count in counts[CURRENT].items() if count >= KEYWORD_MIN_TEXTS and weight(key) > 0),
        key=lambda key: (-weight(key), key[0]),
    )
    rows = []
    for word, language in ranked:
        if contains_identifiers(word):
            continue
        share = rate(counts[CURRENT][word, language], sizes[CURRENT][language])
        previous_share = rate(counts[PREVIOUS][word, language], sizes[PREVIOUS][language])
        rows.append(
            {
                "word": word,
                "language": language.value,
                "mentions": counts[CURRENT][word, language],
                "texts": sizes[CURRENT][language],
                "share": share,
                "previous_share": previous_share,
                "change": round(share - previous_share, 4) if previous_share is not None else None,
            }
        )
        if len(rows) == NEEDS_KEYWORDS:
            break
    return rows


def suggestions(session: Session, window: Window) -> list[dict[str, Any]]:
    """The period's newest product suggestions, masked."""
    period = window.current
    category, subcategory = SUGGESTION
    query = (
        sa.select(*example_columns())
        .join(Customer, Customer.id == Record.customer_id)
        .join(User, User.id == Record.agent_id)
        .where(
            Record.contacted_at >= period.starts_at,
            Record.contacted_at < period.ends_at,
            Record.category == category,
            Record.subcategory == subcategory,
        )
        .order_by(Record.contacted_at.desc(), Record.id.desc())
        .limit(SUGGESTION_EXAMPLES)
    )
    return [example(row, (row["customer_name"], row["agent_name"])) for row in example_rows(session, query)]


def needs_figures(session: Session, window: Window) -> dict[str, Any]:
    samples = {which: sample_texts(session, window, which) for which in (CURRENT, PREVIOUS)}
    return {
        "keywords": keyword_figures(samples),
        "texts_read": {which: len(texts) for which, texts in samples.items()},
        "suggestions": suggestions(session, window),
    }
