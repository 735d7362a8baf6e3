"""Chinese typo correction (text.spelling.HomophoneCorrector): misspelt queries put right, and correct text left
exactly as typed, on hand-written queries and on real customers' questions.

- The two Chinese FAQ dev sets (bench/data/zh_faq_dev.json, zh_faq_dev2.json), each against its own articles'
  vocabulary as the search index holds it: how many of the queries written misspelt are corrected, and every other
  query (colloquial, traditional, long, unanswerable) the corrector changes, listed.
- Real bank and payment customers' questions (BQ and ATEC+CCKS dev splits, ../shared/data/zh_dev), against both dev
  sets' articles: every question changed is listed with its correction, to be read (most real questions are typed
  right, and a correction a customer sees as "did you mean" must be right).

    .venv/bin/python bench/eval_spelling_zh.py [--real 3000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEV_SETS = [ROOT / "bench" / "data" / "zh_faq_dev.json", ROOT / "bench" / "data" / "zh_faq_dev2.json"]
REAL_DATA = ROOT.parent / "shared" / "data" / "zh_dev"


def real_questions(count: int) -> list[str]:
    """`count` distinct questions drawn (fixed seed) from the BQ and ATEC+CCKS dev pairs."""
    questions: set[str] = set()
    with open(REAL_DATA / "bq_dev.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            questions.update((row["sentence1"], row["sentence2"]))
    with open(REAL_DATA / "atec_ccks_dev.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            questions.update((row["text_1"], row["text_2"]))
    ordered = sorted(question.strip() for question in questions if question.strip())
    random.Random(1).shuffle(ordered)
    return ordered[:count]


def corrector_over(articles: list[dict]):
    """The corrector the search service builds over these articles' index."""
    from flask_migrate import upgrade

    from kb.importing import import_articles
    from kb.search import search_service
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": False})
        with app.app_context():
            upgrade()
            report = import_articles(enumerate(articles, start=1))
            assert report.ok, report.rejected
            service = search_service()
            service.ensure_current()
            corrector = service.text_index.chinese_corrector()
            from records.db import db

            db.session.remove()
            db.engine.dispose()
            return corrector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=int, default=3000, help="real questions checked (0: none)")
    args = parser.parse_args()
    from bench.eval_search_zh import as_articles, load
    from text.analysis import normalise

    every_article = []
    for path in DEV_SETS:
        data = load(path)
        every_article += as_articles(data)
        corrector = corrector_over(as_articles(data))
        misspelt = [item["q"] for item in data["queries"] if item["kind"] == "typo"]
        others = [item["q"] for item in data["queries"] if item["kind"] != "typo"] + [
            item["q"] for item in data["no_match"]
        ]
        corrected = sum(corrector.correct(query) is not None for query in misspelt)
        changed = [(query, corrector.correct(query)) for query in others]
        changed = [(query, correction) for query, correction in changed if correction is not None]
        print(f"{path.name}: misspelt queries corrected {corrected} of {len(misspelt)}; "
              f"other queries changed {len(changed)} of {len(others)}")  # fmt: skip
        for query, correction in changed:
            print(f"  {query}  →  {correction}")

    if args.real and REAL_DATA.exists():
        corrector = corrector_over(every_article)
        questions = real_questions(args.real)
        # Full-width punctuation is folded for every query; only a changed character counts.
        changed = [(question, corrector.correct(question)) for question in questions]
        changed = [(q, c) for q, c in changed if c is not None and c != normalise(q)]
        print(f"\nReal customer questions (BQ + ATEC dev) changed: {len(changed)} of {len(questions)} "
              f"({100 * len(changed) / len(questions):.1f} %), against both dev sets' articles:")  # fmt: skip
        for question, correction in changed:
            print(f"  {question}  →  {correction}")


if __name__ == "__main__":
    main()
