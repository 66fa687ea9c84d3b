"""The TLS variant of the shipped broker configuration, with a CA the test makes itself.

``gridwatch broker init --tls-cert/--tls-key`` adds a TLS listener; clients verify the broker
against the CA (``BrokerConfig.tls.ca_file``, or ``mqtts://`` with ``ca_file``) and refuse it
without. ``--tls-client-ca`` also makes the broker demand a client certificate.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridwatch.mosquitto import free_port, wait_for_port
from gridwatch_contract.broker import BrokerConfig, BrokerTls
from tests.mqtt_probe import BrokerClosedError, Probe
from tests.secured_broker import SecuredBroker, secured_broker

# The TLS listener opens right after the plain one; seconds at most even on a loaded box.
LISTEN_TIMEOUT_S = 10.0
CERT_DAYS = "2"
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


@dataclass(frozen=True, slots=True)
class Pki:
    folder: Path

    def __getitem__(self, name: str) -> Path:
        return self.folder / name


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)


def _signed(folder: Path, name: str, subject: str, extensions: str) -> None:
    """``name``.key and ``name``.crt: a P-256 key and a certificate signed by the test CA."""
    (folder / f"{name}.ext").write_text(extensions + "\n", encoding="utf-8")
    _openssl(
        folder, "req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject
    )
    _openssl(
        folder,
        *("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key"),
        *("-CAcreateserial", "-days", CERT_DAYS, "-out", f"{name}.crt", "-extfile", f"{name}.ext"),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    _openssl(
        folder,
        *("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.crt"),
        *("-days", CERT_DAYS, "-subj", "/CN=gridwatch test CA"),
    )
    _signed(folder, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    _signed(folder, "client", "/CN=central", "extendedKeyUsage=clientAuth")
    return Pki(folder)


@contextmanager
def _tls_broker(folder: Path, pki: Pki, *extra: str) -> Iterator[tuple[SecuredBroker, int]]:
    tls_port = free_port()
    options = ["--tls-cert", str(pki["server.crt"]), "--tls-key", str(pki["server.key"])]
    with secured_broker(folder, *options, "--tls-port", str(tls_port), *extra) as broker:
        assert wait_for_port("127.0.0.1", tls_port, LISTEN_TIMEOUT_S)
        yield broker, tls_port


def _central_over_tls(broker: SecuredBroker, port: int, tls: BrokerTls | None) -> BrokerConfig:
    return broker.config(
        port=port,
        tls=tls,
        username="central",
        password_file=broker.password_file("central"),
    )


def _connects(config: BrokerConfig) -> bool:
    """True when the broker accepted the connection; False when TLS or the broker refused."""
    probe = Probe(config, "tls")
    try:
        return not probe.connect().is_failure
    except (ssl.SSLError, OSError, BrokerClosedError):
        return False
    finally:
        probe.close()


def test_tls_listener_is_verified_with_the_ca_and_refused_without(pki: Pki, tmp_path: Path) -> None:
    with _tls_broker(tmp_path, pki) as (broker, tls_port):
        assert _connects(_central_over_tls(broker, tls_port, BrokerTls(ca_file=pki["ca.crt"])))
        password = broker.password_file("central").read_text(encoding="utf-8").strip()
        url = f"mqtts://central:{password}@127.0.0.1:{tls_port}"
        assert _connects(BrokerConfig.from_url(url, ca_file=pki["ca.crt"]))
        # The system's trust store does not know the test CA: the handshake fails.
        assert not _connects(_central_over_tls(broker, tls_port, BrokerTls()))
        # Plain MQTT on the TLS port gets nowhere either.
        assert not _connects(_central_over_tls(broker, tls_port, None))
        # With TLS for the network, the plain listener is left on loopback for local tools.
        assert f"listener {broker.port} 127.0.0.1" in (tmp_path / "mosquitto.conf").read_text()


def test_client_certificates_when_the_broker_requires_them(pki: Pki, tmp_path: Path) -> None:
    with _tls_broker(tmp_path, pki, "--tls-client-ca", str(pki["ca.crt"])) as (broker, port):
        with_certificate = BrokerTls(
            ca_file=pki["ca.crt"], cert_file=pki["client.crt"], key_file=pki["client.key"]
        )
        assert _connects(_central_over_tls(broker, port, with_certificate))
        assert not _connects(_central_over_tls(broker, port, BrokerTls(ca_file=pki["ca.crt"])))
