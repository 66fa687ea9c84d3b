"""/docs and /redoc work without internet: their pages name no other host, and every script,
stylesheet and icon they load is served by central itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime

# Anything that would make a browser reach beyond central: absolute or protocol-relative URLs.
_EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_REFERENCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_SPEC_URL = re.compile(r"""(?:url|spec-url)\s*[:=]\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_are_served_offline(central_runtime: CentralRuntime, page: str) -> None:
    client = TestClient(central_runtime.app)
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert _EXTERNAL.findall(html) == [], f"{page} names another host"
    assets = _REFERENCES.findall(html)
    assert any(a.endswith(".js") for a in assets), assets
    if page == "/docs":
        assert any(a.endswith(".css") for a in assets), assets
    for asset in assets:
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000 or asset.endswith(".png"), asset
    assert _SPEC_URL.findall(html) == ["/openapi.json"]
    assert client.get("/openapi.json").status_code == 200
