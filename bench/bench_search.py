"""Search speed over a large knowledge base, as ratios to the model's own speed on this machine.

* latency: median hybrid search time over --articles articles ÷ median time to encode one query (target ≤ 2);
* indexing: texts per second of a full `SearchService.rebuild` (Whoosh + vectors + cache) ÷ texts per second of a
  bare encode of the same texts by the same model (target ≥ 0.9);
* cold start: the first search of a worker that just started (and warmed up as gunicorn's hook does) ÷ the median
  warm search (target ≤ 2).

English articles come from BANKING77's train questions (title, two more questions of the same intent as alternative
questions, the intent as body); queries from its test split. --zh: Chinese articles from the BQ and ATEC+CCKS dev
groups (multilingual-e5-small; bodies read as passages too), queries the groups' other questions.

    .venv/bin/python bench/bench_search.py [--zh] [--articles 10000] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "banking77"

from bench.eval_search import read_split  # noqa: E402


def make_articles(train: list[tuple[str, str]], count: int) -> list[dict]:
    rng = random.Random(77)
    # Article titles and questions are at most 300 characters; a few BANKING77 questions are longer.
    train = [(text, intent) for text, intent in train if len(text) <= 280]
    by_intent = defaultdict(list)
    for text, intent in train:
        by_intent[intent].append(text)
    articles = []
    while len(articles) < count:
        for position, (text, intent) in enumerate(train):
            if len(articles) >= count:
                break
            others = [other for other in by_intent[intent] if other != text]
            suffix = "" if len(articles) < len(train) else f" ({len(articles) // len(train) + 1})"
            articles.append(
                {
                    "external_id": f"a{len(articles)}",
                    "title": text + suffix,
                    "alt_questions": rng.sample(others, k=min(2, len(others))),
                    "body": f"{intent.replace('_', ' ').capitalize()}. Answer {position}.",
                    "language": "en",
                    "status": "published",
                }
            )
    return articles


def chinese_articles(count: int) -> tuple[list[dict], list[str]]:
    """Articles from the Chinese dev questions (BQ and ATEC+CCKS): each group of questions asking the same thing is
    an article (its first question the title, two more its alternative questions); the remaining questions of a
    group are the queries. Repeated with a numbered suffix up to `count` articles."""
    from bench.eval_proposals import chinese_groups

    groups: dict[str, list[str]] = defaultdict(list)
    for name in ("bq", "atec"):
        for text, label in chinese_groups(name, minimum=4):
            groups[f"{name}-{label}"].append(text)
    articles, queries = [], []
    ordered = sorted(groups.values())
    while len(articles) < count:
        for texts in ordered:
            if len(articles) >= count:
                break
            suffix = "" if len(articles) < len(ordered) else f"（{len(articles) // len(ordered) + 1}）"
            articles.append(
                {
                    "external_id": f"z{len(articles)}",
                    "title": texts[0][:280] + suffix,
                    "alt_questions": [text[:280] for text in texts[1:3]],
                    "body": f"关于“{texts[0][:60]}”的解答：请按页面提示操作，第{len(articles)}条。",
                    "language": "zh",
                    "status": "published",
                }
            )
            if len(articles) <= len(ordered):
                queries.extend(texts[3:])
    return articles, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=0, help="default 10,000 (English), 1,000 (--zh)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--zh", action="store_true", help="Chinese articles and queries (multilingual-e5-small).")
    args = parser.parse_args()

    from flask_migrate import upgrade

    import kb.search as search_module
    import text.embeddings as embeddings
    from kb.importing import import_articles
    from kb.search import _load_articles, public_versions, reindex_work, search_service, version_passage, version_texts
    from records.db import db
    from web import create_app

    if args.zh:
        articles, queries = chinese_articles(args.articles or 1000)
        random.Random(7).shuffle(queries)
        queries = queries[: args.queries]
    else:
        articles = make_articles(read_split(args.data / "train.csv"), args.articles or 10_000)
        queries = [text for text, _ in read_split(args.data / "test.csv")][: args.queries]
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": False})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            report = import_articles(enumerate(articles, start=1))
            assert report.ok, report.rejected[:3]
            print(f"imported {report.created} articles in {time.perf_counter() - started:.1f} s (BM25 index kept up)")

            app.config["EMBEDDINGS_ENABLED"] = True
            readers = embeddings.load_models()
            embedder = readers.chinese if args.zh else readers.english
            service = search_service()
            texts = reindex_work()
            versions = [
                article.live_version for article in _load_articles(db.session, list(public_versions(db.session)))
            ]
            questions = [text for version in versions for text in version_texts(version)]
            passages = [version_passage(version) for version in versions] if embedder.reads_passages else []
            assert len(questions) + len(passages) == texts, (len(questions), len(passages), texts)
            embedder.encode(questions[:64])  # warm-up: first-call costs out of both

            started = time.perf_counter()
            embedder.encode(questions)
            embedder.encode(passages, passage=True)
            raw_seconds = time.perf_counter() - started
            db.session.commit()  # as the CLI does: no transaction of ours holds SQLite's lock, so vectors are stored
            started = time.perf_counter()
            count = service.rebuild()
            rebuild_seconds = time.perf_counter() - started
            print(
                f"{count} articles, {texts} texts: raw encode {raw_seconds:.1f} s ({texts / raw_seconds:.0f}/s), "
                f"full rebuild {rebuild_seconds:.1f} s ({texts / rebuild_seconds:.0f}/s)"
            )
            indexing_ratio = raw_seconds / rebuild_seconds
            print(f"indexing rate ÷ raw encode rate: {indexing_ratio:.3f}  (target ≥ 0.9)")

            # A worker that just started: fresh models and search service, warmed up as gunicorn's hook does.
            embeddings._embedders.clear()
            search_module._query_cache.clear()
            app.extensions.pop("consultkb_search", None)
            warm_seconds = sum(search_module.warm_up().values())
            service = search_service()
            embedder = embeddings.get_readers().chinese if args.zh else embeddings.get_readers().english
            started = time.perf_counter()
            service.search(queries[0])
            first_seconds = time.perf_counter() - started

            for query in queries[1:21]:  # warm-up of the measured path (not of the query cache: cleared below)
                service.search(query)
            search_module._query_cache.clear()
            encode_times, search_times = [], []
            for query in queries[1:]:
                started = time.perf_counter()
                embedder.encode([query])
                encode_times.append(time.perf_counter() - started)
                search_module._query_cache.clear()
                started = time.perf_counter()
                service.search(query)
                search_times.append(time.perf_counter() - started)
            encode_median = statistics.median(encode_times)
            search_median = statistics.median(search_times)
            print(
                f"median over {len(search_times)} queries: encode one query {encode_median * 1000:.1f} ms, "
                f"hybrid search {search_median * 1000:.1f} ms"
            )
            print(f"search latency ÷ one-query encode time: {search_median / encode_median:.2f}  (target ≤ 2)")
            print(f"worker warm-up {warm_seconds:.1f} s; first search {first_seconds * 1000:.1f} ms")
            print(f"first search ÷ warm search: {first_seconds / search_median:.2f}  (target ≤ 2)")
            language = "zh" if args.zh else "en"
            print()
            print("| language | articles | texts | indexing ÷ raw encode | search p50 ms | ÷ encode | first ÷ warm |")
            print("|---|---|---|---|---|---|---|")
            print(
                f"| {language} | {count} | {texts} | {indexing_ratio:.2f} | {search_median * 1000:.1f} | "
                f"{search_median / encode_median:.2f} | {first_seconds / search_median:.2f} |"
            )
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
