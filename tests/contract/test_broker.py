from __future__ import annotations

import pytest

from gridwatch_contract.broker import BrokerConfig, redact_url


def test_broker_url_with_credentials_is_parsed_and_never_displayed() -> None:
    config = BrokerConfig.from_url("mqtt://edge%2D1:s3cr%40t@broker.lan:8883", topic_prefix="gw")
    assert (config.host, config.port, config.username) == ("broker.lan", 8883, "edge-1")
    assert config.password is not None
    assert config.password.get_secret_value() == "s3cr@t"
    assert "s3cr" not in config.display()
    assert "s3cr" not in repr(config)
    assert config.topics.prefix == "gw"


@pytest.mark.parametrize("url", ["http://host", "mqtt://", "host:1883"])
def test_bad_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="mqtt://host:port"):
        BrokerConfig.from_url(url)


def test_redact_url_hides_user_info() -> None:
    assert redact_url("rtsp://admin:12345@10.0.0.5:554/ch1") == "rtsp://***@10.0.0.5:554/ch1"
    assert redact_url("rtsp://10.0.0.5/ch1") == "rtsp://10.0.0.5/ch1"


def test_client_ids_differ_between_deployments_on_one_broker() -> None:
    city = BrokerConfig(topic_prefix="city/a").client_id("edge", "box-1")
    other = BrokerConfig(topic_prefix="city/b").client_id("edge", "box-1")
    assert city == "city_a-edge-box-1"
    assert city != other
