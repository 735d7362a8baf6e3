"""Teaching dimensions of the case library and the criteria each one teaches.

A case is tagged with dimensions (沟通技巧, 问题解决, ...); a dimension maps to the rubric criteria and outcome metrics
it improves, which is how an agent weak on a criterion is matched to the pack that teaches it. The shipped
dimensions are `DEFAULT_DIMENSIONS`; a deployment points `CONSULTKB_CASE_DIMENSIONS_FILE` at a JSON list of the same
shape (key, zh, en, criteria) to use its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context

from scoring.checks import CHECKS
from scoring.engine import default_definition

#: Outcome metrics an agent can be weak on besides the rubric's checks, with their names. Each is a per-record value
#: from 0 to 1 (see scoring.cases.suggestions.criterion_value): resolved or not, and the satisfaction ratings.
OUTCOME_CRITERIA: dict[str, dict[str, str]] = {
    "resolution_rate": {"zh": "解决率", "en": "Resolution rate"},
    "satisfaction": {"zh": "客户满意度", "en": "Customer satisfaction"},
    "satisfaction_efficiency": {"zh": "满意度·服务效率", "en": "Satisfaction: efficiency"},
    "satisfaction_resolution": {"zh": "满意度·问题解决能力", "en": "Satisfaction: problem solving"},
    "satisfaction_attitude": {"zh": "满意度·态度友好度", "en": "Satisfaction: friendliness"},
}

#: The dimensions the record-keeping guides sort training cases by (communication skills, problem solving), plus
#: the ones trainers commonly add. Each lists the rubric checks and outcome metrics that show the skill.
DEFAULT_DIMENSIONS: list[dict] = [
    {
        "key": "communication",
        "zh": "沟通技巧",
        "en": "Communication",
        "criteria": ["objective_wording", "specific_problem", "satisfaction_attitude"],
    },
    {
        "key": "problem_solving",
        "zh": "问题解决",
        "en": "Problem solving",
        "criteria": [
            "concrete_steps",
            "resolution_outcome",
            "resolution_confirmed",
            "resolution_rate",
            "satisfaction_resolution",
        ],
    },
    {
        "key": "empathy",
        "zh": "同理心",
        "en": "Empathy",
        "criteria": ["complaint_emotion", "satisfaction_attitude", "satisfaction"],
    },
    {
        "key": "compliance",
        "zh": "合规",
        "en": "Compliance",
        "criteria": [
            "no_unmasked_pii",
            "core_fields",
            "timeliness",
            "follow_up_complete",
            "follow_up_dates",
            "related_when_transferred",
        ],
    },
    {
        "key": "product_knowledge",
        "zh": "产品知识",
        "en": "Product knowledge",
        "criteria": ["specific_problem", "concrete_steps", "satisfaction_efficiency"],
    },
]


@dataclass(frozen=True)
class Dimension:
    key: str
    zh: str
    en: str
    criteria: tuple[str, ...]

    def label(self, language: str | None) -> str:
        return self.zh if (language or "").lower().startswith("zh") else self.en

    def as_dict(self) -> dict:
        return {"key": self.key, "name": {"zh": self.zh, "en": self.en}, "criteria": list(self.criteria)}


_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


@lru_cache(maxsize=1)
def known_criteria() -> dict[str, dict[str, str]]:
    """Every criterion a dimension or a pack may name: the rubric's checks and the outcome metrics, with names.

    Names come from the shipped rubric: rubric versions change weights and scales, never what a check is called.
    """
    names = {key: {"zh": key, "en": key} for key in CHECKS}
    for item in default_definition()["criteria"]:
        names[item["key"]] = {"zh": item.get("zh", item["key"]), "en": item.get("en", item["key"])}
    return {**names, **OUTCOME_CRITERIA}


def parse_dimensions(entries: object, source: str = "dimensions") -> tuple[Dimension, ...]:
    """Dimensions from their JSON form; ValueError says which entry is wrong."""
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{source}: a non-empty JSON list of dimensions is expected.")
    criteria = known_criteria()
    seen: set[str] = set()
    parsed = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: entry {index + 1} is not an object.")
        key = str(entry.get("key") or "").strip()
        # Keys are stored in JSON lists and matched there with LIKE; plain ASCII keeps that exact on every database.
        if not _KEY_RE.fullmatch(key) or key in seen:
            raise ValueError(
                f"{source}: entry {index + 1} needs a unique key of lowercase letters, digits and _ (at most 40)."
            )
        zh, en = str(entry.get("zh") or "").strip(), str(entry.get("en") or "").strip()
        if not zh or not en:
            raise ValueError(f"{source}: dimension {key} needs a Chinese (zh) and an English (en) name.")
        listed = entry.get("criteria") or []
        unknown = [name for name in listed if name not in criteria]
        if not isinstance(listed, list) or unknown:
            raise ValueError(
                f"{source}: dimension {key} names unknown criteria {unknown}; known: {', '.join(sorted(criteria))}."
            )
        seen.add(key)
        parsed.append(Dimension(key, zh, en, tuple(dict.fromkeys(listed))))
    return tuple(parsed)


@lru_cache(maxsize=8)
def _dimensions_from_file(path: str) -> tuple[Dimension, ...]:
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"Cannot read the case dimensions file {path}: {exc}") from exc
    return parse_dimensions(entries, path)


_DEFAULT = parse_dimensions(DEFAULT_DIMENSIONS)


def dimensions() -> tuple[Dimension, ...]:
    """The configured dimensions (CASE_DIMENSIONS_FILE), else the shipped ones."""
    path = current_app.config.get("CASE_DIMENSIONS_FILE") if has_app_context() else None
    return _dimensions_from_file(str(path)) if path else _DEFAULT


def dimension_keys() -> list[str]:
    return [dimension.key for dimension in dimensions()]


def dimension_by_key() -> dict[str, Dimension]:
    return {dimension.key: dimension for dimension in dimensions()}


def criteria_of(dimension_keys_: list[str]) -> set[str]:
    """The criteria the given dimensions teach (unknown keys, e.g. of a dimension since removed, teach nothing)."""
    by_key = dimension_by_key()
    return {criterion for key in dimension_keys_ if key in by_key for criterion in by_key[key].criteria}


def dimension_label(key: str, language: str | None) -> str:
    dimension = dimension_by_key().get(key)
    return dimension.label(language) if dimension else key


def criterion_label(key: str, language: str | None) -> str:
    names = known_criteria().get(key)
    if not names:
        return key
    return names["zh"] if (language or "").lower().startswith("zh") else names["en"]
