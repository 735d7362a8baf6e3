"""When is a group of resolved records already answered by an article? Tunes kb.proposal_engine's COVER_SIMILARITY
(English, all-MiniLM-L6-v2) and checks CHINESE_COVER_MARGIN on the demo knowledge base: records written as
agents write them (product names, versions, order numbers), against help-center articles with close neighbours
(refund / double charge / price drop; login / password / locked account), 28 in each language.

The demo records are grouped as a proposal refresh groups them; a group's own article is the one of its majority
category and subcategory in its language. At each threshold:
- recognised: the group's centre reaches the threshold on one of its own article's questions (title, alternative
  questions), so the group becomes an update of that article, never a "new" proposal that duplicates it;
- neighbour: with its own article removed (a topic the knowledge base lacks), another article reaches the threshold,
  so the group would become an update of a neighbour, which a trainer has to reject.
Chinese groups are also shown by the shipped rule: an article covers a group when one of its questions is at least
the group's cohesion (its members' mean cosine to its centre) plus CHINESE_COVER_MARGIN, and CHINESE_COVER_FLOOR;
or CHINESE_COVER_CAP; articles stating only the other side of a condition the group states (text.conditions) are
passed over. Last, how many groups the shipped rule covers, and how many of them by their own article (of those that
reach the threshold, the one most of the group's members are nearest to).

    .venv/bin/python bench/eval_coverage_demo.py
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
THRESHOLDS = {
    "english": [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85],
    "chinese": [0.88, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95],
}
MARGINS = [-0.03, -0.025, -0.022, -0.02, -0.018, -0.016, -0.014]


def main() -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from demo.articles import seed_demo_articles
    from demo.seed import seed_demo
    from kb import proposal_engine as engine
    from kb.models import Article
    from records.db import db, read_session
    from text.conditions import agreement, stated_by_any, stated_by_most
    from text.embeddings import cached_vectors
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": True})
        with app.app_context():
            upgrade()
            seed_demo(count=2400)
            seed_demo_articles()
            evidence = engine.load_evidence()
            spaces, _ = engine.build_spaces(evidence)
            minimum = engine.PROPOSAL_MIN_RECORDS
            groups = engine.find_groups(spaces, minimum, [engine.category_key(item) for item in evidence])
            groups = [group for group in groups if sum(1 for row in group.rows if evidence[row].asked) >= minimum]
            with read_session() as reader:
                questions = engine.article_questions(reader)
                topic_of = {
                    article.id: (
                        article.live_version.category,
                        article.live_version.subcategory,
                        article.live_version.language.value,
                    )
                    for article in reader.scalars(sa.select(Article))
                    if article.live_version is not None
                }
            readers = spaces.readers
            print(f"{len(evidence)} resolved records, {len(groups)} groups, {len(topic_of)} articles")
            for space, thresholds in THRESHOLDS.items():
                language = "en" if space == "english" else "zh"
                texts = [text for _, text in questions if readers.space_of(text) == space]
                owners = np.array([article for article, text in questions if readers.space_of(text) == space])
                matrix = cached_vectors(readers.embedder(space), texts)
                own, other, cohesion = [], [], []
                # With the conditions of text.conditions (Chinese): articles whose questions state only the other
                # side of a condition most of the group states are passed over.
                own_sided, other_sided = [], []
                by_article = defaultdict(list)
                for article, text in questions:
                    by_article[article].append(text)
                sides_of = {article: stated_by_any(found) for article, found in by_article.items()}
                for group in groups:
                    if group.space != space:
                        continue
                    topic = Counter((evidence[row].category, evidence[row].subcategory) for row in group.rows)
                    category, subcategory = topic.most_common(1)[0][0]
                    truth = [a for a, key in topic_of.items() if key == (category, subcategory, language)]
                    if not truth:
                        continue
                    best: dict[int, float] = {}
                    for owner, similarity in zip(owners.tolist(), (matrix @ group.centre).tolist(), strict=True):
                        best[owner] = max(best.get(owner, -1.0), similarity)
                    own.append(best.get(truth[0], -1.0))
                    other.append(max(value for owner, value in best.items() if owner != truth[0]))
                    cohesion.append(group.cohesion)
                    sides = stated_by_most([evidence[row].question for row in group.rows])
                    kept = {owner: value for owner, value in best.items() if agreement(sides, sides_of[owner]) >= 0}
                    own_sided.append(kept.get(truth[0], -1.0))
                    other_sided.append(max((value for owner, value in kept.items() if owner != truth[0]), default=-1.0))
                own_array, other_array, cohesion_array = np.array(own), np.array(other), np.array(cohesion)
                shipped = engine.COVER_SIMILARITY if space == "english" else "none: by cohesion"
                print(f"\n{space}: {len(own)} groups whose topic has an article (shipped threshold {shipped})")
                for threshold in thresholds:
                    recognised = 100 * (own_array >= threshold).mean()
                    neighbour = 100 * (other_array >= threshold).mean()
                    line = f"  {threshold:<5} recognised {recognised:5.1f} %"
                    print(f"{line}   neighbour with its own removed {neighbour:5.1f} %")
                if space == "chinese":
                    print(
                        f"  by cohesion + margin, floor {engine.CHINESE_COVER_FLOOR}, cap {engine.CHINESE_COVER_CAP}, "
                        "with conditions:"
                    )
                    own_array, other_array = np.array(own_sided), np.array(other_sided)
                    for margin in MARGINS:
                        needed = np.minimum(
                            engine.CHINESE_COVER_CAP, np.maximum(engine.CHINESE_COVER_FLOOR, cohesion_array + margin)
                        )
                        shipped_mark = " (shipped)" if margin == engine.CHINESE_COVER_MARGIN else ""
                        recognised = 100 * (own_array >= needed).mean()
                        neighbour = 100 * (other_array >= needed).mean()
                        print(f"  {margin:<6} recognised {recognised:5.1f} %   neighbour with "
                              f"its own removed {neighbour:5.1f} %{shipped_mark}")  # fmt: skip
            # The shipped choice among the articles that reach the threshold (kb.proposal_engine.mark_coverage: the one
            # most members are nearest to): is it the group's own?
            engine.mark_coverage(groups, evidence, spaces, {}, questions)
            for space in THRESHOLDS:
                language = "en" if space == "english" else "zh"
                chosen = right = 0
                for group in groups:
                    if group.space != space or group.covered_by is None:
                        continue
                    topic = Counter((evidence[row].category, evidence[row].subcategory) for row in group.rows)
                    category, subcategory = topic.most_common(1)[0][0]
                    chosen += 1
                    right += topic_of.get(group.covered_by) == (category, subcategory, language)
                print(f"{space}: {chosen} groups covered as shipped, {right} by their own article")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
