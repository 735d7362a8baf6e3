"""API fuzzing: schemathesis over /api/v1/openapi.json as an administrator (who may call every operation).

Every generated request must get a response that is not a server error and that matches the spec.
"""

from __future__ import annotations

import subprocess

from tests.system.conftest import BIN, OUT, PASSWORD, ROOT, Site

#: Bounded for CI: about 30 s on a 2-core machine with 4 workers.
MAX_EXAMPLES = 10
#: A fixed seed: a failure in CI can be replayed exactly (`st run ... --seed`).
SEED = 20261122


def run_schemathesis(served: Site, *, phases: str, workers: int, output: str) -> subprocess.CompletedProcess:
    auth = served.token("sys_admin", PASSWORD)["Authorization"]
    OUT.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(BIN / "st"),
            "run",
            f"{served.base_url}/api/v1/openapi.json",
            "--header",
            f"Authorization: {auth}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            phases,
            "--seed",
            str(SEED),
            "--workers",
            str(workers),
            # Revoking the token being fuzzed with would turn the rest of the run into 401s.
            "--exclude-path",
            "/api/v1/auth/tokens/current",
            "--no-color",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (OUT / output).write_text(result.stdout + result.stderr, encoding="utf-8")
    return result


def test_the_api_survives_fuzzing_and_keeps_to_its_spec(served: Site) -> None:
    result = run_schemathesis(served, phases="examples,fuzzing", workers=4, output="schemathesis.txt")
    assert result.returncode == 0, result.stdout[-6000:]
    assert served.server_errors() == ""


def test_boundary_and_wrong_type_values_get_no_server_error(served: Site) -> None:
    """The coverage phase: each parameter and field at its bounds, just past them, of the wrong type, missing.

    One worker: with several, hypothesis describing its filters in threads trips CPython 3.11.7's AST recursion
    check ("AST constructor recursion depth mismatch", fixed in 3.11.8) and schemathesis reports an error."""
    result = run_schemathesis(served, phases="coverage", workers=1, output="schemathesis-coverage.txt")
    assert result.returncode == 0, result.stdout[-6000:]
    assert served.server_errors() == ""
