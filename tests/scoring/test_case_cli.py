"""`consultkb cases export | suggest | weak`."""

from __future__ import annotations

import json

import pytest

from scoring.cases.operations import create_case
from scoring.cases.packs import create_collection
from tests.scoring.case_data import leaked, pii_records


def run(app, *args):
    return app.test_cli_runner().invoke(args=["cases", *args])


@pytest.fixture
def pack(db, people, make_user, make_record):
    planted = pii_records(make_user, make_record)
    case = create_case(
        planted["zh"], {"kind": "exemplary", "dimensions": ["empathy"], "title": "安抚"}, by=people["trainer"]
    )
    collection = create_collection({"title": "高效解答", "case_ids": [case.id]}, by=people["trainer"])
    db.session.commit()
    return collection


def test_export_writes_markdown_and_pdf(app, db, pack, tmp_path):
    result = run(app, "export", str(pack.id), "--language", "en")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# 高效解答") and "Customer A" not in result.output  # a Chinese case keeps 客户A
    assert "客户A" in result.output and leaked(result.output) == []
    target = tmp_path / "pack.pdf"
    result = run(app, "export", str(pack.id), "--format", "pdf", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF") and "1 case(s)" in result.output
    assert run(app, "export", str(pack.id), "--format", "pdf").exit_code == 1
    missing = run(app, "export", "999999")
    assert missing.exit_code == 1 and "No training pack 999999" in missing.output


def test_export_speaks_the_language_asked_for(app, db, pack):
    # The CLI is English (no request), but the file is in the pack's language: Chinese unless told otherwise.
    result = run(app, "export", str(pack.id))
    assert result.exit_code == 0, result.output
    assert "- 案例数: 1" in result.output and "| 项目 | 内容 |" in result.output
    assert "Cases" not in result.output


def test_suggest_and_weak(app, db, people, make_record):
    record = make_record(agent=people["agent"], emotion="angry", satisfaction=5)
    result = run(app, "suggest", "--kind", "angry_resolved", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    assert result.exit_code == 0, result.output
    assert [item["record_number"] for item in json.loads(result.output)] == [record.number]
    table = run(app, "suggest", "--from", "2026-11-01", "--to", "2026-11-30")
    assert record.number in table.output and "1 record(s)." in table.output
    assert run(app, "suggest", "--dimension", "charm").exit_code == 1
    assert run(app, "suggest", "--from", "2026-12-01", "--to", "2026-11-01").exit_code == 1
    weak = run(app, "weak", "--from", "2026-11-01", "--to", "2026-11-30")
    assert weak.exit_code == 0 and "0 agent(s) with a weak criterion." in weak.output
    assert run(app, "weak", "--team", "没有这个组").exit_code == 1
