"""schemathesis against the running API on SQLite and on PostgreSQL (issue 11).

Its CLI drives a real central over HTTP (uvicorn on a free port), logged in as the bootstrap
admin, with its default checks: no server error, every status code and content type
documented, every response body matching its schema, invalid input refused, valid input
accepted. Bounded: ``MAX_EXAMPLES`` cases per operation, one worker, a fixed seed, no
stateful phase. PATCH is left out: its random bodies would deactivate or demote the admin the
run is logged in as, which ends the run rather than tests anything.

``GET /cameras/{id}/live-snapshot`` is left out too: it asks the camera's edge over MQTT and
waits up to ``timeout_s`` for an answer, so a camera schemathesis registered on an edge that does
not exist ends in the documented 504, which its server-error check counts as a failure
(tests/central/edge_requests cover that route against a real edge).

The JSON report's failures are counted by kind. Every response-side failure (ST1xx: server
error, undocumented status code or content type, body not matching its schema, headers) and a
wrong ``Allow`` header (ST205) must be zero. Request-side strictness (ST201 invalid input
accepted, ST202 schema-valid input refused) is reported, not asserted: the schema cannot say
that a grid's polygons must not overlap or that a period must not be empty. The report and a
pytest file reproducing each failure are under ``test-artifacts/schemathesis/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gridwatch.api_server import ApiServer
from gridwatch.mosquitto import free_port
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client

# Fuzzed cases per operation, on top of the coverage phase's deterministic boundary cases
# (which find most problems): 15 keeps both databases within about two minutes on CI.
MAX_EXAMPLES = 15
SEED = 11
# The whole run of one database takes about a minute here; this only stops a hung one.
RUN_TIMEOUT_S = 600
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "schemathesis"


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    return [found]


# Failure codes that are the request side's strictness, not a wrong answer (see above).
REPORTED_ONLY = {"ST201", "ST202"}


def _failures(report: dict[str, Any]) -> Counter[str]:
    """Distinct failures by code and title (``ST108 Response violates schema``)."""
    kinds: Counter[str] = Counter()
    for failure in report["failures"]:
        kinds[f"{failure['code']} {failure['title']}"] += int(failure["count"])
    return kinds


def test_schemathesis_finds_nothing(runtime: CentralRuntime, database_url: str) -> None:
    token = admin_client(runtime).headers["Authorization"]
    server = ApiServer(runtime.app, "127.0.0.1", free_port())
    server.start()
    flavour = "postgres" if database_url.startswith("postgresql") else "sqlite"
    out = ARTIFACTS / flavour
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        result = subprocess.run(
            [
                *_schemathesis(),
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"Authorization: {token}",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--workers",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--exclude-method",
                "PATCH",
                "--exclude-path-regex",
                "live-snapshot$",
                "--no-shrink",
                "--report",
                "json,pytest",
                "--report-dir",
                str(out),
            ],
            # Its crash cache (.schemathesis/) goes with the report, not into the checkout.
            cwd=out,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    finally:
        server.stop()
    (out / "output.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    reports = sorted(out.glob("*.json"))
    assert reports, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    assert report["complete"], result.stdout[-6000:]
    assert report["errors"] == [], report["errors"]
    failures = _failures(report)
    summary = f"{flavour}: {report['test_cases']['generated']} cases, failures {dict(failures)}"
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    wrong = {kind: n for kind, n in failures.items() if kind.split()[0] not in REPORTED_ONLY}
    assert not wrong, f"{summary}; see {out}\n{result.stdout[-6000:]}"
