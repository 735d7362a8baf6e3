"""Serving: help-center search requests per second with 4 gunicorn workers ÷ (4 × one worker's rate) (target ≥ 0.8),
and the RSS of one web worker with the model loaded (target ≤ 700 MB).

The production server as `consultkb serve` runs it (gunicorn -c python:web.gunicorn_conf wsgi:app, sync workers,
torch threads = cores ÷ workers) on PostgreSQL, rate limits off, the demo data and demo articles seeded into a
scratch database (default `consultkb_bench_serving`, dropped and created again). For each worker count: start
gunicorn on a free port, wait for /healthz, warm up until every worker has loaded the model, then --connections
client threads, each with its own keep-alive connection and search session like a browser, send
`GET /api/v1/search?q=…` with real Chinese and English customer questions for --seconds; requests per second count
answers with status 200. Each request is a full search: BM25 over the Whoosh index, the query's vector for English,
and the search logged in the visitor's session (one small write).

About the ratio on this machine: it has 2 cores. One worker already uses both for encoding (torch intra-op threads),
and the client threads run on the same 2 cores, so 4 workers cannot be 4 × one worker here; the ratio measures the
hardware, not the code. The second ratio divides by min(workers, cores) × rps(1) instead: how close the workers come
to using the cores there are. Run it on a host with ≥ 5 cores for the issue's figure.

    .venv/bin/python bench/bench_serving.py [--database URL] [--seconds 30] [--warmup 15] [--connections 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/consultkb_bench_serving"
#: Questions as customers type them into the help center: paraphrases of the demo topics, not the article titles.
QUERIES = [
    "快递好几天了还没到",
    "物流显示签收了但是我没收到",
    "怎么申请退货",
    "退款什么时候到账",
    "忘记密码了怎么办",
    "登录一直提示密码错误",
    "发票怎么开",
    "扣款两次了",
    "会员怎么取消自动续费",
    "收到的商品坏了",
    "可以修改收货地址吗",
    "优惠券用不了",
    "客服态度太差我要投诉",
    "app 闪退",
    "换货流程",
    "my parcel is late",
    "package says delivered but not here",
    "how do I return an item",
    "when will I get my refund",
    "forgot my password",
    "cannot log in to the app",
    "I was charged twice",
    "cancel my subscription",
    "item arrived damaged",
    "change delivery address",
    "coupon code not working",
    "how to get an invoice",
    "the app keeps crashing",
    "exchange for a different size",
    "talk to a human agent",
]
#: A worker has loaded the model once torch's library is mapped into it (torch is imported only to load the model).
TORCH_LIBRARY = "libtorch_cpu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def seed(url: str, instance: str) -> tuple[int, int]:
    """Schema, demo records and demo articles; returns (records, published articles)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from demo.articles import seed_demo_articles
    from demo.seed import seed_demo
    from kb.models import Article
    from records.db import db
    from records.models import Record
    from web import create_app

    # No model in this process: the servers' first searches encode the articles (the warm-up absorbs that).
    config = {"TESTING": True, "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": url, "EMBEDDINGS_ENABLED": False}
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo(count=2400)
        db.session.commit()
        seed_demo_articles()
        records = db.session.scalar(sa.select(sa.func.count(Record.id)))
        articles = db.session.scalar(sa.select(sa.func.count(Article.id)).where(Article.live_version_id.is_not(None)))
        db.session.remove()
        db.engine.dispose()
    return records, articles


