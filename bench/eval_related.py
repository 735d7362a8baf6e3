"""Related articles: how on-topic the articles shown under an article are, before (a search with the article's
title and questions, the help center's way until December 2026) and now (kb.related: meaning and category).

Two knowledge bases, each imported and indexed through the real stack with both embedding models:
- the demo articles (demo/articles.py, 29 topics in Chinese and English, 55 published), judged against the
  hand-labelled topic relations of bench/data/related_dev.json (e.g. a refund article's related articles may be
  about returns or double charges, not about a hacked account);
- the Chinese FAQ dev set (bench/data/zh_faq_dev.json, 60 articles with close neighbours), judged by category.

Printed per method: articles shown per article, the share of shown articles on topic (labelled list, demo only),
sharing the article's category and its subcategory, and how many articles show none.

    .venv/bin/python bench/eval_related.py [--grid]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LABELS = ROOT / "bench" / "data" / "related_dev.json"
ZH_FAQ = ROOT / "bench" / "data" / "zh_faq_dev.json"


def zh_faq_articles() -> list[dict]:
    from bench.eval_search_zh import as_articles, load

    return as_articles(load(ZH_FAQ))


def before(article, version, limit):
    """The help center's related articles until December 2026."""
    from kb.search import search_service

    query = " ".join([version.title, *(version.alt_questions or [])])
    return search_service().search(query, limit=limit, exclude={article.id}).results


def measure(name: str, method, articles, topic_of, related_topics) -> dict:
    shown = on_topic = same_category = same_subcategory = empty = 0
    examples = []
    for article in articles:
        version = article.live_version
        hits = method(article, version, 5)
        if not hits:
            empty += 1
        for hit in hits:
            shown += 1
            same_category += hit.category == version.category
            same_subcategory += bool(version.subcategory) and hit.subcategory == version.subcategory
            if related_topics is not None:
                good = topic_of[hit.article_id] in related_topics.get(topic_of[article.id], ())
                on_topic += good
                if not good and len(examples) < 4:
                    examples.append(f"{version.title} → {hit.title}")
    row = {
        "method": name,
        "per_article": round(shown / len(articles), 2),
        "on_topic": round(100 * on_topic / shown, 1) if shown and related_topics is not None else None,
        "same_category": round(100 * same_category / shown, 1) if shown else None,
        "same_subcategory": round(100 * same_subcategory / shown, 1) if shown else None,
        "none_shown": empty,
        "off_topic_examples": examples,
    }
    return row


#: (RELATED_MIN_MEANING, RELATED_SAME_CATEGORY_MIN) tried with --grid.
GRID = [(0.3, 0.0), (0.3, 0.05), (0.4, 0.0), (0.4, 0.05), (0.4, 0.1), (0.5, 0.0), (0.5, 0.05), (0.5, 0.1), (0.6, 0.1)]


def run(articles_data: list[dict], label: str, related_topics: dict | None, grid: bool = False) -> list[dict]:
    from flask_migrate import upgrade

    from kb.importing import import_articles
    from kb.models import Article
    from kb.related import related_articles
    from kb.search import search_service
    from records.db import db
    from web import create_app

    # The vector cache lives in the instance's database: a kept instance encodes each text once across runs.
    kept = ROOT / "bench" / "out" / f"related-{label.split()[0].lower()}"
    kept.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            {"TESTING": True, "INSTANCE_PATH": str(kept), "DATA_DIR": data_dir, "EMBEDDINGS_ENABLED": True}
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            report = import_articles(enumerate(articles_data, start=1))
            assert report.ok, report.rejected
            search_service().ensure_current()
            print(f"\n{label}: {len(articles_data)} articles indexed in {time.perf_counter() - started:.1f} s")
            articles = [a for a in db.session.scalars(db.select(Article).order_by(Article.id)) if a.is_public]
            topic_of = {a.id: a.external_id.removeprefix("demo-").rsplit("-", 1)[0] for a in articles}
            rows = []
            for name, method in (("before: title search", before), ("now: meaning + category", related_articles)):
                started = time.perf_counter()
                row = measure(name, method, articles, topic_of, related_topics)
                row["ms_per_article"] = round(1000 * (time.perf_counter() - started) / len(articles), 1)
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False))
            for floor, same_floor in GRID if grid else ():
                app.config.update(RELATED_MIN_MEANING=floor, RELATED_SAME_CATEGORY_MIN=same_floor)
                row = measure(f"grid {floor} / {same_floor}", related_articles, articles, topic_of, related_topics)
                row.pop("off_topic_examples")
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False))
            return rows


def main() -> None:
    import argparse

    from demo.articles import demo_articles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="Also try other meaning floors.")
    grid = parser.parse_args().grid

    labels = json.loads(LABELS.read_text(encoding="utf-8"))["related"]
    results = {
        "demo": run(demo_articles(), "Demo articles (zh + en), hand-labelled topic relations", labels, grid),
        "zh_faq_dev": run(zh_faq_articles(), "Chinese FAQ dev set, by category", None, grid),
    }
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "eval_related.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n| set | method | shown per article | on topic % | same category % | same subcategory % | none shown |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in results.items():
        for row in rows:
            on_topic = "—" if row["on_topic"] is None else row["on_topic"]
            print(
                f"| {name} | {row['method']} | {row['per_article']} | {on_topic} "
                f"| {row['same_category']} | {row['same_subcategory']} | {row['none_shown']} |"
            )


if __name__ == "__main__":
    main()
