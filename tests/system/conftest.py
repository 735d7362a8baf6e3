"""System tests: the app served by gunicorn (4 workers) on its own PostgreSQL database, driven from outside.

They run in CI's PostgreSQL pass only (CONSULTKB_TEST_DATABASE_URL set to a PostgreSQL URL). The demo data is seeded
once into `consultkb_system`; each test module gets a copy of it (PostgreSQL's CREATE DATABASE ... TEMPLATE, about a
second) and of its search index, so a module's writes never reach another's. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Screenshots, fuzzing logs: CI keeps bench/out as artifacts (it is git-ignored).
OUT = ROOT / "bench" / "out"
TEMPLATE_DB = "consultkb_system"
#: Generous: a cold gunicorn with 4 workers imports the whole app (jieba, sklearn) in each worker.
SERVER_START_DEADLINE = 90.0
COMMAND_DEADLINE = 300.0
#: Accounts the system tests add to the demo's (the demo's own logins come from `consultkb demo logins`).
PASSWORD = "system-test-9"


def _test_url():
    raw = os.environ.get("CONSULTKB_TEST_DATABASE_URL", "")
    url = make_url(raw) if raw else None
    return url if url is not None and url.get_backend_name() == "postgresql" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason="system tests need PostgreSQL: set CONSULTKB_TEST_DATABASE_URL=postgresql+psycopg://…"
    )
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.system)
            if _test_url() is None:
                item.add_marker(skip)


def admin_dsn(database: str = "postgres") -> str:
    url = _test_url()
    return url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def app_url(database: str) -> str:
    return _test_url().set(database=database).render_as_string(hide_password=False)


def sql(database: str, statement: str, *params) -> list[tuple]:
    """Run one statement on `database` (autocommit) and return its rows."""
    with psycopg.connect(admin_dsn(database), autocommit=True) as connection:
        cursor = connection.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def _recreate(database: str, template: str | None = None) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop(database: str) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@dataclass
class Site:
    """One copy of the seeded installation: its database, data directory and (once served) base URL."""

    database: str
    data_dir: Path
    base_url: str = ""
    log: Path | None = None
    _server: subprocess.Popen | None = field(default=None, repr=False)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "CONSULTKB_SQLALCHEMY_DATABASE_URI": app_url(self.database),
            "CONSULTKB_SECRET_KEY": "system-tests-" + self.database,
            "CONSULTKB_DATA_DIR": str(self.data_dir),
            "CONSULTKB_EMBEDDINGS_ENABLED": "0",
            "CONSULTKB_RATELIMIT_ENABLED": "0",
            "CONSULTKB_DEV": "0",
        }
        env.pop("CONSULTKB_TEST_DATABASE_URL", None)
        env.update(extra)
        return env

    def cli(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """`consultkb ARGS` against this site."""
        result = subprocess.run(
            [str(BIN / "consultkb"), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=COMMAND_DEADLINE,
            input=input,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"consultkb {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def spawn(self, *args: str) -> subprocess.Popen:
        """`consultkb ARGS` in the background, in its own process group (so kill -9 reaches only it)."""
        return subprocess.Popen(
            [str(BIN / "consultkb"), *args],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def sql(self, statement: str, *params) -> list[tuple]:
        return sql(self.database, statement, *params)

    def token(self, username: str, password: str) -> dict[str, str]:
        response = requests.post(
            f"{self.base_url}/api/v1/auth/tokens", json={"username": username, "password": password}, timeout=30
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    # -- serving ---------------------------------------------------------------------------------------------
    def serve(self, workers: int = 4) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = self.data_dir.parent / f"gunicorn-{self.database}.log"
        with self.log.open("w") as log:
            self._server = subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_START_DEADLINE
        while True:
            if self._server.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self._server.returncode}:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.base_url}/api/v1/openapi.json", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or a worker still importing the app
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn not ready within {SERVER_START_DEADLINE} s:\n{self.log.read_text()}")
            time.sleep(0.25)

    def stop(self) -> None:
        if self._server is None:
            return
        stop_group(self._server)
        self._server = None

    def server_errors(self) -> str:
        """Tracebacks the server logged (a 500 always logs one)."""
        text = self.log.read_text() if self.log and self.log.exists() else ""
        return "\n".join(block for block in text.split("\n[") if "Traceback" in block)


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process started with start_new_session=True, and everything it started."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo installation, seeded once: migrated, demo records and articles, proposals, search index."""
    base = tmp_path_factory.mktemp("system")
    _recreate(TEMPLATE_DB)
    site = Site(TEMPLATE_DB, base / "data")
    site.cli("db", "upgrade")
    site.cli("demo", "seed")
    site.cli("kb", "seed-demo")
    site.cli("kb", "propose")
    # Builds the search index on disk (copied for each module's site).
    site.cli("kb", "reindex")
    for role in ("agent", "trainer", "trainer2", "supervisor", "admin"):
        team = ["--team", "客服A组"] if role in ("agent", "supervisor") else []
        site.cli("users", "create", f"sys_{role}", "--role", role.rstrip("2"), "--password", PASSWORD, *team)
    yield site
    _drop(TEMPLATE_DB)


@pytest.fixture(scope="module")
def site_copy(seeded: Site, request: pytest.FixtureRequest) -> Iterator[Callable[[], Site]]:
    """A factory for copies of the seeded installation, each dropped when the module ends."""
    made: list[Site] = []

    def make() -> Site:
        name = f"{TEMPLATE_DB}_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}_{len(made)}"
        _recreate(name, template=TEMPLATE_DB)
        data_dir = seeded.data_dir.parent / name
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(seeded.data_dir, data_dir)
        site = Site(name, data_dir)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()
        _drop(site.database)


@pytest.fixture(scope="module")
def served(site_copy: Callable[[], Site]) -> Iterator[Site]:
    """A copy of the seeded installation served by gunicorn with 4 workers."""
    site = site_copy()
    site.serve()
    yield site
    site.stop()


def demo_logins(site: Site) -> dict[str, tuple[str, str]]:
    """role → (username, password), as `consultkb demo logins` prints them."""
    logins = {}
    for line in site.cli("demo", "logins").stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] == "/":
            logins[parts[0]] = (parts[1], parts[3])
    return logins


def as_json(text: str):
    return json.loads(text)
