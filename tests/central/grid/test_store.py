"""The grid in the database: API import/export, refusal with a report, restarts, other processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.grid import GridCodeScheme
from gridwatch_central.grid.store import GridStore
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.api.clients import admin_client
from tests.central.helpers import EXAMPLE_GRID, HUANGSHUI_GRID, make_config


def _features_by_code(document: dict[str, Any]) -> dict[str, Any]:
    return {f["properties"]["code"]: f for f in document["features"]}


def test_import_export_round_trip_through_the_api(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    original = json.loads(HUANGSHUI_GRID.read_text(encoding="utf-8"))
    original["features"][0]["properties"]["manager"] = "张网格员"  # extra properties survive
    response = client.post("/api/v1/grids/import", json=original)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["report"] == {
        "valid": True,
        "cells_by_level": {"1": 5, "2": 13, "3": 50},
        "problems": [],
    }

    exported = client.get("/api/v1/grids/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/geo+json")
    document = exported.json()
    assert document["name"] == original["name"]
    assert _features_by_code(document) == _features_by_code(original)
    # The new grid is in force at once, for lookups and listings.
    assert len(client.get("/api/v1/grids", params={"level": 3}).json()) == 50
    located = client.get("/api/v1/grids/locate", params={"lat": 30.23, "lon": 108.40}).json()
    assert [cell["level"] for cell in located["cells"]] == [1, 2, 3]


def test_a_grid_with_problems_is_refused_with_the_full_report(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    before = client.get("/api/v1/grids/export").json()
    document = json.loads(EXAMPLE_GRID.read_text(encoding="utf-8"))
    bowtie = [[108.40, 30.22], [108.41, 30.23], [108.41, 30.22], [108.40, 30.23], [108.40, 30.22]]
    document["features"][-1]["geometry"]["coordinates"] = [bowtie]
    document["features"][-2]["properties"]["code"] = "bad"
    response = client.post("/api/v1/grids/import", json=document)
    assert response.status_code == 422
    report = response.json()
    assert report["valid"] is False
    kinds = {problem["kind"] for problem in report["problems"]}
    assert {"geometry", "code"} <= kinds
    assert client.get("/api/v1/grids/export").json() == before  # nothing changed

    garbage = client.post("/api/v1/grids/import", content=b"{not json")
    assert garbage.status_code == 422
    assert garbage.json()["problems"][0]["kind"] == "document"


def test_an_api_import_survives_a_restart_until_the_file_changes(
    database_url: str, broker: BrokerConfig, tmp_path: Path
) -> None:
    grid_file = tmp_path / "grid.geojson"
    grid_file.write_text(EXAMPLE_GRID.read_text(encoding="utf-8"), encoding="utf-8")
    config = make_config(database_url, broker, tmp_path).model_copy(update={"grid_file": grid_file})

    def cell_count() -> int:
        central = CentralRuntime(config)
        central.start()
        try:
            return len(central.grid_store.index.cells)
        finally:
            central.stop()

    central = CentralRuntime(config)
    central.start()
    try:
        assert len(central.grid_store.index.cells) == 15
        document = json.loads(HUANGSHUI_GRID.read_text(encoding="utf-8"))
        assert central.grid_store.import_document(document).version is not None
    finally:
        central.stop()
    assert cell_count() == 68  # the same file does not undo the API import
    document = json.loads(EXAMPLE_GRID.read_text(encoding="utf-8"))
    document["name"] = "edited"
    grid_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert cell_count() == 15  # an edited file is imported


def test_another_process_sees_an_import_after_its_refresh_interval(runtime: CentralRuntime) -> None:
    engine = make_engine(runtime.config.database_url)
    try:
        clock = [0.0]
        other = GridStore(
            make_sessions(engine), GridCodeScheme(), refresh_s=5, clock=lambda: clock[0]
        )
        assert len(other.index.cells) == 15
        document = json.loads(HUANGSHUI_GRID.read_text(encoding="utf-8"))
        assert runtime.grid_store.import_document(document).version is not None
        clock[0] = 4.9
        assert len(other.index.cells) == 15  # not yet due
        clock[0] = 5.0
        assert len(other.index.cells) == 68
        assert other.version == runtime.grid_store.version
    finally:
        engine.dispose()
