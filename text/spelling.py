"""Reading Chinese queries as customers type them: homophone typos and English words mixed into Chinese.

Chinese is typed through pinyin input methods, so a misspelt word is nearly always another word with the same
sound: 发漂 for 发票, 退宽 for 退款, 手鸡号 for 手机号, 收仓夹 for 收藏夹. BM25 cannot match them at all and the
sentence model reads them poorly. `HomophoneCorrector` replaces a run of characters that is no word (neither in the
knowledge base's own vocabulary nor in jieba's dictionary) by the knowledge base's word with the same toneless
pinyin. A real word is never replaced, however it sounds.

Customers also mix English into Chinese questions (需要invoice, vip怎么退订); `expand_mixed` adds the Chinese word
an FAQ would use beside each known English word (text/data/english_in_chinese.json).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from text.analysis import HAN_RUN, normalise

#: Lengths of the runs of characters tried as one word, longest first.
WORD_LENGTHS = (4, 3, 2)

#: Spellings so common in Chinese customer service that they are folded although both are words, or no word at
#: all: 登陆 ("land") is what most customers type for 登录 ("log in"), and 登不上 / 登不进 / 登不了 say 登录 short.
COMMON_CONFUSIONS = {"登陆": "登录", "登不上": "登录不上", "登不进": "登录不进", "登不了": "登录不了"}

_LATIN_PHRASE = re.compile(r"[a-z][a-z ]*[a-z]|[a-z]", re.IGNORECASE)


#: Readings tried per word: a word of polyphonic characters (行: xing / hang) is filed under each combination of its
#: characters' readings, up to this many.
MAX_READINGS = 16


@lru_cache(maxsize=1)
def _readings() -> dict[str, tuple[str, ...]]:
    """Character → its toneless pinyin readings, from pypinyin's character table read directly: importing pypinyin
    itself loads its phrase dictionary, 56 MB in every web worker, which homophone matching does not need."""
    import importlib.util
    import unicodedata

    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.origin).with_name("pinyin_dict.json")
    table = json.loads(path.read_text(encoding="utf-8"))

    def toneless(reading: str) -> str:
        decomposed = unicodedata.normalize("NFD", reading)
        return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("u\u0308", "v")

    # Only the basic block of CJK ideographs (what customers type); the same tuple object for the same readings.
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    readings_of = {}
    for code, readings in table.items():
        if 0x4E00 <= int(code) <= 0x9FFF:
            sound = tuple(dict.fromkeys(sys.intern(toneless(reading)) for reading in readings.split(",")))
            readings_of[chr(int(code))] = shared.setdefault(sound, sound)
    return readings_of


def _sounds(text: str) -> list[tuple[str, ...]]:
    """Every reading of the text (each character's readings combined), at most MAX_READINGS; [] for a character
    with no reading."""
    table = _readings()
    sounds: list[tuple[str, ...]] = [()]
    for char in text:
        readings = table.get(char)
        if not readings:
            return []
        sounds = [sound + (reading,) for sound in sounds for reading in readings][:MAX_READINGS]
    return sounds


@lru_cache(maxsize=1)
def _jieba_words():
    import jieba

    from text.analysis import ensure_jieba

    ensure_jieba()
    return jieba.dt.FREQ


def is_known_word(word: str) -> bool:
    return _jieba_words().get(word, 0) > 0


class HomophoneCorrector:
    """Corrects homophone typos in Chinese text against a vocabulary of Chinese words (2-4 characters)."""

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary = {
            word for word in vocabulary if 2 <= len(word) <= max(WORD_LENGTHS) and HAN_RUN.fullmatch(word)
        }
        by_sound: dict[tuple[str, ...], str] = {}
        # Sorted, so two words sounding alike resolve the same way in every process.
        for word in sorted(self.vocabulary):
            for sound in _sounds(word):
                by_sound.setdefault(sound, word)
        self.by_sound = by_sound

    def correct(self, text: str) -> str | None:
        """The text with its typos corrected, or None when nothing was corrected."""
        normalised = normalise(text)
        pieces: list[str] = []
        changed = False
        position = 0
        for match in HAN_RUN.finditer(normalised):
            pieces.append(normalised[position : match.start()])
            corrected = self._correct_run(match.group())
            changed |= corrected != match.group()
            pieces.append(corrected)
            position = match.end()
        pieces.append(normalised[position:])
        return "".join(pieces) if changed else None

    def _correct_run(self, run: str) -> str:
        out: list[str] = []
        start = 0
        while start < len(run):
            for length in WORD_LENGTHS:
                piece = run[start : start + length]
                if len(piece) < length:
                    continue
                if piece in COMMON_CONFUSIONS:
                    out.append(COMMON_CONFUSIONS[piece])
                    break
                if piece in self.vocabulary:
                    out.append(piece)
                    break
                replacement = next((self.by_sound[sound] for sound in _sounds(piece) if sound in self.by_sound), None)
                if replacement is not None and not is_known_word(piece):
                    out.append(replacement)
                    break
            else:
                out.append(run[start])
                start += 1
                continue
            start += length
        return "".join(out)


@lru_cache(maxsize=1)
def english_in_chinese() -> dict[str, str]:
    path = Path(__file__).with_name("data") / "english_in_chinese.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    return {key.lower(): value for key, value in table.items() if not key.startswith("_")}


def expand_mixed(text: str) -> str | None:
    """A query mixing Chinese and English with the Chinese word for each known English word beside it, or None
    when the query is not mixed or holds no known word."""
    if not HAN_RUN.search(text):
        return None
    table = english_in_chinese()
    added: list[str] = []
    for match in _LATIN_PHRASE.finditer(text):
        words = match.group().lower().split()
        # Longest known phrase first at each word: "double charge" before "charge".
        index = 0
        while index < len(words):
            for size in range(min(3, len(words) - index), 0, -1):
                phrase = " ".join(words[index : index + size])
                if phrase in table:
                    if table[phrase] not in text and table[phrase] not in added:
                        added.append(table[phrase])
                    index += size
                    break
            else:
                index += 1
    return f"{text} {' '.join(added)}" if added else None
