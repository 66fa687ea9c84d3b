"""``gridwatch demo``: broker, central and one edge on the sample clip, on one machine.

With ``--console`` the alerts wait for a person in the web console (no auto-verify): the demo
prints the console's address and login, and keeps running after the clip until Ctrl-C.

Runs on embedded defaults — the example configs in ``configs/`` with the broker, database and
clip swapped for local ones — so that a fresh machine shows real alerts becoming cases without
any configuration. The last line printed is one JSON object with the counts.
"""

from __future__ import annotations

import json
import secrets
import socket
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path

import yaml

from gridwatch import demo_sensor
from gridwatch.api_server import ApiServer
from gridwatch.mosquitto import BrokerUnavailableError, ManagedMosquitto, free_port
from gridwatch.paths import AssetPaths
from gridwatch_central.categories import load_category_map
from gridwatch_central.config import (
    AuthConfig,
    BootstrapAdmin,
    CentralConfig,
    HttpConfig,
    load_central_config,
)
from gridwatch_central.routing import AutoVerifyRule, load_routing_config
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.messages import EventType, GeoPoint
from gridwatch_edge.config import EdgeConfig, load_edge_config
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.requests import RequestHandler
from gridwatch_edge.runtime import EdgeRuntime

DEMO_CLIP = "vtest.avi"
# After the edge stops, alerts still in flight need a moment to be stored; 10 s is generous
# for a loopback broker and a local SQLite file.
DRAIN_TIMEOUT_S = 10.0
# How often the demo prints progress while it runs.
PROGRESS_INTERVAL_S = 5.0
# Where the demo camera stands when its configuration says nothing (configs/edge.example.yaml
# places it in the example district).
DEMO_LAT, DEMO_LON = 30.2290, 108.3985
# How long the edge may take to reach the broker before the demo gives up.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seconds: float | None
    http_port: int
    data_dir: Path | None
    broker_url: str | None = None
    # Alerts wait in the console's queue for a person (no auto-verify of crowds).
    console: bool = False


class DemoSetupError(RuntimeError):
    """Something the demo needs is missing; the message says what and how to get it."""


@dataclass(frozen=True, slots=True)
class DemoPlan:
    edge: EdgeConfig
    central: CentralConfig
    detector: Detector


def run_demo(options: DemoOptions, paths: AssetPaths, *, stop: threading.Event) -> int:
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="gridwatch-demo-"))
    try:
        plan = prepare(options, paths, data_dir)
        with ExitStack() as stack:
            summary = _run(plan, options, stack, stop)
    except (DemoSetupError, EdgeError, BrokerUnavailableError) as error:
        print(f"gridwatch demo: {error}", file=sys.stderr)
        return 2
    print(f"data (database, snapshots): {data_dir}")
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def prepare(options: DemoOptions, paths: AssetPaths, data_dir: Path) -> DemoPlan:
    """Check every asset and load the detector before anything starts."""
    clip = paths.find_sample(DEMO_CLIP)
    if clip is None:
        searched = ", ".join(str(d) for d in paths.samples_dirs)
        raise DemoSetupError(
            f"sample clip {DEMO_CLIP} not found (searched {searched}).\n"
            "  It ships in Debian's opencv-doc package: 'sudo apt-get install opencv-doc'"
            " installs /usr/share/doc/opencv-doc/examples/data/vtest.avi;\n"
            "  or set GRIDWATCH_SAMPLES_DIR to the folder that holds it."
        )
    edge = load_edge_config(paths.configs_dir / "edge.example.yaml")
    camera = edge.cameras[0].model_copy(update={"url": str(clip.resolve())})
    outbox = edge.outbox.model_copy(update={"path": (data_dir / "edge-outbox.db").resolve()})
    edge = edge.model_copy(update={"edge_id": "demo-edge", "cameras": [camera], "outbox": outbox})
    detector = load_detector(
        edge.detector, models_dir=paths.models_dir, manifest_dirs=list(paths.manifest_dirs)
    )
    central = load_central_config(paths.configs_dir / "central.example.yaml")
    central = central.model_copy(
        update={
            "database_url": f"sqlite:///{(data_dir / 'central.db').resolve()}",
            "snapshot_dir": (data_dir / "snapshots").resolve(),
            "grid_file": (paths.configs_dir / "grid" / "example-district.geojson").resolve(),
            "routing_file": (
                (paths.configs_dir / "routing.yaml").resolve()
                if options.console
                else crowd_auto_verifying_routing(paths.configs_dir / "routing.yaml", data_dir)
            ),
            "http": HttpConfig(host="127.0.0.1", port=_usable_port(options.http_port)),
            "sensors": central.sensors.model_copy(
                update={"types_file": (paths.configs_dir / "sensor_types.yaml").resolve()}
            ),
            # The demo's camera is a file on this machine registered at 127.0.0.1 (central
            # never opens it): loopback allow-listed explicitly, and a camera key of the run's own.
            "onboarding": central.onboarding.model_copy(
                update={
                    "key_file": (data_dir / "camera.key").resolve(),
                    "url_policy": UrlPolicy(allow_cidrs=[ip_network("127.0.0.0/8")]),
                }
            ),
            # A fresh admin password per demo run, printed at start: the API is never open.
            "auth": AuthConfig(
                jwt_secret=secrets.token_urlsafe(32),
                bootstrap_admin=BootstrapAdmin(password=secrets.token_urlsafe(12)),
            ),
        }
    )
    return DemoPlan(edge=edge, central=central, detector=detector)


