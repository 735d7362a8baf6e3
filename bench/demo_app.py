"""The demo data in a throwaway app, for the benches that measure on it (eval_answers_demo, eval_questions_demo,
eval_grouping_demo)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def seeded_demo(records: int = 2400, *, embeddings: bool = False) -> Iterator[None]:
    """Inside an app context of a new instance whose database holds `records` demo records (seeded the same way
    every time); with the packaged embedding models when `embeddings`."""
    from flask_migrate import upgrade

    from demo.seed import seed_demo
    from records.db import db
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": embeddings})
        with app.app_context():
            upgrade()
            seed_demo(count=records)
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()
