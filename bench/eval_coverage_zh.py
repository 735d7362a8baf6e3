"""When is a group of Chinese questions already answered by an article? Tunes kb.proposal_engine's
CHINESE_COVER_SIMILARITY on bench/data/zh_faq_dev.json, a knowledge base with close neighbours.

Each article's dev queries (3-6 colloquial, traditional, misspelt, mixed and long ways of asking) form one group, as
a refresh would find them among resolved records. A group is covered when its centre is at least the threshold
similar to one of an article's questions (title, alternative questions).
- covered, right: the group's own article is in the knowledge base and the best match above the threshold;
- new, right: the group's own article is removed (a topic the knowledge base lacks) and no other article reaches the
  threshold (otherwise the group would wrongly become an "update" of a neighbour);
- the 60 unanswerable questions, as groups of one, must not reach it either.

    .venv/bin/python bench/eval_coverage_zh.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT / "bench" / "data" / "zh_faq_dev.json"
THRESHOLDS = [0.88, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94]


def main() -> None:
    data = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))
    from kb.clustering import normalised
    from text.embeddings import get_readers
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": True})
        with app.app_context():
            model = get_readers().chinese
            questions = [(a["id"], text) for a in data["articles"] for text in [a["title"], *a["alt_questions"]]]
            owners = np.array([owner for owner, _ in questions])
            matrix = model.encode([text for _, text in questions])
            by_article = defaultdict(list)
            for item in data["queries"]:
                by_article[item["article"]].append(item["q"])
            centres = {
                article: normalised(model.encode(texts).mean(axis=0, keepdims=True))[0]
                for article, texts in by_article.items()
            }
            lonely = model.encode([item["q"] for item in data["no_match"]])

    print(f"{len(centres)} groups of {min(map(len, by_article.values()))}-{max(map(len, by_article.values()))} "
          f"questions, {len(questions)} article questions, {len(lonely)} unanswerable questions")  # fmt: skip
    print("| threshold | covered by its own article | new when its article is missing | unanswerable not covered |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        right = new = 0
        for article, centre in centres.items():
            similarity = matrix @ centre
            best = int(np.argmax(similarity))
            right += similarity[best] >= threshold and owners[best] == article
            others = similarity[owners != article]
            new += others.max() < threshold
        apart = sum((matrix @ vector).max() < threshold for vector in lonely)
        count = len(centres)
        print(f"| {threshold} | {100 * right / count:.1f} % | {100 * new / count:.1f} % | "
              f"{100 * apart / len(lonely):.1f} % |")  # fmt: skip


if __name__ == "__main__":
    main()
