"""Validation messages reach Chinese users in Chinese: a guard against schema messages drifting from the catalog."""

from __future__ import annotations

import re

import pytest
from marshmallow import ValidationError

from records.schemas import RecordInputSchema
from tests.conftest import record_payload
from web.pages.forms import form_errors

CJK = re.compile(r"[\u4e00-\u9fff]")

INVALID = [
    {"problem_description": None},
    {"channel": None, "status": None, "contacted_at": None},
    {"status": "resolved", "resolution": None},
    {"status": "pending", "resolution": None},
    {"status": "transferred", "resolution": None},
    {"channel": "social_media"},
    {"satisfaction": 9},
    {"satisfaction_attitude": "great"},
    {"contacted_at": "2999-01-01 10:00"},
    {"contacted_at": "soon"},
    {"duration_minutes": 5000},
    {"duration_minutes": "long"},
    {"emotion": "grumpy"},
    {"customer": {"customer_type": "enterprise"}},
    {"customer": {"email": "not-an-address"}},
    {"follow_ups": [{"action": "回访", "owner": "王芳", "due": "someday"}]},
    {"customer_request": "长" * 20001},
    {"surprise": 1},
]


def messages_in(app, language: str, overrides: dict) -> dict[str, list[str]]:
    with app.test_request_context(headers={"Accept-Language": language}):
        with pytest.raises(ValidationError) as caught:
            RecordInputSchema().load(record_payload(**overrides))
        return form_errors(caught.value, with_rules=True)


@pytest.mark.parametrize("overrides", INVALID, ids=[",".join(o) for o in INVALID])
def test_every_common_validation_message_is_translated(app, overrides):
    chinese, english = messages_in(app, "zh-CN", overrides), messages_in(app, "en", overrides)
    assert chinese and chinese.keys() == english.keys()
    # A message the catalog does not know comes out the same in both languages.
    untranslated = {
        key: texts
        for key, texts in chinese.items()
        if texts == english[key] or not all(CJK.search(text) for text in texts)
    }
    assert untranslated == {}
