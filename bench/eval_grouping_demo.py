"""How the demo's English resolved records group by question alone and by question beside resolution
(kb.proposal_engine.RESOLUTION_WEIGHT: the resolution's vector less the mean of all added to the
question's), against the topic each record was written from.

English demo notes name a product in nearly every sentence ("the smart lock was exchanged…", "received the smart
lock, doesn't suit them…"), and all-MiniLM-L6-v2 reads the product more than the question. Printed per resolution
weight: NMI / ARI of record → group against the record's topic (records in groups under five count as singletons)
and the number of groups of at least five, without and with the category weight. The demo files every record under
its topic's subcategory, so the rows with categories are optimistic (real agents misfile); the rows without them
measure what the texts alone do. The demo's resolutions come from one phrase table per topic, so they tell topics
apart more cleanly than real ones: take the gain as an upper bound.

    .venv/bin/python bench/eval_grouping_demo.py [--records 2400]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESOLUTION_WEIGHTS = [0.0, 0.3, 0.5, 0.7, 1.0]
CATEGORY_WEIGHTS = [0.0, 0.5]


def scores(truth: list[str], labels: np.ndarray, minimum: int) -> tuple[float, float, int]:
    """NMI and ARI (%) against the truth, records in groups under `minimum` as singletons; groups of `minimum`+."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    sizes = Counter(labels.tolist())
    kept = [int(label) if sizes[label] >= minimum else -1 - row for row, label in enumerate(labels.tolist())]
    groups = sum(1 for size in sizes.values() if size >= minimum)
    return 100 * normalized_mutual_info_score(truth, kept), 100 * adjusted_rand_score(truth, kept), groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2400)
    args = parser.parse_args()

    from bench.demo_app import seeded_demo
    from kb import clustering
    from kb import proposal_engine as engine
    from text.embeddings import ENGLISH, cached_vectors, get_readers

    with seeded_demo(args.records, embeddings=True):
        evidence = [item for item in engine.load_evidence() if item.language.value == "en"]
        embedder = get_readers().embedder(ENGLISH)
        questions = cached_vectors(embedder, [item.question for item in evidence])
        resolutions = cached_vectors(embedder, [item.resolution for item in evidence])
        truth = [f"{item.category}/{item.subcategory}" for item in evidence]
        categories = [engine.category_key(item) for item in evidence]
        minimum = engine.PROPOSAL_MIN_RECORDS
        print(f"{len(evidence)} English resolved records, {len(set(truth))} topics; shipped resolution weight "
              f"{engine.RESOLUTION_WEIGHT}, category weight {engine.CATEGORY_WEIGHT}\n")  # fmt: skip
        print("| resolution weight | " + " | ".join(f"category {w}: NMI / ARI / groups" for w in CATEGORY_WEIGHTS))
        print("|---|" + "---|" * len(CATEGORY_WEIGHTS))
        for weight in RESOLUTION_WEIGHTS:
            distinct = resolutions - resolutions.mean(axis=0, keepdims=True)
            basis = clustering.normalised(questions + weight * distinct)
            cells = []
            for category_weight in CATEGORY_WEIGHTS:
                labels = clustering.group(engine.with_categories(basis, categories, category_weight), minimum)
                nmi, ari, groups = scores(truth, np.asarray(labels), minimum)
                cells.append(f"{nmi:.1f} / {ari:.1f} / {groups}")
            print(f"| {weight} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
