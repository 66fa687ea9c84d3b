from __future__ import annotations

import pytest

from gridwatch_contract.topics import Topics


def test_topics_live_under_one_versioned_prefix() -> None:
    topics = Topics("city/haidian")
    assert topics.alert("edge-1", "cam-2", "crowd") == "city/haidian/v1/alerts/edge-1/cam-2/crowd"
    assert topics.all_alerts() == "city/haidian/v1/alerts/+/+/+"
    assert topics.edge_status("edge-1") == "city/haidian/v1/edges/edge-1/status"
    assert topics.edge_stats("edge-1") == "city/haidian/v1/edges/edge-1/stats"
    assert topics.alert_acks("edge-1") == "city/haidian/v1/edges/edge-1/acks"
    assert topics.edge_config("edge-1") == "city/haidian/v1/edges/edge-1/config"
    # The filters the broker's roles are built from.
    assert topics.edge_alerts("edge-1") == "city/haidian/v1/alerts/edge-1/+/+"
    assert topics.all_alert_acks() == "city/haidian/v1/edges/+/acks"
    assert topics.all_edge_configs() == "city/haidian/v1/edges/+/config"


def test_shared_subscription_wraps_a_filter() -> None:
    topics = Topics()
    assert (
        Topics.shared("central", topics.all_alerts()) == "$share/central/gridwatch/v1/alerts/+/+/+"
    )


@pytest.mark.parametrize("bad", ["", "a/+", "#", "a//b", "$SYS"])
def test_bad_prefixes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        Topics(bad)


@pytest.mark.parametrize("bad_id", ["cam/1", "cam+", "#", "", "-cam", "x" * 65, "摄像头"])
def test_ids_that_would_break_topics_are_refused(bad_id: str) -> None:
    with pytest.raises(ValueError, match="camera_id"):
        Topics().alert("edge-1", bad_id, "crowd")