def crowd_auto_verifying_routing(base: Path, data_dir: Path) -> Path:
    """The routing file with crowds verifying themselves, written into ``data_dir``.

    A real deployment leaves crowds to an operator's review; the demo has nobody at the
    console, so its crowd incidents become cases at once and the user can open them.
    """
    routing = load_routing_config(base)
    crowd = load_category_map(None).category_for(EventType.CROWD).code
    rule = AutoVerifyRule(category=crowd, min_confidence=0.0)
    routing = routing.model_copy(update={"auto_verify": [*routing.auto_verify, rule]})
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / "routing.demo.yaml").resolve()
    document = routing.model_dump(mode="json")
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _run(
    plan: DemoPlan, options: DemoOptions, stack: ExitStack, stop: threading.Event
) -> dict[str, object]:
    started = time.monotonic()
    broker = _start_broker(options, stack, plan.edge.edge_id)
    central_config = plan.central.model_copy(update={"broker": broker.central})
    central = CentralRuntime(central_config)
    central.start()
    stack.callback(central.stop)
    api = ApiServer(central.app, central_config.http.host, central_config.http.port)
    api.start()
    stack.callback(api.stop)
    print(f"broker:  {broker.central.display()}")
    for line in broker.accounts:
        print(line)
    print(f"central: {api.url}/api/v1/cases  (alerts: {api.url}/api/v1/alerts)")
    _print_login(central, central_config)
    if options.console:
        _print_console(api.url, central_config)

    edge_config = plan.edge.model_copy(update={"broker": broker.edge})
    outbox = open_outbox(edge_config.outbox)
    stack.callback(outbox.close)
    publisher = MqttPublisher.for_edge(edge_config, outbox)
    publisher.start()
    stack.callback(publisher.close)
    if not publisher.wait_connected(CONNECT_TIMEOUT_S):
        raise DemoSetupError(f"the edge could not connect to the broker at {broker.edge.display()}")
    edge = EdgeRuntime(
        edge_config, detector=plan.detector, sink=publisher, stats_publisher=publisher
    )
    requests = RequestHandler.for_edge(edge_config, edge)
    requests.start()
    stack.callback(requests.close)
    camera = edge_config.cameras[0]
    location = camera.location or GeoPoint(lat=DEMO_LAT, lon=DEMO_LON)
    # Gas becomes a case at once; in console mode a smoke alarm waits for the operator.
    demo = demo_sensor.SMOKE if options.console else demo_sensor.GAS
    demo_sensor.register(
        central, demo, camera.id, edge_config.edge_id, (location.lat, location.lon)
    )
    edge.start()
    print(f"edge:    camera {camera.id} playing {camera.url}")
    sensor = demo_sensor.play(central, demo, edge, camera.id, broker.gateway)
    print(
        f"sensor:  {demo.name} {demo.id} beside {camera.id}: case {sensor.case_number},"
        f" camera picture {api.url}{sensor.picture_url}",
        flush=True,
    )
    _watch(edge, central, options.seconds, stop, started)

    edge.stop()
    publisher.drain(DRAIN_TIMEOUT_S)
    publisher.close()
    published = sum(camera.alerts for camera in edge.camera_stats())
    _drain(central, published)
    counts = central.summary()
    return {
        **counts,
        "alerts_published": published,
        "frames_analysed": sum(camera.frames_analysed for camera in edge.camera_stats()),
        "seconds": round(time.monotonic() - started, 1),
        "api": api.url,
        "sensor_case": sensor.case_number,
        "sensor_picture": sensor.picture_url,
    }


