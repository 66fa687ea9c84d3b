"""The camera URL policy, shared by central (on create/update) and the edge (on the config and
on the resolved address before each connection): every class of refused address."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from gridwatch_contract.camera.url_policy import (
    UrlPolicy,
    UrlPolicyError,
    check_camera_url,
    check_resolved,
)

OPEN = UrlPolicy()
SECRET = "s3cret-pw"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://8.8.8.8/stream", "must start with rtsp:// or rtsps://"),
        ("file:///etc/passwd", "must start with rtsp:// or rtsps://"),
        ("/var/video.mp4", "must start with rtsp:// or rtsps://"),
        ("concat:rtsp://8.8.8.8/a", "must start with rtsp:// or rtsps://"),
        ("rtsp:///nohost", "has no host"),
        ("rtsp://127.0.0.1/a", "a loopback address"),
        ("rtsp://127.8.9.10:554/a", "a loopback address"),
        ("rtsp://localhost/a", "a loopback address"),
        ("rtsp://cam.localhost/a", "a loopback address"),
        ("rtsp://[::1]/a", "a loopback address"),
        ("rtsp://[::ffff:127.0.0.1]/a", "a loopback address"),
        ("rtsp://[::ffff:10.0.0.1]/a", "a private address"),
        ("rtsp://169.254.169.254/latest/meta-data", "the cloud metadata address"),
        ("rtsp://169.254.10.1/a", "a link-local address"),
        ("rtsp://[fe80::1]/a", "a link-local address"),
        ("rtsp://10.1.2.3/a", "a private address"),
        ("rtsp://172.16.0.9/a", "a private address"),
        ("rtsp://192.168.1.64/a", "a private address"),
        ("rtsp://[fd00::5]/a", "a private address"),
        ("rtsp://0.0.0.0/a", "an unspecified address"),
        ("rtsp://[::]/a", "an unspecified address"),
        ("rtsp://224.0.0.1/a", "a multicast address"),
        ("rtsp://100.64.0.1/a", "a non-global address"),
        ("rtsp://0x7f000001/a", "non-standard notation"),
        ("rtsp://0x7f.0.0.1/a", "non-standard notation"),
        ("rtsp://2130706433/a", "non-standard notation"),
        ("rtsp://0177.0.0.1/a", "non-standard notation"),
        ("rtsp://127.1/a", "non-standard notation"),
        (f"rtsp://admin:{SECRET}@127.0.0.1/a", "a loopback address"),
    ],
)
def test_refused_without_an_allow_list(url: str, reason: str) -> None:
    with pytest.raises(UrlPolicyError, match=reason) as refused:
        check_camera_url(url, OPEN)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://8.8.8.8/live",
        "rtsps://8.8.8.8:322/live",
        "RTSP://8.8.8.8/live",
        "rtsp://[2001:4860:4860::8888]/live",
        f"rtsp://admin:{SECRET}@camera.example.com:554/Streaming/Channels/101",
    ],
)
def test_global_addresses_and_names_pass(url: str) -> None:
    assert check_camera_url(url, OPEN) == url


def test_an_allow_listed_network_is_accepted_and_nothing_else() -> None:
    lan = UrlPolicy(allow_cidrs=[ip_network("10.50.0.0/16"), ip_network("127.0.0.0/8")])
    check_camera_url("rtsp://10.50.1.11/a", lan)
    check_camera_url("rtsp://127.0.0.1:8554/a", lan)
    check_camera_url("rtsp://[::ffff:10.50.3.4]/a", lan)  # judged as the IPv4 it maps to
    with pytest.raises(UrlPolicyError, match="a private address"):
        check_camera_url("rtsp://10.51.0.1/a", lan)
    with pytest.raises(UrlPolicyError, match="the cloud metadata address"):
        check_camera_url("rtsp://169.254.169.254/a", lan)
    with pytest.raises(UrlPolicyError, match="non-standard notation"):
        check_camera_url("rtsp://0x7f000001/a", lan)  # never, even inside an allowed network


def test_the_resolved_address_is_checked_and_returned() -> None:
    """What the edge does right before connecting: a name that resolves inside is refused."""
    with pytest.raises(UrlPolicyError, match="a loopback address"):
        check_resolved("localhost", 554, OPEN)
    lan = UrlPolicy(allow_cidrs=[ip_network("127.0.0.0/8"), ip_network("::1/128")])
    assert check_resolved("localhost", 554, lan).is_loopback
    with pytest.raises(UrlPolicyError, match="does not resolve"):
        check_resolved("no-such-camera.invalid", 554, OPEN)


def test_the_policy_is_configuration() -> None:
    policy = UrlPolicy.model_validate({"allow_cidrs": ["10.0.0.0/8", "fd00::/8"]})
    assert [str(net) for net in policy.allow_cidrs] == ["10.0.0.0/8", "fd00::/8"]
    with pytest.raises(ValueError, match="allow_cidrs"):
        UrlPolicy.model_validate({"allow_cidrs": ["10.0.0.1/8"]})  # host bits set: a typo
    with pytest.raises(ValueError, match="extra"):
        UrlPolicy.model_validate({"allow": []})
