"""The multilingual model as a second reader of the text checks: clauses compared with exemplar banks.

scoring/data/exemplars.json holds short snippets, Chinese and English, that read like a judgement of the customer, a
completed action or an outcome, and snippets that read like their opposite. A clause the rules could not place is
encoded by multilingual-e5-small (text.embeddings, "query" form, unit vectors) and counts as the thing asked about when
its k nearest positive exemplars are closer on average than its k nearest negative ones by a margin. The clause
itself is what the verdict names. Vectors of the exemplars and of clauses already read are kept in the process.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from scoring import reading

BANKS = Path(__file__).with_name("data") / "exemplars.json"
#: Nearest exemplars averaged on each side.
NEIGHBOURS = 3
#: How much closer (cosine) the positive exemplars must be than the negative ones. A margin, not 0: the rules already
#: passed over these clauses, so the model overrules them only when it reads them clearly (bench/eval_checks.py).
MARGIN = 0.02
#: Clause vectors kept per process (a record's clauses are read again when its score page is shown).
CACHED_CLAUSES = 4096


@cache
def banks() -> dict[str, dict[str, list[str]]]:
    with BANKS.open(encoding="utf-8") as file:
        return {name: bank for name, bank in json.load(file).items() if not name.startswith("_")}


class ExemplarReader:
    """Reads clauses against the exemplar banks with `encode` (texts → unit vectors)."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray]):
        self._encode = encode
        self._lock = threading.Lock()
        self._clauses: OrderedDict[str, np.ndarray] = OrderedDict()
        self._banks: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._clauses]
        fresh = self._encode(missing) if missing else []
        with self._lock:
            for text, vector in zip(missing, fresh, strict=True):
                self._clauses[text] = np.asarray(vector, dtype=np.float32)
            vectors = [self._clauses.get(text) for text in texts]
            for text in texts:
                if text in self._clauses:
                    self._clauses.move_to_end(text)
            while len(self._clauses) > CACHED_CLAUSES:
                self._clauses.popitem(last=False)
        return np.vstack(vectors)

    def _bank(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._banks:
            bank = banks()[name]
            self._banks[name] = (
                np.asarray(self._encode(bank["positive"]), dtype=np.float32),
                np.asarray(self._encode(bank["negative"]), dtype=np.float32),
            )
        return self._banks[name]

    def margins(self, name: str, texts: list[str]) -> np.ndarray:
        """Per text: mean cosine to its nearest positive exemplars minus that to its nearest negative ones."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        positive, negative = self._bank(name)
        vectors = self._vectors(texts)

        def nearest(exemplars: np.ndarray) -> np.ndarray:
            similarities = vectors @ exemplars.T
            k = min(NEIGHBOURS, similarities.shape[1])
            return np.sort(similarities, axis=1)[:, -k:].mean(axis=1)

        return nearest(positive) - nearest(negative)

    def _matching(self, name: str, texts: list[str]) -> list[str]:
        texts = [text for text in texts if len(text.strip()) >= 2]
        return [text for text, margin in zip(texts, self.margins(name, texts), strict=True) if margin > MARGIN]

    def judgements(self, text: str) -> list[str]:
        """Clauses of the agent's own words (quotes and reported speech left out) that read as judgements."""
        return self._matching("judgement", reading.clauses(reading.own_words(text)))

    def actions(self, clauses: list[str]) -> list[str]:
        """Those of `clauses` that read as completed actions."""
        return self._matching("action", clauses)

    def outcomes(self, text: str) -> list[str]:
        """Clauses of a resolution that read as an outcome."""
        return self._matching("outcome", reading.clauses(text))


_readers: dict[str, ExemplarReader] = {}
_readers_lock = threading.Lock()


def model_reader() -> ExemplarReader | None:
    """The process's reader on the multilingual model, or None when embeddings or the Chinese model are off (the
    checks then read with rules alone). Needs an app context."""
    from text.embeddings import get_readers

    readers = get_readers()
    if readers is None or readers.chinese is None:
        return None
    embedder = readers.chinese
    with _readers_lock:
        if embedder.name not in _readers:
            _readers[embedder.name] = ExemplarReader(embedder.encode)
        return _readers[embedder.name]
