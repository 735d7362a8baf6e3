"""Search speed over a large knowledge base, as ratios to the model's own speed on this machine.

* latency: median hybrid search time over --articles articles ÷ median time to encode one query (target ≤ 2);
* indexing: texts per second of a full `SearchService.rebuild` (Whoosh + vectors + cache) ÷ texts per second of a
  bare `SentenceTransformer.encode` of the same texts (target ≥ 0.9).

Articles come from BANKING77's train questions (title, two more questions of the same intent as alternative
questions, the intent as body); queries from its test split.

    .venv/bin/python bench/bench_search.py [--articles 10000] [--queries 300]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from kb.importing import import_articles
    from kb.search import reindex_work, search_service
    from records.db import db
    from text.embeddings import get_embedder
    from web import create_app

    train = read_split(args.data / "train.csv")
    queries = [text for text, _ in read_split(args.data / "test.csv")][: args.queries]
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": False})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            report = import_articles(enumerate(make_articles(train, args.articles), start=1))
            assert report.ok, report.rejected[:3]
            print(f"imported {report.created} articles in {time.perf_counter() - started:.1f} s (BM25 index kept up)")

            app.config["EMBEDDINGS_ENABLED"] = True
            embedder = get_embedder()
            service = search_service()
            texts = reindex_work()
            from kb.search import _load_articles, public_versions, version_texts

            all_texts = [
                text
                for article in _load_articles(db.session, list(public_versions(db.session)))
                for text in version_texts(article.live_version)
            ]
            assert len(all_texts) == texts
            embedder.model.encode(all_texts[:64], batch_size=64)  # warm-up: load and first-call costs out of both

            started = time.perf_counter()
            embedder.model.encode(all_texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            raw_seconds = time.perf_counter() - started
            started = time.perf_counter()
            count = service.rebuild()
            rebuild_seconds = time.perf_counter() - started
            print(
                f"{count} articles, {texts} texts: raw encode {raw_seconds:.1f} s ({texts / raw_seconds:.0f}/s), "
                f"full rebuild {rebuild_seconds:.1f} s ({texts / rebuild_seconds:.0f}/s)"
            )
            print(f"indexing rate ÷ raw encode rate: {raw_seconds / rebuild_seconds:.3f}  (target ≥ 0.9)")

            for query in queries[:20]:  # warm-up
                service.search(query)
            encode_times, search_times = [], []
            for query in queries:
                started = time.perf_counter()
                embedder.model.encode([query], normalize_embeddings=True, show_progress_bar=False)
                encode_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                service.search(query)
                search_times.append(time.perf_counter() - started)
            encode_median = statistics.median(encode_times)
            search_median = statistics.median(search_times)
            print(
                f"median over {len(queries)} queries: encode one query {encode_median * 1000:.1f} ms, "
                f"hybrid search {search_median * 1000:.1f} ms"
            )
            print(f"search latency ÷ one-query encode time: {search_median / encode_median:.2f}  (target ≤ 2)")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
