"""Knowledge-gap grouping on the Chinese FAQ dev queries: do searches asking the same thing become one gap?

The 240 queries of bench/data/zh_faq_dev.json (4 per question, written the way customers type: colloquial,
traditional, misspelt, mixed, short, long) are logged as zero-result help-center searches, with the 60 questions no
article answers as noise, and `consultkb kb gaps refresh` runs on them with the real models (no articles: nothing
is suggested). Printed: gaps made, NMI and ARI of the gaps against the questions (queries left out of every gap count
as one group each), the share of queries that landed in a gap, and the refresh time. A second refresh with the same
signals must keep every gap's id.

    .venv/bin/python bench/eval_gaps.py [--grid]   (--grid: other density resolutions, grouping only)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data" / "zh_faq_dev.json"


#: Constant Potts resolutions tried with --grid.
RESOLUTIONS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def measure(label, queries, noise, refresh_gaps) -> None:
    """Group without writing: the groups of one refresh against the questions."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from kb.gaps.refresh import group_signals
    from kb.gaps.signals import collect_signals
    from records.db import read_session
    from records.timeutil import utcnow

    with read_session() as reader:
        signals = collect_signals(reader, utcnow() - timedelta(days=28), utcnow())
    groups, _ = group_signals(signals)
    group_of = {}
    for number, group in enumerate(groups):
        if len(group.rows) >= 2:
            group_of.update((signals[row].text, number) for row in group.rows)
    truth = [article for _, article in queries]
    found = [group_of.get(text, f"alone-{i}") for i, (text, _) in enumerate(queries)]
    print(
        f"{label}: {len(set(group_of.values()))} gaps, "
        f"NMI {100 * normalized_mutual_info_score(truth, found):.1f} "
        f"ARI {100 * adjusted_rand_score(truth, found):.1f}, queries in a gap "
        f"{100 * sum(text in group_of for text, _ in queries) / len(queries):.1f} %, noise in a gap "
        f"{sum(text in group_of for text, _ in noise)}"
    )


def main() -> None:
    from flask_migrate import upgrade
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from kb.gaps.models import KnowledgeGap
    from kb.gaps.refresh import refresh_gaps
    from kb.models import SearchEvent, SearchSession
    from records.db import db
    from records.timeutil import utcnow
    from web import create_app

    data = json.loads(DATA.read_text(encoding="utf-8"))
    queries = [(item["q"], item["article"]) for item in data["queries"]]
    noise = [(item["q"], None) for item in data["no_match"]]
    kept = ROOT / "bench" / "out" / "gaps-instance"  # keeps the vector cache between runs
    kept.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            {"TESTING": True, "INSTANCE_PATH": str(kept), "DATA_DIR": data_dir, "EMBEDDINGS_ENABLED": True}
        )
        with app.app_context():
            upgrade()
            for table in (KnowledgeGap, SearchEvent, SearchSession):
                db.session.execute(db.delete(table))
            now = utcnow()
            for position, (text, _) in enumerate(queries + noise):
                at = now - timedelta(days=1 + position % 20, minutes=position)
                visit = SearchSession(
                    id=uuid.uuid4().hex, started_at=at, last_seen_at=at, searches=1, zero_result_searches=1, clicks=0
                )
                db.session.add(visit)
                db.session.add(SearchEvent(session_id=visit.id, at=at, kind="search", query=text, result_count=0))
            db.session.commit()
            for resolution in RESOLUTIONS if "--grid" in sys.argv else ():
                app.config["GAP_DENSITY_RESOLUTION"] = resolution
                measure(f"resolution {resolution}", queries, noise, refresh_gaps)
                db.session.rollback()
            app.config.pop("GAP_DENSITY_RESOLUTION", None)
            started = time.perf_counter()
            summary = refresh_gaps()
            db.session.commit()
            seconds = time.perf_counter() - started
            gaps = list(db.session.scalars(db.select(KnowledgeGap)))
            gap_of = {example["text"]: gap.id for gap in gaps for example in gap.examples}
            labels_true, labels_gap = [], []
            for position, (text, article) in enumerate(queries):
                labels_true.append(article)
                labels_gap.append(gap_of.get(text, f"alone-{position}"))
            in_gap = sum(1 for text, _ in queries if text in gap_of)
            noise_in_gap = sum(1 for text, _ in noise if text in gap_of)
            ids = sorted(gap.id for gap in gaps)
            again = refresh_gaps()
            db.session.commit()
            kept_ids = sorted(gap.id for gap in db.session.scalars(db.select(KnowledgeGap)))
            print(json.dumps(summary.as_dict()))
            print("| set | gaps | NMI | ARI | queries in a gap | noise in a gap | refresh s | ids kept on refresh |")
            print("|---|---|---|---|---|---|---|---|")
            print(
                f"| zh_faq_dev: 240 queries of 60 questions + 60 unanswerable | {len(gaps)} "
                f"| {100 * normalized_mutual_info_score(labels_true, labels_gap):.1f} "
                f"| {100 * adjusted_rand_score(labels_true, labels_gap):.1f} | {100 * in_gap / len(queries):.1f} % "
                f"| {noise_in_gap} of {len(noise)} | {seconds:.1f} | {ids == kept_ids and again.new == 0} |"
            )


if __name__ == "__main__":
    main()
