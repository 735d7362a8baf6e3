"""`consultkb kb import-articles`, `kb search` (single and batch, --json) and `kb reindex`."""

from __future__ import annotations

import json

import sqlalchemy as sa

from kb.models import Article, ArticleStatus
from tests.conftest import FIXTURES

ARTICLES = FIXTURES / "kb" / "articles.jsonl"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["kb", *args])


def test_import_reports_every_rejected_line_and_keeps_the_good_ones(app, db):
    result = run(app, "import-articles", str(ARTICLES))

    assert result.exit_code == 1
    assert "3 created, 0 updated, 0 unchanged." in result.output
    assert "line 4, body: This field is required." in result.output
    assert "line 5: Not a JSON object" in result.output
    assert "line 6, category: Unknown category '不存在的分类'" in result.output
    statuses = dict(db.session.execute(sa.select(Article.external_id, Article.status)).all())
    assert statuses == {
        "reset-password": ArticleStatus.PUBLISHED,
        "card-arrival": ArticleStatus.PUBLISHED,
        "draft-points": ArticleStatus.DRAFT,
    }


def test_reimport_is_idempotent_and_an_edit_makes_a_version(app, db, tmp_path):
    run(app, "import-articles", str(ARTICLES))
    assert "0 created, 0 updated, 3 unchanged." in run(app, "import-articles", str(ARTICLES)).output

    changed = tmp_path / "changed.jsonl"
    line = {
        "external_id": "card-arrival",
        "title": "When does my card arrive?",
        "body": "Within 7 days.",
        "status": "published",
    }
    changed.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = run(app, "import-articles", str(changed))

    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated" in result.output
    article = db.session.scalar(sa.select(Article).where(Article.external_id == "card-arrival"))
    assert article.version == 2 and article.live_version.title == "When does my card arrive?"


def test_search_json_single_and_batch(app, db, tmp_path):
    run(app, "import-articles", str(ARTICLES))

    single = run(app, "search", "忘記密碼", "--json")
    assert single.exit_code == 0, single.output
    answer = json.loads(single.output)
    assert answer["results"][0]["external_id"] == "reset-password"
    assert set(answer["results"][0]) == {"id", "external_id", "title", "snippet", "score"}

    queries = tmp_path / "queries.txt"
    queries.write_text("card arrive\n会员积分\n\ncarrd\n", encoding="utf-8")
    batch = run(app, "search", "--queries", str(queries), "--json")
    lines = [json.loads(line) for line in batch.output.splitlines()]
    assert [line["query"] for line in lines] == ["card arrive", "会员积分", "carrd"]
    assert lines[0]["results"][0]["external_id"] == "card-arrival"
    assert lines[1]["results"] == []  # the draft is not searchable
    assert lines[2]["did_you_mean"] == "card"


def test_search_needs_a_query(app, db):
    result = run(app, "search")
    assert result.exit_code == 2
    assert "Give either a QUERY or --queries FILE" in result.output


def test_reindex_rebuilds_from_the_database(app, db):
    run(app, "import-articles", str(ARTICLES))
    result = run(app, "reindex")
    assert result.exit_code == 0, result.output
    assert "Indexed 2 published article(s)." in result.output
    assert json.loads(run(app, "search", "card", "--json").output)["results"][0]["external_id"] == "card-arrival"


def test_a_too_long_alternative_question_is_named(app, db, tmp_path):
    lines = tmp_path / "long.jsonl"
    item = {"title": "Card", "body": "Body", "alt_questions": ["fine", "x" * 301]}
    lines.write_text(json.dumps(item) + "\n", encoding="utf-8")
    result = run(app, "import-articles", str(lines))
    assert result.exit_code == 1
    assert "line 1, alt_questions: item 2: Use 1 to 300 characters." in result.output
