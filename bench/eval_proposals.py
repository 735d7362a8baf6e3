"""FAQ proposal quality and speed on BANKING77: NMI / ARI / ACC of record → proposal, without being told K.

A labelled split is imported as resolved records (the label hidden; every record gets the same uninformative
resolution text), `kb.proposal_engine.refresh_proposals` runs with the default model and an empty vector cache, and
each record's proposal is compared with its intent. Records in no proposal count as singletons. Also printed: the
number of proposals and the run's total time ÷ the time the model spent encoding (target ≤ 1.3).

For reference, k-means *given* the true K = 77 on the same vectors reaches NMI 80.0 / ARI 51.8 / ACC 63.8
(issue 4's figure; --kmeans recomputes it here).

--zh runs the same on Chinese: the BQ dev split's groups of at least 5 questions asking the same thing (joined
positive pairs, ../shared/data/zh_dev/bq_dev.csv; --zh-data atec for ATEC+CCKS), each question a Chinese record.

--records N scales up: the split's questions are repeated with a varied greeting and a reference number, so every
text is distinct and encoded (100k: feasibility of the whole pipeline on this machine).

    .venv/bin/python bench/eval_proposals.py [--split test] [--records 0] [--kmeans] [--database URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "banking77"

from bench.eval_search import read_split  # noqa: E402

RESOLUTION = "Answered the customer's question."
GREETINGS = ["", "Hi, ", "Hello, ", "Quick question: ", "Please help. ", "Good morning, ", "Hey there, ", "Urgent: "]
INSERT_CHUNK = 5000


def scaled(rows: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    if count <= 0 or count == len(rows):
        return rows
    out = []
    for index in range(count):
        text, label = rows[index % len(rows)]
        turn = index // len(rows)
        if turn == 0:
            out.append((text, label))
        else:
            greeting = GREETINGS[turn % len(GREETINGS)]
            out.append((f"{greeting}{text} (ref {index})", label))
    return out


def accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Best one-to-one mapping of proposals to intents (Hungarian), as in the clustering literature."""
    from scipy.optimize import linear_sum_assignment

    truth_values, truth_index = np.unique(truth, return_inverse=True)
    predicted_values, predicted_index = np.unique(predicted, return_inverse=True)
    counts = np.zeros((len(predicted_values), len(truth_values)))
    np.add.at(counts, (predicted_index, truth_index), 1)
    rows, columns = linear_sum_assignment(-counts)
    return counts[rows, columns].sum() / len(truth)


def scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return (
        100 * normalized_mutual_info_score(truth, predicted),
        100 * adjusted_rand_score(truth, predicted),
        100 * accuracy(truth, predicted),
    )


ZH_DATA = ROOT.parent / "shared" / "data" / "zh_dev"
ZH_RESOLUTION = "已解答客户的问题。"


def chinese_groups(name: str = "bq", minimum: int = 5) -> list[tuple[str, str]]:
    """(question, group) for the groups of at least `minimum` questions joined by positive pairs."""
    import csv

    if name == "bq":
        path, delimiter, first, second = ZH_DATA / "bq_dev.csv", ",", "sentence1", "sentence2"
    else:
        path, delimiter, first, second = ZH_DATA / "atec_ccks_dev.tsv", "\t", "text_1", "text_2"
    with open(path, encoding="utf-8-sig") as handle:
        pairs = list(csv.DictReader(handle, delimiter=delimiter))
    parent: dict[str, str] = {}

    def find(text: str) -> str:
        while parent.setdefault(text, text) != text:
            parent[text] = parent[parent[text]]
            text = parent[text]
        return text

    for pair in pairs:
        a, b = find(pair[first].strip()), find(pair[second].strip())
        if pair["label"] == "1" and a != b:
            parent[a] = b
    members: dict[str, list[str]] = {}
    for text in list(parent):
        members.setdefault(find(text), []).append(text)
    groups = sorted(sorted(texts) for texts in members.values() if len(texts) >= minimum)
    return [(text, f"g{number}") for number, texts in enumerate(groups) for text in texts]


