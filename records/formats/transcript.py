"""Call transcripts (TXT, SRT, VTT): one phone record whose description is what was said."""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from records.formats.base import (
    CANONICAL_COLUMNS,
    FormatError,
    SourceRow,
    clean_text,
    decode,
    is_blank,
    make_row,
    put_value,
    read_bytes,
    set_value,
)

# ---------------------------------------------------------------------------------------------------------------
# Transcripts

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING_LINE = re.compile(rf"^\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?$")
_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_MARKUP_TAG = re.compile(r"</?(?:c|i|b|u|v|ruby|rt|lang|font)(?:[.\s][^>]*)?>|<\d{1,2}:\d{2}[:.\d]*>")
_PROTECTED_TRANSCRIPT_COLUMNS = frozenset({"problem_description", "external_id"})


def read_transcript(path: Path, defaults: dict[str, Any]) -> SourceRow:
    data = read_bytes(path)
    text = clean_text(decode(data, path.name))
    kind = path.suffix.lower()
    if kind not in (".srt", ".vtt"):  # a transcript saved as .txt may still be subtitles
        kind = ".vtt" if text.startswith("WEBVTT") else ".srt" if any(map(_TIMING_LINE.match, text.split("\n"))) else ""
    duration: int | None = None
    if kind:
        text, last_end = _subtitle_text(text, vtt=kind == ".vtt")
        duration = None if last_end is None else math.ceil(last_end / 60)
    if not text:
        raise FormatError(f"{path.name} contains no transcript text; check that it is the right file.")
    values: dict[str, Any] = {
        "external_id": "transcript-" + hashlib.sha256(data).hexdigest()[:16],
        "source": "transcript",
        "channel": "phone",
        "status": "open",
        "problem_description": text,
    }
    set_value(values, "duration_minutes", duration)
    errors: dict[str, list[str]] = {}
    for column, value in defaults.items():
        if column not in CANONICAL_COLUMNS:
            raise ValueError(f"Unknown transcript default {column!r}; use canonical column names.")
        if column not in _PROTECTED_TRANSCRIPT_COLUMNS and not is_blank(value):
            put_value(values, errors, column, value)
    return make_row(1, values, errors)


def _subtitle_text(text: str, *, vtt: bool) -> tuple[str, float | None]:
    """SRT/VTT to plain dialogue, one line per cue; also the end of the last cue in seconds."""
    cues: list[list[str]] = []
    last_end: float | None = None
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        if vtt and re.match(r"(WEBVTT|NOTE|STYLE|REGION)\b", lines[0].strip()):
            continue
        cue: list[str] | None = None  # None until the block's timing line: lines before it are cue numbers/ids
        for line in lines:
            timing = _TIMING_LINE.match(line)
            if timing is None:
                if cue is not None:
                    cue.append(line)
                continue
            end = _seconds(timing.group(2))
            last_end = end if last_end is None else max(last_end, end)
            if cue is not None:
                if cue and cue[-1].strip().isdigit():
                    cue.pop()  # SRT written without a blank line between cues: that was the next cue's number
                cues.append(cue)
            cue = []
        cues.append(lines if cue is None else cue)  # a block without timing is stray text, kept
    texts = [_cue_text(cue) for cue in cues]
    return "\n".join(text for text in texts if text), last_end


def _cue_text(lines: Iterable[str]) -> str:
    parts: list[str] = []
    for raw in lines:
        starts_voice = bool(_VOICE_TAG.match(raw.strip()))
        line = html.unescape(_MARKUP_TAG.sub("", _VOICE_TAG.sub(r"\1: ", raw))).strip()
        if not line:
            continue
        if parts and starts_voice:
            parts.append("\n" + line)  # a new speaker inside one cue gets its own line
        else:
            parts.append((" " if parts else "") + line)
    return "".join(parts)


def _seconds(stamp: str) -> float:
    seconds = 0.0
    for part in stamp.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds
