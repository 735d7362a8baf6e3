"""How much of a Chinese query an article's own words cover, character by character.

The sentence model (multilingual-e5-small) places close neighbours in a help center a hair apart: 临时额度 and 永久提额,
改地址 before and after shipping. The characters the customer typed often tell them apart where the model does not,
and BM25 misses them whenever jieba segments the query differently from the article (提额 against 提高额度, 零时
against 临时) or a word is rare. So each article also scores the share of the query's Han characters and character
pairs that occur anywhere in its title, other questions and body, each weighted by its inverse document frequency
over the articles (common characters such as 我, 的 and 了 weigh almost nothing).

On bench/eval_search_zh.py (no thresholds; BM25 weight 0.005), coverage weight 0 → 0.05: P@1 88.0 → 93.5 % on
bench/data/zh_faq_dev2.json (MRR 0.927 → 0.958), and 93.8 → 93.8 % on zh_faq_dev.json (94.2 % at 0.02–0.04), where
the vectors already read most queries. Both sets were looked at while choosing the weight.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from text.analysis import HAN_RUN, normalise


def han_grams(text: str) -> set[str]:
    """The Han characters of a text and its pairs of neighbouring Han characters, traditional folded to simplified."""
    grams: set[str] = set()
    for run in HAN_RUN.findall(normalise(text)):
        grams.update(run)
        grams.update(run[index : index + 2] for index in range(len(run) - 1))
    return grams


class HanGramCoverage:
    """Inverse-document-frequency weighted coverage of a query's Han grams by each of a set of articles."""

    def __init__(self, article_grams: Iterable[frozenset[str]]):
        rows: list[int] = []
        columns: list[int] = []
        self.column_of: dict[str, int] = {}
        count = 0
        for row, grams in enumerate(article_grams):
            count += 1
            for gram in grams:
                rows.append(row)
                columns.append(self.column_of.setdefault(gram, len(self.column_of)))
        # Postings: the articles holding each gram, as one array ordered by gram (compact with 10,000s of articles).
        by_column = np.argsort(np.asarray(columns, dtype=np.int64), kind="stable")
        self.rows = np.asarray(rows, dtype=np.int32)[by_column]
        frequency = np.bincount(np.asarray(columns, dtype=np.int64), minlength=len(self.column_of))
        self.starts = np.concatenate([[0], np.cumsum(frequency)]).astype(np.int64)
        self.idf = np.log((count + 1) / (frequency + 0.5))
        #: Weight of a query gram no article has.
        self.unseen_idf = float(np.log((count + 1) / 0.5))
        self.count = count

    def scores(self, query: str) -> np.ndarray | None:
        """Per article (in the order given), the weighted share of the query's Han grams it contains; None when
        the query has no Han character."""
        grams = han_grams(query)
        if not grams or not self.count:
            return None
        known = [self.column_of[gram] for gram in grams if gram in self.column_of]
        total = float(self.idf[known].sum()) + self.unseen_idf * (len(grams) - len(known))
        if not known:
            return np.zeros(self.count)
        rows = np.concatenate([self.rows[self.starts[column] : self.starts[column + 1]] for column in known])
        weights = np.repeat(self.idf[known], self.starts[np.add(known, 1)] - self.starts[known])
        return np.bincount(rows, weights=weights, minlength=self.count) / total
