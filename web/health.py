"""GET /healthz for load balancers and monitoring: database, this host's search index, the embedding model.

200 with status "ok", or "degraded" when only the model is unusable (search fails on this host until the model
directory is fixed or CONSULTKB_EMBEDDINGS_ENABLED=0, while records, pages and the rest of the API work: alert on
it); 503 with status "fail" when the database (unreachable, or no schema) or the search index cannot be read. No
sign-in, no rate limit, no CSRF; cheap enough to poll every few seconds: it never loads the model and never updates
the index (a search does both).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from kb.search import search_service
from kb.state import current_token
from records.db import read_session
from text.embeddings import EmbeddingsUnavailable, embeddings_enabled, get_readers
from web.extensions import csrf, limiter

bp = Blueprint("health", __name__)
csrf.exempt(bp)
limiter.exempt(bp)

#: Checks whose failure takes this host out of the load balancer (503); the rest only degrade it.
ESSENTIAL = ("database", "search_index")


def check_database() -> dict:
    """Reachable, and the schema exists (its Alembic revision is reported; `consultkb db upgrade` sets it)."""
    with read_session() as session:
        session.execute(sa.text("SELECT 1"))
        result = {"status": "ok", "dialect": session.get_bind().dialect.name}
    with read_session() as session:
        try:
            result["revision"] = session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        except sa.exc.DBAPIError:
            return {**result, "status": "fail", "error": "The schema is missing: run `consultkb db upgrade`."}
    if result["revision"] is None:
        return {**result, "status": "fail", "error": "The schema is missing: run `consultkb db upgrade`."}
    return result


def check_search_index() -> dict:
    """The Whoosh index in DATA_DIR opens and can be searched; `current` says whether it reflects the database
    (a host whose index is behind catches up at its next search, so that is no failure)."""
    index = search_service().text_index
    result = {"status": "ok", "documents": index.searcher().doc_count(), "current": None}
    try:
        with read_session() as session:
            result["current"] = index.token() == current_token(session)
    except sa.exc.SQLAlchemyError:
        pass  # the database check reports it; the index itself was readable
    return result


def check_model() -> dict:
    """Each configured model loaded in this process ("ready": the worker loaded them when it started, so no search
    waits for one), or at least loadable from disk; never loads one here."""
    if not embeddings_enabled():
        return {"status": "disabled"}
    readers = get_readers()
    models = {}
    for space, embedder in readers.embedders().items():
        if embedder.loaded:
            models[space] = {"status": "ok", "state": "loaded", "model": embedder.name}
            continue
        try:
            embedder.check()
        except EmbeddingsUnavailable as error:
            models[space] = {"status": "fail", "error": str(error), "model": embedder.name}
        else:
            models[space] = {"status": "ok", "state": "loadable", "model": embedder.name}
    failed = [check["error"] for check in models.values() if check["status"] == "fail"]
    result = {"status": "fail" if failed else "ok", "ready": readers.loaded, "models": models}
    if failed:
        result["error"] = " ".join(failed)
    # The English model's figures where monitoring read them before there were two models.
    english = models.get("english", {})
    result.update({key: english[key] for key in ("state", "model") if key in english})
    return result


def timed(check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # any failure is the answer, not a 500
        current_app.logger.warning("Health check %s failed: %s", check.__name__, error)
        result = {"status": "fail", "error": f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@bp.get("/healthz")
def healthz():
    checks = {
        "database": timed(check_database),
        "search_index": timed(check_search_index),
        "model": timed(check_model),
    }
    if any(checks[name]["status"] == "fail" for name in ESSENTIAL):
        status = "fail"
    elif any(check["status"] == "fail" for check in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    response = jsonify({"status": status, "checks": checks})
    response.status_code = 503 if status == "fail" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
