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

from collections.abc import Iterable, Sequence

import numpy as np

from text.analysis import HAN_RUN, normalise


def han_grams(text: str) -> set[str]:
    """The Han characters of a text and its pairs of neighbouring Han characters, traditional folded to simplified."""
    grams: set[str] = set()
    for run in HAN_RUN.findall(normalise(text)):
        grams.update(run)
        grams.update(run[index : index + 2] for index in range(len(run) - 1))
    return grams


def gram_keys(grams: Iterable[str]) -> np.ndarray:
    """The grams as sorted, distinct 64-bit keys: what an article keeps in memory. Measured with tracemalloc on the
    dev set's articles (174 grams each): 21.8 kB as a frozenset of strings, 2 GB over 100,000 articles, and 1.5 kB as
    keys. Keys are str hashes, so they are valid only in the process that made them (vectors and index are rebuilt
    per process anyway)."""
    return np.unique(np.fromiter((hash(gram) for gram in grams), dtype=np.int64))


class HanGramCoverage:
    """Inverse-document-frequency weighted coverage of a query's Han grams by each of a set of articles."""

    def __init__(self, article_keys: Sequence[np.ndarray]):
        self.count = len(article_keys)
        sizes = np.fromiter((len(keys) for keys in article_keys), dtype=np.int64, count=self.count)
        every = np.concatenate(list(article_keys)) if self.count else np.zeros(0, dtype=np.int64)
        # Postings: the articles holding each gram, as one array ordered by gram (one sort of every key).
        order = np.argsort(every, kind="stable")
        ordered = every[order]
        self.rows = np.repeat(np.arange(self.count, dtype=np.int32), sizes)[order]
        first = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])) if len(ordered) else order
        #: Distinct keys, sorted; a query's grams are found by binary search.
        self.keys = ordered[first]
        self.starts = np.concatenate([first, [len(ordered)]]).astype(np.int64)
        frequency = np.diff(self.starts)
        self.idf = np.log((self.count + 1) / (frequency + 0.5))
        #: Weight of a query gram no article has.
        self.unseen_idf = float(np.log((self.count + 1) / 0.5))

    def columns(self, grams: Iterable[str]) -> tuple[np.ndarray, int]:
        """The columns of the grams the articles hold, and how many grams they do not hold."""
        keys = gram_keys(grams)
        positions = np.searchsorted(self.keys, keys)
        found = positions < len(self.keys)
        found[found] = self.keys[positions[found]] == keys[found]
        return positions[found], int((~found).sum())

    def scores(self, query: str) -> np.ndarray | None:
        """Per article (in the order given), the weighted share of the query's Han grams it contains; None when
        the query has no Han character."""
        grams = han_grams(query)
        if not grams or not self.count:
            return None
        known, unseen = self.columns(grams)
        total = float(self.idf[known].sum()) + self.unseen_idf * unseen
        if not len(known):
            return np.zeros(self.count)
        rows = np.concatenate([self.rows[self.starts[column] : self.starts[column + 1]] for column in known])
        weights = np.repeat(self.idf[known], self.starts[known + 1] - self.starts[known])
        return np.bincount(rows, weights=weights, minlength=self.count) / total
