"""`consultkb serve` (`make serve`): migrate, then run gunicorn and the scheduler together until one stops.

A small supervisor rather than a process manager the host may not have: it upgrades the schema in this process (a
missing CONSULTKB_SECRET_KEY or an unreachable database stops it here, before anything listens), starts
`gunicorn -c python:web.gunicorn_conf wsgi:app` and `consultkb jobs run` as child processes, passes SIGTERM and
Ctrl-C on to both, and when either exits stops the other: a host never keeps serving without its scheduler or the
other way round unnoticed. Under systemd, Kubernetes or supervisord, run the two commands as two services instead
(docs/deploy.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

#: How long a child may take to stop after SIGTERM before it is killed: gunicorn's graceful_timeout (30 s) plus a
#: margin for the scheduler to finish a job's current batch.
STOP_TIMEOUT = 45.0
POLL_SECONDS = 0.2


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "wsgi:app"]


def scheduler_command() -> list[str]:
    return [sys.executable, "-m", "web.cli", "jobs", "run"]


def upgrade_database() -> None:
    """`consultkb db upgrade`, in this process."""
    from flask_migrate import upgrade

    from web import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        from records.db import db

        db.engine.dispose()


class Supervisor:
    """Runs commands as children; when one ends or a stop signal arrives, stops the rest and returns an exit code."""

    def __init__(self, commands: dict[str, Sequence[str]], *, env: dict[str, str] | None = None):
        self.commands = commands
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}
        self.stop_signal: int | None = None

    def _on_signal(self, signum: int, _frame) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            for name, command in self.commands.items():
                self.children[name] = subprocess.Popen(list(command), env=self.env)
                print(f"consultkb serve: started {name} (pid {self.children[name].pid})", file=sys.stderr, flush=True)
            ended = None
            while ended is None and self.stop_signal is None:
                time.sleep(POLL_SECONDS)
                ended = next((name for name, child in self.children.items() if child.poll() is not None), None)
            if ended is not None:
                code = self.children[ended].returncode
                print(f"consultkb serve: {ended} exited with {code}; stopping the rest.", file=sys.stderr, flush=True)
            self.stop_all()
            if ended is not None:
                # A child that stopped by itself is a failure even with exit code 0: the host lost half its service.
                return self.children[ended].returncode or 1
            return 0
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def stop_all(self) -> None:
        running = [child for child in self.children.values() if child.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in running:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def serve(*, upgrade: bool = True, scheduler: bool = True, workers: int | None = None, bind: str | None = None) -> int:
    env = dict(os.environ)
    if workers is not None:
        env["CONSULTKB_WEB_WORKERS"] = str(workers)
    if bind:
        env["CONSULTKB_BIND"] = bind
    if upgrade:
        upgrade_database()
    commands = {"web": gunicorn_command()}
    if scheduler:
        commands["scheduler"] = scheduler_command()
    return Supervisor(commands, env=env).run()