def _print_login(central: CentralRuntime, config: CentralConfig) -> None:
    admin = config.auth.bootstrap_admin
    if admin.password is None:
        return
    token = central.auth.login(admin.username, admin.password.get_secret_value()).access_token
    print(f"login:   {admin.username} / {admin.password.get_secret_value()}")
    print(f"token:   curl -H 'Authorization: Bearer {token}' ...", flush=True)


def _print_console(url: str, config: CentralConfig) -> None:
    """Where the newcomer goes: the console, its login, and the first minute's clicks."""
    admin = config.auth.bootstrap_admin
    password = admin.password.get_secret_value() if admin.password is not None else "(see above)"
    print(f"console: {url}/console/   登录 login: {admin.username} / {password}")
    print(
        "         告警受理: V 核实立案 (verify) · F 误报 · D 重复;"
        " 案件看板 → 案件 → 派遣 → 受理 → 反馈 → 核查结案",
        flush=True,
    )


@dataclass(frozen=True, slots=True)
class DemoBroker:
    central: BrokerConfig
    edge: BrokerConfig
    gateway: BrokerConfig  # the demo's sensor gateway
    accounts: list[str]  # lines to print


def _start_broker(options: DemoOptions, stack: ExitStack, edge_id: str) -> DemoBroker:
    """GRIDWATCH_MQTT_URL's broker as it is, else a private one secured like a real one:
    central and the edge each log in with the account generated for them."""
    if options.broker_url:
        broker = BrokerConfig.from_url(options.broker_url)
        return DemoBroker(central=broker, edge=broker, gateway=broker, accounts=[])
    mosquitto = stack.enter_context(ManagedMosquitto(secure=True, edge_ids=[edge_id]))
    accounts = mosquitto.accounts
    edge = accounts.edges[edge_id]
    gateway = demo_sensor.gateway_account(mosquitto.config_for(accounts.admin))
    return DemoBroker(
        central=mosquitto.config_for(accounts.central),
        edge=mosquitto.config_for(edge),
        gateway=gateway,
        accounts=[
            f"         account {accounts.central.username} / {accounts.central.password}",
            f"         account {edge.username} / {edge.password}",
            f"         account {accounts.admin.username} / {accounts.admin.password}"
            " (gridwatch broker add-edge ...)",
            f"         account {gateway.username} (the demo's sensor gateway)",
        ],
    )


def _watch(
    edge: EdgeRuntime,
    central: CentralRuntime,
    seconds: float | None,
    stop: threading.Event,
    started: float,
) -> None:
    """Block until ``seconds`` passed or a stop signal; report progress meanwhile."""
    deadline = None if seconds is None else started + seconds
    clip_done = False
    last: dict[str, int] = {}
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return
        wait = PROGRESS_INTERVAL_S if deadline is None else min(PROGRESS_INTERVAL_S, deadline - now)
        finished = edge.wait(wait)
        counts = central.summary()
        if counts != last:
            print(f"[{time.monotonic() - started:5.1f} s] {_describe(counts)}", flush=True)
            last = counts
        if finished and not clip_done:
            clip_done = True
            hint = "" if deadline is not None else "; Ctrl-C to stop"
            print(f"clip finished{hint}", flush=True)


def _drain(central: CentralRuntime, published: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        if central.summary()["alerts"] >= published:
            return
        time.sleep(0.1)


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in counts.items())


def _usable_port(preferred: int) -> int:
    """The preferred API port if it is free, else any free one (printed to the user)."""
    if preferred == 0:
        return free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred
