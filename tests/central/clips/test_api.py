"""Clips through the API: pending until they arrive, then played with range requests, scoped
like their alerts (street A never fetches street B's clip), kept while evidence."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import GeoPoint
from tests.central.api.clients import admin_client, login
from tests.central.case_loop_helpers import ManualClock
from tests.central.clips.conftest import CAMERA_ID, EDGE_ID, RealClip, chunks
from tests.central.helpers import make_alert

STREET_A = "500240101"
STREET_B = "500240102"
POINT_A = GeoPoint(lat=30.2290, lon=108.3985)
POINT_B = GeoPoint(lat=30.2250, lon=108.4150)


def _alert_with_clip(
    runtime: CentralRuntime, point: GeoPoint, *, verify: bool = False
) -> tuple[uuid.UUID, int | None, uuid.UUID]:
    """A crowd alert announcing a clip, verified into a case if asked; (alert, case, clip)."""
    clip_id = uuid.uuid4()
    alert = make_alert(location=point, clip_id=clip_id, edge_id=EDGE_ID, camera_id=CAMERA_ID)
    topic = runtime.config.broker.topics.alert(EDGE_ID, CAMERA_ID, "crowd")
    outcome = runtime.ingest.handle(topic, encode_message(alert))
    assert outcome.status == "stored"
    if not verify:
        return alert.alert_id, None, clip_id
    verified = admin_client(runtime).post(
        f"/api/v1/incidents/{outcome.incident_id}/verify", json={}
    )
    assert verified.status_code == 200, verified.text
    return alert.alert_id, verified.json()["case"]["id"], clip_id


def _upload(runtime: CentralRuntime, clip: RealClip, clip_id: uuid.UUID) -> None:
    topic = runtime.config.broker.topics.clip_data(EDGE_ID, CAMERA_ID)
    statuses = []
    for payload in chunks(clip, clip_id, uuid.uuid4()):
        receipt = runtime.clip_ingest.handle(topic, payload)
        assert receipt is not None
        statuses.append(receipt.ack.status)
    assert statuses[-1] == "stored"


def _operator(runtime: CentralRuntime, name: str, prefix: str) -> TestClient:
    body = {"username": name, "password": f"{name}-pw-123", "role": "operator"}
    created = admin_client(runtime).post(
        "/api/v1/admin/users", json=body | {"grid_prefixes": [prefix]}
    )
    assert created.status_code == 201, created.text
    client = TestClient(runtime.app)
    login(client, name, f"{name}-pw-123")
    return client


def test_a_clip_is_pending_until_it_arrives_then_stored_on_alert_incident_and_case(
    runtime: CentralRuntime, real_clip: RealClip
) -> None:
    alert_id, case_id, clip_id = _alert_with_clip(runtime, POINT_A, verify=True)
    admin = admin_client(runtime)
    pending = admin.get(f"/api/v1/alerts/{alert_id}").json()["clip"]
    assert (pending["clip_id"], pending["status"], pending["video_url"]) == (
        str(clip_id),
        "pending",
        None,
    )

    _upload(runtime, real_clip, clip_id)
    clip = admin.get(f"/api/v1/alerts/{alert_id}").json()["clip"]
    assert clip["status"] == "stored"
    assert clip["duration_s"] == (real_clip.info.ends_at - real_clip.info.starts_at).total_seconds()
    assert clip["event_at"].startswith(real_clip.info.event_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert clip["video_url"] == f"/api/v1/clips/{clip_id}/video"
    case = admin.get(f"/api/v1/cases/{case_id}").json()
    assert [a["clip"]["status"] for a in case["alerts"]] == ["stored"]
    incident_id = case["incident_id"]
    incident = admin.get(f"/api/v1/incidents/{incident_id}").json()
    assert [a["clip"]["clip_id"] for a in incident["alerts"]] == [str(clip_id)]


def test_range_requests_serve_the_right_bytes(runtime: CentralRuntime, real_clip: RealClip) -> None:
    _alert, _case, clip_id = _alert_with_clip(runtime, POINT_A)
    _upload(runtime, real_clip, clip_id)
    admin = admin_client(runtime)
    url = f"/api/v1/clips/{clip_id}/video"

    whole = admin.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == real_clip.data

    part = admin.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == real_clip.data[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(real_clip.data)}"
    tail = admin.get(url, headers={"Range": "bytes=-500"})
    assert tail.content == real_clip.data[-500:]
    beyond = admin.get(url, headers={"Range": f"bytes={len(real_clip.data) + 10}-"})
    assert beyond.status_code == 416


def test_the_access_link_plays_that_clip_only_without_credentials(
    runtime: CentralRuntime, real_clip: RealClip
) -> None:
    _a, _c, clip_id = _alert_with_clip(runtime, POINT_A)
    _a2, _c2, other_id = _alert_with_clip(runtime, POINT_A)
    _upload(runtime, real_clip, clip_id)
    _upload(runtime, real_clip, other_id)
    link = admin_client(runtime).get(f"/api/v1/clips/{clip_id}").json()["video_url"]
    assert "?access=" in link

    browser = TestClient(runtime.app)  # a <video> element: no Authorization header
    played = browser.get(link, headers={"Range": "bytes=0-99"})
    assert played.status_code == 206
    assert played.content == real_clip.data[:100]
    token = link.split("?access=")[1]
    other = browser.get(f"/api/v1/clips/{other_id}/video?access={token}")
    assert other.status_code == 401
    assert browser.get(f"/api/v1/clips/{clip_id}/video").status_code == 401


def test_street_a_cannot_fetch_street_b_clip(runtime: CentralRuntime, real_clip: RealClip) -> None:
    _a, _c, clip_a = _alert_with_clip(runtime, POINT_A)
    _b, _c2, clip_b = _alert_with_clip(runtime, POINT_B)
    _upload(runtime, real_clip, clip_a)
    _upload(runtime, real_clip, clip_b)
    street_a = _operator(runtime, "op-a", STREET_A)

    assert street_a.get(f"/api/v1/clips/{clip_a}").status_code == 200
    assert street_a.get(f"/api/v1/clips/{clip_a}/video").status_code == 200
    for url in (f"/api/v1/clips/{clip_b}", f"/api/v1/clips/{clip_b}/video"):
        refused = street_a.get(url)
        assert refused.status_code == 404, url  # exactly like a clip that does not exist
    assert street_a.get(f"/api/v1/clips/{uuid.uuid4()}").status_code == 404


def test_retention_keeps_the_clips_of_open_cases_only(
    loop_runtime: CentralRuntime, clock: ManualClock, real_clip: RealClip
) -> None:
    runtime = loop_runtime
    _alert, case_id, finished = _alert_with_clip(runtime, POINT_A, verify=True)
    _upload(runtime, real_clip, finished)
    admin = admin_client(runtime)
    voided = admin.post(f"/api/v1/cases/{case_id}/void", json={"reason": "test: no case"})
    assert voided.status_code == 200, voided.text
    _a2, _c2, evidence = _alert_with_clip(runtime, POINT_B, verify=True)  # case still open
    _upload(runtime, real_clip, evidence)
    days = runtime.config.snapshot_retention_days
    assert days is not None
    clock.now += timedelta(days=days + 1)

    report = runtime.prune_clips()
    assert (report.deleted, report.kept_referenced) == (1, 1)
    assert report.freed_bytes == len(real_clip.data)
    assert admin.get(f"/api/v1/clips/{finished}").json()["status"] == "expired"
    assert admin.get(f"/api/v1/clips/{finished}/video").status_code == 404
    assert admin.get(f"/api/v1/clips/{evidence}").json()["status"] == "stored"