def import_records(rows: list[tuple[str, str]], *, chinese: bool = False) -> list[int]:
    """Resolved records straight into the tables (the import path's validation is not what is measured here)."""
    import sqlalchemy as sa

    from records.db import db
    from records.enums import Channel, Language, Priority, Role, Status
    from records.models import Customer, Record, User

    agent = User(username="bench-agent", display_name="Bench Agent", role=Role.AGENT, password_hash="-")
    customer = Customer(number="C20261101001", name=None)
    db.session.add_all([agent, customer])
    db.session.flush()
    start = datetime(2026, 8, 1, 9, 0)
    ids = []
    for offset in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[offset : offset + INSERT_CHUNK]
        values = []
        for position, (text, _) in enumerate(chunk, start=offset):
            moment = start + timedelta(minutes=position)
            values.append(
                {
                    "number": f"R{moment:%Y%m%d}{position:07d}",
                    "source": "bench",
                    "external_id": f"b77-{position}",
                    "customer_id": customer.id,
                    "channel": Channel.ONLINE_CHAT,
                    "contacted_at": moment,
                    "agent_id": agent.id,
                    "tags": [],
                    "priority": Priority.MEDIUM,
                    "status": Status.RESOLVED,
                    "problem_description": text,
                    "attachments": [],
                    "collaboration": [],
                    "resolution": ZH_RESOLUTION if chinese else RESOLUTION,
                    "satisfaction": 4,
                    "language": Language.ZH if chinese else Language.EN,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        db.session.execute(sa.insert(Record), values)
    db.session.commit()
    ids = db.session.scalars(sa.select(Record.id).order_by(Record.id)).all()
    return list(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test", choices=["test", "train"])
    parser.add_argument("--records", type=int, default=0, help="Scale to this many records (0: the split as is).")
    parser.add_argument("--kmeans", action="store_true", help="Also k-means given the true K on the same vectors.")
    parser.add_argument("--zh", action="store_true", help="Chinese: the BQ dev groups instead of BANKING77.")
    parser.add_argument("--zh-data", default="bq", choices=["bq", "atec"])
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: a temporary SQLite file).")
    args = parser.parse_args()

    import sqlalchemy as sa
    from flask_migrate import upgrade

    import text.embeddings as embeddings
    from kb.models import ProposalMember, ProposalStatus
    from kb.proposal_engine import refresh_proposals
    from records.db import db
    from web import create_app

    if args.zh:
        rows = chinese_groups(args.zh_data)
        source = f"{args.zh_data} dev groups of ≥ 5 questions"
    else:
        rows = scaled(read_split(args.data / f"{args.split}.csv"), args.records)
        source = f"{args.split} split of BANKING77"
    encode_seconds = 0.0
    original_encode = embeddings.Embedder.encode

    def timed_encode(self, texts, **kwargs):
        nonlocal encode_seconds
        started = time.perf_counter()
        try:
            return original_encode(self, texts, **kwargs)
        finally:
            encode_seconds += time.perf_counter() - started

    embeddings.Embedder.encode = timed_encode
    with tempfile.TemporaryDirectory() as instance:
        config = {"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": True}
        if args.database:
            config["SQLALCHEMY_DATABASE_URI"] = args.database
        app = create_app(config)
        with app.app_context():
            upgrade()
            ids = import_records(rows, chinese=args.zh)
            print(f"{len(ids)} resolved records imported ({source}).", flush=True)
            started = time.perf_counter()

            def progress(stage: str, done: int, total: int) -> None:
                if done == total:
                    print(f"  {stage}: {total} ({time.perf_counter() - started:.1f} s)", flush=True)

            summary = refresh_proposals(progress=progress)
            db.session.commit()
            total = time.perf_counter() - started
            members = db.session.execute(
                sa.select(ProposalMember.record_id, ProposalMember.proposal_id).where(ProposalMember.removed.is_(False))
            ).all()
            proposal_of = dict(members)
            open_count = summary.open
            assert open_count == db.session.scalar(
                sa.select(sa.func.count())
                .select_from(sa.table("kb_proposals"))
                .where(sa.column("status") == ProposalStatus.OPEN.value)
            )
            predicted = np.array([proposal_of.get(record_id, -record_id) for record_id in ids])
            truth = np.array([label for _, label in rows])
            nmi, ari, acc = scores(truth, predicted)
            unassigned = sum(1 for record_id in ids if record_id not in proposal_of)
            print()
            print("| records | proposals | in no proposal | NMI | ARI | ACC | total s | encode s | total ÷ encode |")
            print("|---|---|---|---|---|---|---|---|---|")
            print(
                f"| {len(ids)} | {open_count} | {unassigned} | {nmi:.1f} | {ari:.1f} | {acc:.1f} | {total:.1f} | "
                f"{encode_seconds:.1f} | {total / encode_seconds:.2f} |"
            )
            print("stages (s):", {name: round(value, 1) for name, value in summary.stages.items()})
            if args.kmeans:
                from sklearn.cluster import KMeans

                from text.embeddings import cached_vectors, get_readers

                readers = get_readers()
                vectors = cached_vectors(readers.chinese if args.zh else readers.english, [text for text, _ in rows])
                labels = KMeans(len(set(truth)), n_init=10, random_state=0).fit_predict(vectors)
                nmi, ari, acc = scores(truth, labels)
                print(f"k-means given K={len(set(truth))}: NMI {nmi:.1f} / ARI {ari:.1f} / ACC {acc:.1f}")


if __name__ == "__main__":
    main()
