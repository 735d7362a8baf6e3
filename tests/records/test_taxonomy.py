"""The two-level taxonomy: codes or labels in either language, a deployment's own file, clear errors."""

from __future__ import annotations

import json

import pytest
from marshmallow import ValidationError

from records.taxonomy import Taxonomy, load_taxonomy


def test_codes_and_labels_in_both_languages_resolve_to_codes():
    taxonomy = load_taxonomy()
    assert taxonomy.resolve("功能故障", "登录异常") == ("malfunction", "login")
    assert taxonomy.resolve("Malfunction", "login failure") == ("malfunction", "login")
    assert taxonomy.resolve("logistics", None) == ("logistics", None)
    assert taxonomy.resolve(None, None) == (None, None)
    assert taxonomy.labels("malfunction", "login", "zh_CN") == "功能故障 / 登录异常"
    assert taxonomy.labels("malfunction", "login", "en") == "Malfunction / Login failure"


@pytest.mark.parametrize(
    ("category", "subcategory", "message"),
    [
        ("天气", None, "Unknown category '天气'; allowed: malfunction (功能故障)"),
        ("物流", "登录异常", "Unknown subcategory '登录异常' of logistics; allowed: delivery_delay (物流延迟)"),
        (None, "登录异常", "A subcategory needs its category."),
    ],
)
def test_unknown_categories_name_the_allowed_ones(category, subcategory, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_taxonomy().resolve(category, subcategory)


def test_a_deployments_own_taxonomy_is_used(app, db, tmp_path, make_record):
    own = tmp_path / "taxonomy.json"
    own.write_text(
        json.dumps(
            [
                {
                    "code": "hardware",
                    "zh": "硬件",
                    "en": "Hardware",
                    "children": [{"code": "screen", "zh": "屏幕", "en": "Screen"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    app.config["TAXONOMY_FILE"] = str(own)
    try:
        record = make_record(category="硬件", subcategory="屏幕")
        assert (record.category, record.subcategory) == ("hardware", "screen")
        with pytest.raises(ValidationError, match="Unknown category"):
            make_record(category="功能故障", subcategory="登录异常")
    finally:
        app.config["TAXONOMY_FILE"] = None


def test_a_broken_taxonomy_file_says_what_is_wrong(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"code": "x"}]', encoding="utf-8")
    with pytest.raises(ValueError, match="every category needs code, zh and en"):
        Taxonomy.from_file(broken)
    with pytest.raises(ValueError, match="Cannot read the taxonomy file"):
        Taxonomy.from_file(tmp_path / "missing.json")
