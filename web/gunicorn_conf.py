"""Gunicorn settings for production: `gunicorn -c python:web.gunicorn_conf wsgi:app` (`consultkb serve` runs it).

Everything comes from CONSULTKB_* environment variables (docs/deploy.md lists them):
  CONSULTKB_WEB_WORKERS   worker processes (default 2 × cores + 1, at most MAX_DEFAULT_WORKERS)
  CONSULTKB_BIND          address to listen on (default 127.0.0.1:8000; a load balancer in front, or 0.0.0.0:8000)
  CONSULTKB_WEB_TIMEOUT   seconds a request may take before the worker is restarted (default 120)
  CONSULTKB_LOG_FORMAT    json: gunicorn's own lines (start, worker boot, timeouts) as JSON like the app's

preload_app is off, on purpose. The app is created in each worker after the fork, so nothing that must not cross a
fork exists in the master: no database connections (a pooled connection shared by two processes corrupts both), no
torch (its OpenMP thread pool does not survive fork and can deadlock the child), no APScheduler threads. Each
worker loads its models and brings its search index up to date when it starts (`post_worker_init`, kb.search.warm_up),
before it accepts a request, so the first search answers like any other; /healthz reports the models "ready".
The master does import the `web` package (this file lives in it), so
the Python modules are shared copy-on-write; that is why a new release needs a restart, not `kill -HUP`.
"""

from __future__ import annotations

import multiprocessing
import os

#: Gunicorn's advice is 2 × cores + 1 workers for I/O-bound apps. Each worker here holds its own copy of the model
#: and vectors (bench/bench_serving.py: ~0.5-0.7 GB RSS once loaded), so the default stops at 8 workers (~5 GB);
#: set CONSULTKB_WEB_WORKERS for bigger hosts.
MAX_DEFAULT_WORKERS = 8
DEFAULT_BIND = "127.0.0.1:8000"
#: The first search in a worker loads the model (a few seconds) and, on a host whose index is behind, brings it up to
#: date from the database (bench/bench_search.py: 10,000 articles from cached vectors well under a minute).
DEFAULT_TIMEOUT = 120


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a whole number.") from None
    if number < 1:
        raise SystemExit(f"{name}={value!r} must be at least 1.")
    return number


def default_workers(cores: int | None = None) -> int:
    cores = cores or multiprocessing.cpu_count()
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


def torch_threads(workers: int, cores: int | None = None) -> int:
    """Intra-op threads per worker: the cores shared out, at least one. torch would otherwise start one thread per
    core in every worker, and N workers × cores threads fight over the same cores (slower than one each)."""
    cores = cores or multiprocessing.cpu_count()
    return max(1, cores // workers)


workers = _int_env("CONSULTKB_WEB_WORKERS", default_workers())
bind = os.environ.get("CONSULTKB_BIND", "").strip() or DEFAULT_BIND
# Sync workers: one request at a time per process. Searches are CPU-bound (BM25 + encoding the query), so threads
# would only queue on the GIL; slow clients are the load balancer's job (it buffers requests and responses).
worker_class = "sync"
timeout = _int_env("CONSULTKB_WEB_TIMEOUT", DEFAULT_TIMEOUT)
#: A stopping worker finishes the request it is serving; 30 s covers any request but a first search on a cold host.
graceful_timeout = 30
keepalive = 5
preload_app = False
proc_name = "consultkb-web"
# Gunicorn 23+'s control socket defaults to one path in $HOME for every gunicorn of the user: two instances on a
# host (web and a benchmark, or two releases side by side) would take it from each other. Signals do the job.
control_socket_disable = True
#: Workers read torch's and the BLAS libraries' thread counts from the environment when they import them; set here,
#: in the master, before any worker starts. An operator's own setting wins.
_threads = str(torch_threads(workers))
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, _threads)


def post_worker_init(worker) -> None:
    """Each worker, once it has created the app and before its first request: models loaded, index current."""
    app = getattr(worker, "wsgi", None)
    if not hasattr(app, "app_context"):
        return  # wrapped in middleware we do not know: the first search loads what it needs
    from kb.search import warm_up

    with app.app_context():
        try:
            warm_up()
        except Exception:  # a broken model must not stop the worker: /healthz reports it, searches fail clearly
            app.logger.exception("Warming up for searches failed; the first search will try again.")


# The app writes one access line per request with the request id and user (web/logging_setup.py); gunicorn's own
# access log would repeat it without either.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("CONSULTKB_LOG_LEVEL", "info").lower()
logconfig_dict: dict = {}  # gunicorn's own text lines
if os.environ.get("CONSULTKB_LOG_FORMAT", "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "web.logging_setup.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        # One handler on the root: gunicorn's loggers and the app's all end up there (the app finds it and adds none).
        "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
            # Off (see accesslog above); a logconfig_dict alone would switch gunicorn's access lines back on.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
