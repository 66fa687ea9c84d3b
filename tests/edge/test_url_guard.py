"""Right before connecting to a camera from central, the edge resolves its host, checks the
address and connects to that address (DNS rebinding cannot redirect it)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources.url import policy_guard

LOOPBACK = UrlPolicy(allow_cidrs=[ip_network("127.0.0.0/8"), ip_network("::1/128")])


def test_a_name_is_replaced_by_the_address_that_was_checked() -> None:
    guard = policy_guard(LOOPBACK)
    url = guard("rtsp://admin:pw@localhost:8554/cam?x=1")
    assert url in {"rtsp://admin:pw@127.0.0.1:8554/cam?x=1", "rtsp://admin:pw@[::1]:8554/cam?x=1"}
    assert guard("rtsp://127.0.0.1/cam") == "rtsp://127.0.0.1/cam"
    # rtsps keeps its name for the TLS handshake; the address was still checked.
    assert guard("rtsps://localhost/cam") == "rtsps://localhost/cam"


def test_a_name_resolving_inside_is_refused_before_connecting() -> None:
    guard = policy_guard(UrlPolicy())
    with pytest.raises(SourceError, match=r"camera address refused: .*loopback") as refused:
        guard("rtsp://admin:pw@localhost:8554/cam")
    assert "pw" not in str(refused.value)


def test_files_pass_through_untouched() -> None:
    # Whether a file may come from central is allow_file_sources_from_central's decision.
    assert policy_guard(UrlPolicy())("/data/clip.mp4") == "/data/clip.mp4"
