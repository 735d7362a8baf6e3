"""Search quality on BANKING77: hit@1 and MRR of BM25, dense, plain RRF and our hybrid fusion.

One article per intent, built from the train split: the most central train question (closest to the intent's mean
vector) is the title, the next ALT_QUESTIONS most central ones the alternative questions, the intent name the body.
The train questions not used in articles tune the BM25 weight (dev); the test split's 3,080 questions are the
queries reported. Everything runs through the real stack: import, index, kb.search.

    .venv/bin/python bench/eval_search.py [--data ../shared/data/banking77] [--alt-questions 5]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "banking77"
WEIGHTS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0]
RRF_K = 60


def read_split(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return [(row["text"].strip(), row["category"]) for row in csv.DictReader(handle)]


def build_articles(train, embedder, alt_questions: int):
    by_intent = defaultdict(list)
    for text, intent in train:
        by_intent[intent].append(text)
    vectors = embedder.encode([text for text, _ in train])
    index_of = {}
    for position, (text, intent) in enumerate(train):
        index_of.setdefault((intent, text), position)
    articles, used = [], set()
    for intent in sorted(by_intent):
        texts = list(dict.fromkeys(by_intent[intent]))
        block = vectors[[index_of[(intent, text)] for text in texts]]
        centre = block.mean(axis=0)
        order = np.argsort(-(block @ centre))
        chosen = [texts[i] for i in order[: 1 + alt_questions]]
        used.update((intent, text) for text in chosen)
        articles.append(
            {
                "external_id": intent,
                "title": chosen[0],
                "alt_questions": chosen[1:],
                "body": intent.replace("_", " ").capitalize() + ".",
                "language": "en",
                "status": "published",
            }
        )
    dev = [(text, intent) for text, intent in train if (intent, text) not in used]
    return articles, dev


def rank_all(service, queries, category_of):
    """Per query: the BM25 scores and dense scores of every candidate, by external id."""
    from kb.index import query_terms
    from text.embeddings import get_embedder

    # Queries encoded in batches, as a benchmark may; kb.search encodes one query per search.
    vectors = get_embedder().encode([text for text, _ in queries])
    ranked = []
    for (text, intent), vector in zip(queries, vectors, strict=True):
        text_hits, dense, *_ = service.candidates(
            text, terms=query_terms(text), category=None, language=None, limit=50, query_vector=vector
        )
        bm25 = {category_of[a]: score for a, (_, score) in text_hits.items()}
        dense_by_intent = {category_of[a]: s for a, s in (dense or {}).items()}
        ranked.append((intent, bm25, dense_by_intent))
    return ranked


def metrics(rankings) -> tuple[float, float]:
    hits, reciprocal = 0, 0.0
    for expected, order in rankings:
        if order and order[0] == expected:
            hits += 1
        if expected in order:
            reciprocal += 1.0 / (order.index(expected) + 1)
    return 100.0 * hits / len(rankings), 100.0 * reciprocal / len(rankings)


def orders(ranked, method: str, weight: float = 0.0):
    from kb.search import DENSE_MIN_SIMILARITY, Fusion, fuse

    result = []
    for expected, bm25, dense in ranked:
        if method == "bm25":
            order = [k for k, _ in sorted(bm25.items(), key=lambda kv: -kv[1])]
        elif method == "dense":
            order = [k for k, _ in sorted(dense.items(), key=lambda kv: -kv[1])]
        elif method == "rrf":
            scores = defaultdict(float)
            for ranking in (sorted(bm25, key=lambda k: -bm25[k]), sorted(dense, key=lambda k: -dense[k])[:50]):
                for position, key in enumerate(ranking):
                    scores[key] += 1.0 / (RRF_K + position + 1)
            order = [k for k, _ in sorted(scores.items(), key=lambda kv: -kv[1])]
        else:
            keys = sorted(set(bm25) | set(dense))
            number = {k: i for i, k in enumerate(keys)}
            fusion = Fusion(weight, DENSE_MIN_SIMILARITY)
            fused = fuse({number[k]: v for k, v in bm25.items()}, {number[k]: v for k, v in dense.items()}, fusion)
            order = [keys[i] for _, i in fused]
        result.append((expected, order))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--alt-questions", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from kb.importing import import_articles
    from kb.models import Article
    from kb.search import BM25_WEIGHT, search_service
    from records.db import db
    from text.embeddings import get_embedder
    from web import create_app

    train = read_split(args.data / "train.csv")
    test = read_split(args.data / "test.csv")
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": True})
        with app.app_context():
            upgrade()
            embedder = get_embedder()
            started = time.perf_counter()
            articles, dev = build_articles(train, embedder, args.alt_questions)
            report = import_articles(enumerate(articles, start=1))
            assert report.ok, report.rejected
            service = search_service()
            service.ensure_current()
            print(f"{len(articles)} articles indexed in {time.perf_counter() - started:.1f} s; "
                  f"{len(dev)} dev queries (unused train), {len(test)} test queries")  # fmt: skip
            category_of = {a.id: a.external_id for a in db.session.scalars(db.select(Article))}

            started = time.perf_counter()
            dev_ranked = rank_all(service, dev, category_of)
            print(f"scored {len(dev)} dev queries in {time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            test_ranked = rank_all(service, test, category_of)
            print(f"scored {len(test)} test queries in {time.perf_counter() - started:.1f} s", flush=True)

            print("\nDev (tuning) hit@1 by BM25 weight:")
            best_weight, best_hit = 0.0, -1.0
            for weight in WEIGHTS:
                hit, mrr = metrics(orders(dev_ranked, "hybrid", weight))
                print(f"  weight {weight:<5} hit@1 {hit:6.2f} %  MRR {mrr:6.2f}")
                if hit > best_hit:
                    best_weight, best_hit = weight, hit
            print(f"  best dev weight: {best_weight} (kb.search.BM25_WEIGHT is {BM25_WEIGHT})")

            print("\nTest split (3,080 queries):")
            rows = [
                ("BM25 only", orders(test_ranked, "bm25")),
                ("dense only", orders(test_ranked, "dense")),
                (f"plain RRF (k={RRF_K})", orders(test_ranked, "rrf")),
                (f"hybrid, shipped weight {BM25_WEIGHT}", orders(test_ranked, "hybrid", BM25_WEIGHT)),
                (f"hybrid, dev-best weight {best_weight}", orders(test_ranked, "hybrid", best_weight)),
            ]
            results = {}
            for name, ranking in rows:
                hit, mrr = metrics(ranking)
                results[name] = hit
                print(f"  {name:<32} hit@1 {hit:6.2f} %  MRR {mrr:6.2f}")
            better_single = max(results["BM25 only"], results["dense only"])
            shipped = results[f"hybrid, shipped weight {BM25_WEIGHT}"]
            print(f"\n  shipped hybrid ÷ better single ranker: {shipped / better_single:.4f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
