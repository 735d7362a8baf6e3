"""When is a group of Chinese questions already answered by an article? Tunes kb.proposal_engine's
CHINESE_COVER_MARGIN (and CHINESE_COVER_FLOOR) on bench/data/zh_faq_dev.json, a knowledge base with close neighbours.

Each article's dev queries (3-6 colloquial, traditional, misspelt, mixed and long ways of asking) form one group, as
a refresh would find them among resolved records.
- covered, right: the group's own article is in the knowledge base and the best match, and covers it;
- new, right: the group's own article is removed (a topic the knowledge base lacks) and no other article covers it
  (otherwise the group would wrongly become an "update" of a neighbour);
- the unanswerable questions, as groups of one, must not be covered either.
Printed for the cosine alone (an article's question at least a threshold similar to the group's centre, the rule
before 2026-12-07) and for the shipped rule: at least the group's cohesion (its members' mean cosine to its centre)
plus a margin, and at least the floor; or at least the cap; articles whose questions state only the other side of a
condition most of the group states (text.conditions: before / after shipping) are passed over.

    .venv/bin/python bench/eval_coverage_zh.py [--data bench/data/zh_faq_dev2.json]
"""

from __future__ import annotations

import argparse
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
MARGINS = [-0.03, -0.025, -0.022, -0.02, -0.018, -0.016, -0.014, -0.012, -0.01]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    data = json.loads(parser.parse_args().data.read_text(encoding="utf-8"))
    from kb.clustering import normalised
    from kb.proposal_engine import CHINESE_COVER_CAP, CHINESE_COVER_FLOOR, CHINESE_COVER_MARGIN
    from text.conditions import agreement, stated_by_any, stated_by_most
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
            members = {article: model.encode(texts) for article, texts in by_article.items()}
            centres = {
                article: normalised(vectors.mean(axis=0, keepdims=True))[0] for article, vectors in members.items()
            }
            cohesion = {article: float((members[article] @ centre).mean()) for article, centre in centres.items()}
            lonely = model.encode([item["q"] for item in data["no_match"]])
            # Articles whose questions state only the other side of a condition most of a group states.
            sides_of = {a["id"]: stated_by_any([a["title"], *a["alt_questions"]]) for a in data["articles"]}
            against = {
                article: np.array([agreement(stated_by_most(texts), sides_of[owner]) < 0 for owner in owners])
                for article, texts in by_article.items()
            }

    print(f"{len(centres)} groups of {min(map(len, by_article.values()))}-{max(map(len, by_article.values()))} "
          f"questions, {len(questions)} article questions, {len(lonely)} unanswerable questions")  # fmt: skip

    def row(name: str, threshold_of, conditions: bool = False) -> str:
        """One table row; threshold_of(article or None) is the cosine a group needs (None: a lone question);
        `conditions`: articles stating the other side of a condition the group states do not count."""
        right = new = 0
        for article, centre in centres.items():
            similarity = matrix @ centre
            if conditions:
                similarity = np.where(against[article], -np.inf, similarity)
            best = int(np.argmax(similarity))
            right += similarity[best] >= threshold_of(article) and owners[best] == article
            new += similarity[owners != article].max() < threshold_of(article)
        apart = sum((matrix @ vector).max() < threshold_of(None) for vector in lonely)
        count = len(centres)
        return (f"| {name} | {100 * right / count:.1f} % | {100 * new / count:.1f} % | "
                f"{100 * apart / len(lonely):.1f} % |")  # fmt: skip

    header = "| covered by its own article | new when its article is missing | unanswerable not covered |"
    print(f"| cosine at least {header}\n|---|---|---|---|")
    for threshold in THRESHOLDS:
        print(row(str(threshold), lambda _, threshold=threshold: threshold))
    floor, cap = CHINESE_COVER_FLOOR, CHINESE_COVER_CAP
    print(f"\n| cohesion + margin, floor {floor}, cap {cap}; conditions {header}\n|---|---|---|---|")
    for margin in MARGINS:
        name = f"{margin}" + (" (shipped)" if margin == CHINESE_COVER_MARGIN else "")
        print(
            row(name, lambda article, m=margin: min(cap, max(floor, cohesion.get(article, 1.0) + m)), conditions=True)
        )
    print(
        row("shipped without conditions", lambda a: min(cap, max(floor, cohesion.get(a, 1.0) + CHINESE_COVER_MARGIN)))
    )


if __name__ == "__main__":
    main()
