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


def test_the_api_survives_fuzzing_and_keeps_to_its_spec(served: Site) -> None:
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
            "examples,fuzzing",
            "--seed",
            str(SEED),
            "--workers",
            "4",
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
    (OUT / "schemathesis.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    assert result.returncode == 0, result.stdout[-6000:]
    assert served.server_errors() == ""
