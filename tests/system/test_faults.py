"""Faults: the scheduler's work killed with SIGKILL mid-way, then restarted.

A report run killed while its row is "building" is taken over by the next run and made exactly once; a search
reindex killed mid-way leaves nothing that a rebuild does not repair to the same results as before.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable

import pytest

from tests.system.conftest import Site, stop_group

WEEK = "2026-W45"
#: Polling the report row every few milliseconds: the build takes about a second after the app has started.
POLL_S = 0.005
DEADLINE_S = 120.0
QUERIES = ["忘记密码", "退款多久到账", "物流一直不更新", "发票怎么开", "App 闪退", "refund", "login", "账号被冻结"]


@pytest.fixture(scope="module")
def site(site_copy: Callable[[], Site]) -> Site:
    return site_copy()


def report_rows(site: Site) -> list[tuple[str, str]]:
    return site.sql("SELECT status, claimed_by FROM reports WHERE kind = 'weekly' AND period = %s", WEEK)


def kill_when(site: Site, args: tuple[str, ...], ready: Callable[[], bool]) -> bool:
    """Start `consultkb ARGS`, SIGKILL its process group once `ready()`; False if it finished first."""
    victim = site.spawn(*args)
    deadline = time.monotonic() + DEADLINE_S
    try:
        while victim.poll() is None and time.monotonic() < deadline:
            if ready():
                stop_group(victim, signal.SIGKILL)
                return victim.returncode == -signal.SIGKILL
            time.sleep(POLL_S)
        return False
    finally:
        stop_group(victim, signal.SIGKILL)
        victim.communicate()


def test_a_report_run_killed_while_building_is_made_exactly_once(site: Site) -> None:
    killed = False
    for attempt in range(3):
        # After a miss (the build won the race) --force rebuilds the made report: again a "building" row to kill.
        extra = ("--force",) if attempt else ()
        args = ("reports", "generate", "--kind", "weekly", "--period", WEEK, *extra)
        killed = kill_when(site, args, lambda: [row[0] for row in report_rows(site)] == ["building"])
        if killed:
            break
    assert killed, "the report run finished before it could be killed three times"
    assert [row[0] for row in report_rows(site)] == ["building"]

    # Run again: the victim's claim belongs to a dead process, so this run takes the row over and builds it once.
    rerun = site.cli("reports", "generate", "--kind", "weekly", "--period", WEEK)
    assert "Built" in rerun.stdout, rerun.stdout
    again = site.cli("reports", "generate", "--kind", "weekly", "--period", WEEK)
    assert "Built" not in again.stdout
    assert [row[0] for row in report_rows(site)] == ["ready"]
    figures = site.sql("SELECT figures FROM reports WHERE kind = 'weekly' AND period = %s", WEEK)[0][0]
    assert figures  # the taken-over run wrote the whole report


def search_all(site: Site, tmp_path) -> list:
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(QUERIES) + "\n", encoding="utf-8")
    output = site.cli("kb", "search", "--queries", str(queries), "--json").stdout
    responses = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert len(responses) == len(QUERIES)
    return [[(hit["id"], hit["title"], hit["score"]) for hit in response["results"]] for response in responses]


def test_a_reindex_killed_midway_is_repaired_by_a_rebuild(site: Site, tmp_path) -> None:
    before = search_all(site, tmp_path)
    assert any(before), "the demo articles should answer some of the queries"

    # Killed as soon as it reports that it is writing the index (the progress label goes to stderr first).
    index = site.data_dir / "search-index"
    segments_before = {path.name for path in index.iterdir()}

    def writing() -> bool:
        return {path.name for path in index.iterdir()} != segments_before

    killed = kill_when(site, ("kb", "reindex"), writing)
    if not killed:
        pytest.xfail("the reindex finished before a changed index file was seen; nothing was killed")

    site.cli("kb", "reindex")
    assert search_all(site, tmp_path) == before