def worker_pids(master: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            pids.append(int(status.parent.name))
    return sorted(pids)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def model_loaded(pid: int) -> bool:
    try:
        return TORCH_LIBRARY in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


class Load:
    """`connections` threads sending searches until stopped; counts answers by status."""

    def __init__(self, port: int, connections: int):
        self.port = port
        self.connections = connections
        self.stop = threading.Event()
        self.ok = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(connections)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.ok, self.failed

    def _client(self, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        session = ""
        turn = number * 7
        while not self.stop.is_set():
            query = QUERIES[turn % len(QUERIES)]
            turn += 1
            path = f"/api/v1/search?q={quote(query)}&limit=10" + (f"&session={session}" if session else "")
            try:
                connection.request("GET", path, headers={"Connection": "keep-alive"})
                response = connection.getresponse()
                body = response.read()
                good = response.status == 200
                if good:
                    session = json.loads(body).get("session") or session
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()  # sync workers answer one request per connection; http.client reconnects
            except (OSError, http.client.HTTPException):
                good = False
                connection.close()
            with self._lock:
                if good:
                    self.ok += 1
                else:
                    self.failed += 1


def wait_healthy(port: int, server: subprocess.Popen, limit: float = 180.0) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering /healthz.")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            body = json.loads(response.read())
            connection.close()
            if response.status == 200:
                return body
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"/healthz did not answer 200 within {limit:.0f} s.")


def measure(workers: int, *, env: dict, seconds: float, warmup: float, connections: int, log) -> dict:
    port = free_port()
    server_env = {**env, "CONSULTKB_WEB_WORKERS": str(workers), "CONSULTKB_BIND": f"127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "wsgi:app"],
        cwd=ROOT,
        env=server_env,
        stdout=log,
        stderr=log,
    )
    try:
        health = wait_healthy(port, server)
        assert health["checks"]["database"]["dialect"] == "postgresql", health
        pids = worker_pids(server.pid)
        with Load(port, connections) as load:
            started = time.monotonic()
            # Warm-up: at least `warmup` seconds, until every worker has loaded the model, and then until each
            # connection has had two more answers (the first search of a worker also brings its index up to date).
            loaded_at = None
            while True:
                pids = worker_pids(server.pid)
                if loaded_at is None and pids and all(model_loaded(pid) for pid in pids):
                    loaded_at = load.counts()[0]
                waited = time.monotonic() - started
                if waited >= warmup and loaded_at is not None and load.counts()[0] >= loaded_at + 2 * connections:
                    break
                if waited > warmup + 600:
                    raise SystemExit(f"Warm-up did not finish in 10 minutes: {load.counts()} answers (ok, failed).")
                time.sleep(0.5)
            ok_before, failed_before = load.counts()
            measured_from = time.monotonic()
            time.sleep(seconds)
            ok_after, failed_after = load.counts()
            elapsed = time.monotonic() - measured_from
        pids = worker_pids(server.pid)
        rss = [rss_mb(pid) for pid in pids]
        return {
            "workers": workers,
            "pids": len(pids),
            "rps": (ok_after - ok_before) / elapsed,
            "failed": failed_after - failed_before,
            "rss_max": max(rss),
            "rss_mean": sum(rss) / len(rss),
            "torch_threads": server_env.get("OMP_NUM_THREADS") or str(max(1, multiprocessing.cpu_count() // workers)),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help=f"PostgreSQL URL, seeded if empty (default: {DEFAULT_DATABASE}, recreated)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per worker count")
    parser.add_argument("--warmup", type=float, default=15.0, help="minimum warm-up seconds per worker count")
    parser.add_argument("--connections", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--workers", default="1,4", help="worker counts to measure, comma-separated")
    args = parser.parse_args()
    counts = [int(value) for value in args.workers.split(",")]
    cores = multiprocessing.cpu_count()

    url = args.database or DEFAULT_DATABASE
    if not args.database:
        recreate_database(url)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as instance:
        records, articles = seed(url, instance)
        print(f"PostgreSQL: {records} records, {articles} published articles; {cores} cores.", flush=True)
        env = {
            **os.environ,
            "CONSULTKB_SQLALCHEMY_DATABASE_URI": url,
            "CONSULTKB_INSTANCE_PATH": instance,
            "CONSULTKB_DATA_DIR": str(Path(instance) / "data"),
            "CONSULTKB_SECRET_KEY": secrets.token_hex(32),
            "CONSULTKB_DEV": "0",
            "CONSULTKB_RATELIMIT_ENABLED": "0",
            # As in production: a JSON access line per request (into a log file here, not the terminal).
            "CONSULTKB_LOG_FORMAT": "json",
        }
        results = {}
        with open(Path(instance) / "gunicorn.log", "ab") as log:
            for workers in counts:
                results[workers] = measure(
                    workers,
                    env=env,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    connections=args.connections,
                    log=log,
                )
                result = results[workers]
                print(
                    f"{workers} worker(s): {result['rps']:.1f} searches/s, {result['failed']} failed, "
                    f"worker RSS max {result['rss_max']:.0f} MB",
                    flush=True,
                )

    print()
    print("| workers | torch threads each | searches/s | failed | worker RSS max MB (target ≤ 700) |")
    print("|---|---|---|---|---|")
    for workers, result in results.items():
        print(
            f"| {workers} | {result['torch_threads']} | {result['rps']:.1f} | {result['failed']} | "
            f"{result['rss_max']:.0f} |"
        )
    if 1 in results and len(results) > 1:
        one = results[1]["rps"]
        many = max(results)
        ratio = results[many]["rps"] / (many * one)
        core_bound = results[many]["rps"] / (min(many, cores) * one)
        print()
        print("| ratio | value |")
        print("|---|---|")
        print(f"| rps({many}) ÷ ({many} × rps(1)) (target ≥ 0.8) | {ratio:.2f} |")
        print(f"| rps({many}) ÷ (min({many}, {cores} cores) × rps(1)) | {core_bound:.2f} |")


if __name__ == "__main__":
    main()
