"""Per-route body limits: a whole grid file may be large (64 MiB), every other body is small
(``max_request_body_bytes``, 1 MiB by default)."""

from __future__ import annotations

import json

from gridwatch_central.api.routes.grids import MAX_IMPORT_BYTES
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import EXAMPLE_GRID

MIB = 1024 * 1024


def test_a_grid_over_one_mib_imports_while_other_routes_keep_the_small_limit(
    central_runtime: CentralRuntime,
) -> None:
    client = admin_client(central_runtime)
    limit = central_runtime.config.max_request_body_bytes
    assert limit <= MIB
    document = json.loads(EXAMPLE_GRID.read_text(encoding="utf-8"))
    # Detailed boundaries make real files this large; an extra property stands in for them.
    document["features"][0]["properties"]["survey_notes"] = "界" * (MIB // 2)
    body = json.dumps(document, ensure_ascii=False).encode()
    assert len(body) > 1.4 * MIB
    imported = client.post(
        "/api/v1/grids/import", content=body, headers={"Content-Type": "application/geo+json"}
    )
    assert imported.status_code == 200, imported.text[:500]
    assert imported.json()["report"]["valid"] is True

    big_user = {"username": "x", "password": "p" * 8, "role": "operator", "display_name": "x" * MIB}
    refused = client.post("/api/v1/admin/users", json=big_user)
    assert refused.status_code == 413
    assert refused.json()["code"] == "request_too_large"
    too_big = client.post("/api/v1/grids/import", content=b" " * (MAX_IMPORT_BYTES + 1))
    assert too_big.status_code == 413
