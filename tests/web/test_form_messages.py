"""Validation messages reach Chinese users in Chinese on the pages: the schemas and services mark them, the page shows
them as they are."""

from __future__ import annotations

import re

import pytest

from records.enums import Role
from tests.web.test_pages import form_data, page

CJK = re.compile(r"[\u4e00-\u9fff]")
INLINE_ERROR = re.compile(r'<div class="invalid-feedback" id="[^"]+-error">(.*?)</div>', re.DOTALL)

#: Refused record forms, each failing one or more of the schema's fields or rules.
INVALID = [
    {"problem_description": ""},
    {"status": "resolved", "resolution": ""},
    {"channel": "social_media", "channel_platform": ""},
    {"satisfaction": "9"},
    {"contacted_at": "2999-01-01T10:00"},
    {"contacted_at": "soon"},
    {"duration_minutes": "5000"},
    {"duration_minutes": "long"},
    {"emotion": "grumpy"},
    {"customer_type": "enterprise", "company": ""},
    {"customer_email": "not-an-address"},
    {"follow_ups-0-action": "回访", "follow_ups-0-owner": "王芳", "follow_ups-0-due": "someday"},
    {"category": "weather", "subcategory": ""},
    {"customer_request": "长" * 20001},
]


def inline_errors(html: str) -> list[str]:
    return [text.strip() for text in INLINE_ERROR.findall(html)]


@pytest.mark.parametrize("overrides", INVALID, ids=[",".join(o) for o in INVALID])
def test_refused_record_forms_explain_in_the_users_language(client, login_as, overrides):
    login_as(Role.AGENT)
    data = form_data(**overrides)
    chinese = client.post("/records/new", data=data, headers={"Accept-Language": "zh-CN"})
    english = client.post("/records/new", data=data, headers={"Accept-Language": "en"})
    assert chinese.status_code == english.status_code == 422
    in_chinese, in_english = inline_errors(page(chinese)), inline_errors(page(english))
    assert in_chinese and len(in_chinese) == len(in_english)
    # A message the catalog does not know comes out in English on the Chinese page.
    assert [text for text in in_chinese if not CJK.search(text)] == []
    assert all(chinese != english for chinese, english in zip(in_chinese, in_english, strict=True))
