"""Which camera addresses may be configured from central, checked on both sides.

A camera URL pushed to an edge makes the edge open a connection to that address: without a
policy, whoever can add a camera can make an edge probe its own network (the loopback
services of the box, the cloud metadata service at 169.254.169.254, the office LAN). So:

* only ``rtsp://`` and ``rtsps://`` (local files only where the edge's own YAML allows them,
  which the edge checks; central never accepts them);
* a host written as an IP address must be a global one, unless it falls inside a CIDR an admin
  allow-listed (the camera network of a 雪亮 deployment is usually private: allow-list it);
* an address written in any other notation than canonical dotted decimal or IPv6 (``0x7f.1``,
  ``2130706433``, ``0177.0.0.1``, ``127.1``) is refused outright: such forms exist only to slip
  past checks like this one;
* an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is judged as the IPv4 address it maps to.

Central checks what it is given (it cannot know what a name resolves to on the edge's
network); the edge resolves the host right before connecting and checks every address again
(``check_resolved``), then connects to the address it checked, so a DNS answer that changes
between the check and the connection (rebinding) cannot redirect it.

Every error text names the class of address, never the URL (it may carry credentials).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import Field

from gridwatch_contract.camera.base import StrictModel

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
NETWORK_SCHEMES = frozenset({"rtsp", "rtsps"})
# Names that always mean this machine, whatever a resolver says.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# A host made only of digits, hex digits, "x" and dots is an attempt at a numeric address.
_NUMERIC_LOOKING = re.compile(r"^[0-9a-fA-FxX.]+$")
_HAS_DIGIT = re.compile(r"[0-9]")
# The one instance metadata address every cloud uses; link-local anyway, named for the error.
METADATA_ADDRESS = ipaddress.ip_address("169.254.169.254")


class UrlPolicy(StrictModel):
    """``camera_url_policy`` of central's and of an edge's configuration."""

    allow_cidrs: list[IpNetwork] = Field(
        default_factory=list,
        description="Non-global networks cameras may be in, e.g. [10.20.0.0/16] for the camera"
        " network; 127.0.0.0/8 only for tests and demos on one machine.",
    )


class UrlPolicyError(ValueError):
    """A camera address the policy refuses; the text never contains the URL."""


def address_class(address: IpAddress) -> str | None:
    """Why ``address`` is not a global one (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address == METADATA_ADDRESS:
        return "the cloud metadata address"
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "a non-global address"),
    ]
    return next((name for failed, name in checks if failed), None)


def check_address(address: IpAddress, policy: UrlPolicy) -> None:
    """``UrlPolicyError`` unless ``address`` is global or inside an allow-listed CIDR."""
    judged = address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        judged = address.ipv4_mapped
    kind = address_class(judged)
    if kind is None or any(judged in network for network in _same_family(policy, judged)):
        return
    raise UrlPolicyError(
        f"the camera address is {kind} ({judged}), which is refused unless an admin"
        " allow-lists its network (camera_url_policy.allow_cidrs)"
    )


def _same_family(policy: UrlPolicy, address: IpAddress) -> Iterable[IpNetwork]:
    return (net for net in policy.allow_cidrs if net.version == address.version)


def literal_address(host: str) -> IpAddress | None:
    """The address ``host`` spells in canonical notation, None for a name; ``UrlPolicyError``
    for numeric notations other than dotted decimal and IPv6 (hex, octal, integer, short)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_LOOKING.match(host) and _HAS_DIGIT.search(host) and _inet_aton_accepts(host):
        raise UrlPolicyError(
            "the camera host is an IP address in a non-standard notation (hex, octal, integer"
            " or shortened); write it as a.b.c.d"
        )
    return None


def _inet_aton_accepts(host: str) -> bool:
    # What the C resolver would read as an IPv4 address (it accepts 0x7f.1, 2130706433, ...).
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def check_camera_url(url: str, policy: UrlPolicy) -> str:
    """Return ``url`` if its scheme and (literal) host pass ``policy``; else ``UrlPolicyError``.

    Names are not resolved here: the edge does that right before it connects.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise UrlPolicyError("the camera URL is malformed (bad port or brackets)") from None
    if parts.scheme.lower() not in NETWORK_SCHEMES:
        raise UrlPolicyError("the camera URL must start with rtsp:// or rtsps://")
    host = parts.hostname
    if not host:
        raise UrlPolicyError("the camera URL has no host")
    host = host.rstrip(".")
    if host.lower() in _LOCAL_NAMES or host.lower().endswith(".localhost"):
        check_address(ipaddress.ip_address("127.0.0.1"), policy)
        return url
    address = literal_address(host)
    if address is not None:
        check_address(address, policy)
    return url


def check_resolved(host: str, port: int, policy: UrlPolicy) -> IpAddress:
    """Resolve ``host`` now and check every address it resolves to; the first address, to
    connect to instead of the name (a second lookup could answer differently)."""
    literal = literal_address(host.rstrip("."))
    if literal is not None:
        check_address(literal, policy)
        return literal
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise UrlPolicyError(f"the camera host does not resolve: {error.strerror}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UrlPolicyError("the camera host resolves to no address")
    for address in addresses:
        check_address(address, policy)
    return addresses[0]
