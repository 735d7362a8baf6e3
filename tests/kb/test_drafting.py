"""Drafting and covering one group: which question becomes its title, which article it updates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
import pytest

from kb.drafting import Evidence, draft
from records.enums import Language


def evidence(index: int, asked: str, language: Language) -> Evidence:
    return Evidence(
        record_id=index,
        problem=asked,
        asked=asked,
        question=asked,
        resolution="已告知处理方法" if language == Language.ZH else "Explained the steps.",
        category=None,
        subcategory=None,
        satisfaction=None,
        contacted_at=datetime(2026, 11, 1),
        language=language,
    )


@pytest.mark.parametrize(
    ("questions", "language", "title"),
    [
        (
            [
                "Nobody gives a straight answer and wants it sorted today",
                "Why has my parcel shown in transit for several days?",
                "Parcel has shown in transit for several days",
                "The order has not arrived and tracking is stuck",
            ],
            Language.EN,
            "Why has my parcel shown in transit for several days?",
        ),
        (
            [
                "觉得客服在推脱，怎么办？",
                "快递一直没有物流更新，怎么办？",
                "包裹好几天没动静，怎么办？",
                "物流停在中转站，怎么办？",
            ],
            Language.ZH,
            "快递一直没有物流更新，怎么办？",
        ),
    ],
)
def test_the_title_is_the_question_not_the_customers_venting(questions, language, title):
    # The venting one is the most central, the one after it next, and both are as long: the title passes over the
    # venting.
    vectors = np.array([[1.0, 0.0, 0.0], [0.97, 0.2, 0.1], [0.9, -0.3, 0.2], [0.85, 0.1, -0.5]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    members = [evidence(index, text, language) for index, text in enumerate(questions)]
    made = draft(members, vectors, now=datetime(2026, 11, 5), document_frequency=Counter(), documents=1)
    assert made.title == title


def test_of_the_articles_reaching_the_threshold_the_members_choose():
    from kb.proposal_engine import _voted_article

    # Five members, four nearest to article 1's question, one to article 2's; the centre is nearest to article 2's
    # (a stray question that happens to sit between them).
    members = np.array([[1, 0.3, 0], [1, 0.3, 0.05], [1, 0.3, -0.05], [1, 0.28, 0], [1, -1.2, 0]], dtype=np.float32)
    members /= np.linalg.norm(members, axis=1, keepdims=True)
    centre = members.mean(axis=0) / np.linalg.norm(members.mean(axis=0))
    questions = np.array([[1, 0.45, 0], [1, 0.05, 0]], dtype=np.float32)
    questions /= np.linalg.norm(questions, axis=1, keepdims=True)
    owners = np.array([1, 2])
    assert int(np.argmax(questions @ centre)) == 1  # the centre alone would choose article 2
    assert _voted_article(centre, members, questions, owners) == 1
    # One article reaching the threshold is the choice, whatever the members say.
    assert _voted_article(centre, members, questions[1:], owners[1:]) == 2
