"""Text normalisation and the Whoosh analyzers: Chinese segmented by jieba, English stemmed, in the same field.

Traditional Chinese is folded to simplified before anything else, on both the indexing and the query side, so a
customer typing 帳戶 finds an article about 账户.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator

import jieba
from whoosh.analysis import LowercaseFilter, StemFilter, StopFilter, Token, Tokenizer

from records.masking import simplified

jieba.setLogLevel(logging.WARNING)

# Han characters (CJK unified ideographs, extension A, compatibility) form runs jieba segments.
HAN_CHARACTERS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RUN = re.compile(f"[{HAN_CHARACTERS}]+")
_TOKEN = re.compile(rf"(?P<han>[{HAN_CHARACTERS}]+)|(?P<word>[0-9a-z]+(?:['’][a-z]+)?)", re.IGNORECASE)

#: English function words (NLTK's list without negations, which customers' problems turn on: "has not arrived",
#: "can't log in", and without the particles of banking and shopping phrases: top up, check out, log in). BM25
#: would otherwise relate "How do I reset my password?" to every other "How do I …".
_ENGLISH_STOP_TEXT = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until while of at by for with
about against between into through during to from then once here there when where why how all any both each few
more most other some such only own same so than too very s t can will just should now im ive would could please
hi hello thanks thank i'm i've it's what's
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_TEXT.split())

#: Chinese function words that carry no topic; dropped like English stop words so they don't drown BM25 scores.
CHINESE_STOP_WORDS = frozenset(
    {
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "嘛",
        "么",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "有",
        "就",
        "也",
        "都",
        "还",
        "又",
        "被",
        "把",
        "给",
        "让",
        "对",
        "从",
        "到",
        "为",
        "要",
        "会",
        "能",
        "可以",
        "一个",
        "一下",
        "请问",
        "请",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "为什么",
        "哪里",
        "哪",
        "谁",
        "多少",
        "不",
        "没",
        "没有",
        "不到",
        "一直",
        "已经",
        "还是",
        "但是",
        "就是",
    }
)

_jieba_lock = threading.Lock()
_jieba_ready = False


#: OpenCC turns 帳 into 帐, a variant mainland text rarely uses (账户, 账号, 账单): fold both to the common form.
VARIANT_FOLDS = str.maketrans({"帐": "账"})


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese, keeping every character at its offset (highlighting relies on it)."""
    return simplified(text).translate(VARIANT_FOLDS)


# C0/C1 controls (but tab and newline) and lone surrogates: no index, encoder or PostgreSQL text column takes them.
_UNUSABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def without_unusable(text: str | None) -> str:
    """The text with controls and lone surrogates replaced by spaces (offsets kept)."""
    return _UNUSABLE.sub(" ", text or "")


def _fold_width(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def normalise(text: str) -> str:
    """Full-width forms to ASCII, traditional to simplified, one character for one so offsets are kept."""
    return to_simplified("".join(_fold_width(char) for char in text))


def ensure_jieba() -> None:
    global _jieba_ready
    if not _jieba_ready:
        # jieba builds its prefix dictionary on first use; two threads doing it at once both pay for it.
        with _jieba_lock:
            jieba.initialize()
            _jieba_ready = True


def _jieba_tokenize(run: str) -> list[tuple[str, int, int]]:
    ensure_jieba()
    return list(jieba.tokenize(run, mode="search"))


def iter_terms(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for every Han word (jieba search mode: words and their sub-words) and Latin word."""
    normalised = normalise(text)
    for match in _TOKEN.finditer(normalised):
        if match.group("han"):
            offset = match.start()
            for word, start, end in _jieba_tokenize(match.group("han")):
                yield word, offset + start, offset + end
        else:
            yield match.group("word"), match.start(), match.end()


class MixedTokenizer(Tokenizer):
    """Whoosh tokenizer for text mixing Chinese and English."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, (term, start, end) in enumerate(iter_terms(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def search_analyzer():
    """Segmented, lower-cased, stop words removed, English stemmed (Porter); Chinese words pass the stemmer as-is."""
    return (
        MixedTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=ENGLISH_STOP_WORDS | CHINESE_STOP_WORDS, minsize=1)
        | StemFilter(lang="en", ignore=None)
    )


def spelling_analyzer():
    """Whole English words, unstemmed: the vocabulary "did you mean" suggests from."""
    return MixedTokenizer() | LowercaseFilter() | StopFilter(stoplist=ENGLISH_STOP_WORDS, minsize=3)


def latin_words(text: str) -> list[tuple[str, int, int]]:
    """The English words of a query with their offsets, for spelling correction."""
    return [(term, start, end) for term, start, end in iter_terms(text.lower()) if term.isascii() and term.isalpha()]


def edit_distance(first: str, second: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1."""
    previous_row: list[int] | None = None
    row = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(second)
        for j, b in enumerate(second, start=1):
            row[j] = min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + (a != b))
            if before is not None and i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]
