"""Central's configuration: one pydantic model, loaded once at the composition root."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from gridwatch_central.grid.codes import GridCodeScheme
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES
from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model


class ConfigError(ConfigFileError):
    """A configuration file that cannot be used, with file, key and problem in the message."""


class HttpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


class BootstrapAdmin(BaseModel):
    """The first admin, created at start when no admin exists yet (never overwritten)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(default="admin", min_length=1, max_length=64)
    # None: taken from the environment variable GRIDWATCH_ADMIN_PASSWORD, if set.
    password: SecretStr | None = None


class LoginThrottleConfig(BaseModel):
    """Failed logins tolerated before a lockout, per account and per client address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Five wrong passwords within the window is past any typo; guessing at that pace finds
    # nothing (NIST SP 800-63B allows at most 100 before locking).
    account_failures: int = Field(default=5, ge=1, le=100)
    # One address may be a whole office behind NAT, so it gets more; it still stops one
    # machine trying many accounts (password spraying).
    address_failures: int = Field(default=20, ge=1, le=1000)
    # Failures count within this window (15 min) since the first of them.
    window_s: float = Field(default=900, gt=0, le=86400)
    # A lockout ends by itself after this (15 min) or when an admin clears it; a permanent
    # lockout would let anyone shut a user out by typing wrong passwords for them.
    lockout_s: float = Field(default=900, gt=0, le=86400)


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # False only for a closed lab network: every request then acts as an unrestricted admin.
    enabled: bool = True
    # HS256 signing key shared by every central process. None: a random key per process (a
    # restart logs everyone out and tokens do not work across processes), with a warning.
    jwt_secret: SecretStr | None = None
    # One shift (8 h) of a command-centre operator; they log in again at the next shift.
    token_ttl_minutes: int = Field(default=480, gt=0)
    # How long a caller's role, scope and active flag are reused without reading the database.
    # Every request otherwise pays a user lookup; 5 s is invisible to people, and a user
    # disabled (or a key revoked) on another central process stops working within it. This
    # process applies its own changes at once. 0 reads the database on every request.
    principal_cache_s: float = Field(default=5.0, ge=0, le=300)
    bootstrap_admin: BootstrapAdmin = Field(default_factory=BootstrapAdmin)
    login_throttle: LoginThrottleConfig = Field(default_factory=LoginThrottleConfig)


class ConsoleConfig(BaseModel):
    """The operators' web console (``/console``), served by central next to the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Where ``npm ci`` put the pinned browser libraries (htmx, Leaflet, ECharts); None: the
    # node_modules folder beside gridwatch_central/web/vendor/package.json.
    vendor_dir: Path | None = None
    # Map tiles under the grid polygons, e.g. an intranet tile server's
    # "https://tiles.example/{z}/{x}/{y}.png"; None draws the polygons on a plain background
    # (no internet at run time).
    tile_url: str | None = None
    # Send the session cookie only over HTTPS: set it when central is behind TLS.
    secure_cookie: bool = False
    # How often each central process looks for new incidents for the live queue. Half a second
    # keeps an alert within ~1 s of the screen, at one tiny indexed query per interval.
    live_poll_s: float = Field(default=0.5, gt=0, le=10)
    # Incidents the queue shows at once; the rest follow as cards are cleared.
    queue_size: int = Field(default=200, ge=1, le=1000)
    # Largest photo attached to a case action (反馈): phone photos are 2-6 MB.
    max_photo_bytes: int = Field(default=8 * 1024 * 1024, gt=0)


class EdgeMonitorConfig(BaseModel):
    """How central judges the edges' health from their status and stats topics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # An edge that sent no status or stats for this many of its stats intervals is shown
    # offline even if the broker never published its last will (a broker restart loses the
    # will of every connection it had). 3 tolerates two lost stats messages (QoS 0) in a row.
    stale_after_intervals: float = Field(default=3, ge=1)
    # The interval assumed for an edge that does not report its own (older edges); the edge
    # default (stats_interval_s in the edge config) is 30 s.
    default_stats_interval_s: float = Field(default=30, gt=0)
    # Status and stats messages waiting to be stored, per central process. A stats message is
    # dropped (and counted) when the queue is full: the next one of that edge replaces it.
    queue_size: int = Field(default=10_000, ge=1)


class SensorsConfig(BaseModel):
    """IoT sensors (docs/sensors.md): their types, camera linkage and ingest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Types, thresholds, categories and heartbeats (configs/sensor_types.yaml documents it).
    types_file: Path = Path("configs/sensor_types.yaml")
    # A sensor without explicit cameras is linked to every camera within this distance (and to
    # every camera whose calibrated ground footprint holds it). 60 m is what a street camera
    # shows recognisably; farther, a picture shows the place but not the manhole.
    link_radius_m: float = Field(default=60, gt=0, le=5000)
    # How long a linked camera's edge has to answer with a picture. Under the 5 s promise from
    # alarm to picture: an edge on a LAN answers in well under a second, and one that has not
    # answered in 4 s is noted as timed out instead of holding the alarm's evidence hostage.
    linkage_timeout_s: float = Field(default=4.0, gt=0, le=60)
    # Pictures for alarms are scaled down to this width: evidence, not the full 4K frame.
    snapshot_max_width: int | None = Field(default=1280, ge=32, le=16384)
    # Largest run of batches stored in one transaction (each up to 500 records): batches are
    # small, so 200 bounds one transaction at ~100k records while letting a backlog catch up.
    ingest_batch_max: int = Field(default=200, ge=1, le=5000)


class OnboardingConfig(BaseModel):
    """Cameras configured from central and pushed to their edges (docs/integrator.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The Fernet key that encrypts camera stream URLs (their credentials) at rest. The
    # GRIDWATCH_CAMERA_KEY environment variable, when set, wins; without either, every camera
    # write fails with an error saying how to make one (``gridwatch central camera-key``).
    key_file: Path | None = None
    url_policy: UrlPolicy = Field(default_factory=UrlPolicy)
    # Publish each edge's config on every camera change. Off: cameras are only stored (edges
    # configured by their own YAML, as before central owned camera configs).
    publish_configs: bool = True
    # A config that could not be published (broker away) is retried this often.
    republish_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # The broker's dynamic-security admin account: registering an edge then creates its
    # broker account too. Absent: generated credentials are returned for the broker's operator.
    broker_admin: BrokerConfig | None = None


class CentralConfig(BaseModel):
    """Everything central needs. Relative paths are relative to the working directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/gridwatch/central.db"
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    share_group: str = "central"
    # A stable client id plus a persistent session lets a restarted central receive the QoS 1
    # alerts it had been sent but never acked; None derives one from the host name.
    client_id: str | None = None
    # How long the broker keeps this process's session after its connection is gone. Mosquitto
    # (2.0.11, measured) keeps routing this process's share of the $share stream to a session
    # whose client is gone, and when the session expires it drops what it holds there instead
    # of handing it to another member; only the edge's resend (15 s after the first send, then
    # doubling) brings those alerts back. 3600 s let a dead worker swallow half the stream for
    # an hour. 10 s survives a reconnect (and, with a fixed client_id, a quick restart), and is
    # shorter than the edge's first resend, which then already finds the session gone and
    # reaches a live member: a worker that never returns (or a restarted one, whose new random
    # client id starts a new session) costs the alerts routed to its old session one resend,
    # ~15 s (benchmarks/faults.py, docs/ingest-reliability.md).
    session_expiry_s: int = Field(default=10, ge=0)
    # Imported into the database at start when its content differs from the last import of this
    # file; a grid imported later through the API stays in force until the file changes.
    grid_file: Path
    grid_code_scheme: GridCodeScheme = Field(default_factory=GridCodeScheme)
    # How long a grid or camera change made by another central process may take to reach this
    # one: a few seconds is invisible to operators and costs one tiny query per interval.
    geography_refresh_s: float = Field(default=5, gt=0)
    # Category table (GB/T 47678.5 codes) and event type mapping; None uses the built-in table.
    categories_file: Path | None = None
    # Cameras registered at start if not registered yet (YAML, see configs/cameras.*.yaml).
    cameras_file: Path | None = None
    # Case routing: categories, departments, time limits, staff (see configs/routing.yaml).
    routing_file: Path = Path("configs/routing.yaml")
    snapshot_dir: Path = Path("var/gridwatch/snapshots")
    http: HttpConfig = Field(default_factory=HttpConfig)
    max_payload_bytes: int = Field(default=DEFAULT_MAX_PAYLOAD_BYTES, gt=0)
    # Case numbers carry the local date of the office that handles them, not the UTC date.
    timezone: str = "Asia/Shanghai"
    # How long start() waits for the broker to confirm the subscription before failing loudly.
    subscribe_timeout_s: float = Field(default=10, gt=0)
    # Requests to edges (live snapshots) waiting for an answer at once; more fail "busy" at
    # once. Each edge answers one at a time in a few ms, so 256 covers every console user and
    # the linked cameras of a burst of sensor alarms.
    edge_requests_max_outstanding: int = Field(default=256, ge=1, le=100_000)

    # --- access, ingest scale and storage ---
    auth: AuthConfig = Field(default_factory=AuthConfig)
    edges: EdgeMonitorConfig = Field(default_factory=EdgeMonitorConfig)
    # Largest alert batch stored in one transaction; a batch is whatever queued up meanwhile,
    # so at low rates it is one alert. The cap only matters under load, where a batch costs a
    # dozen round trips and one commit whatever its size: 500 lets a storer that fell behind
    # catch up with fewer, larger transactions (at 3000 alerts/s a cycle may take ~160 ms
    # before the queue grows). The consumer lets the broker send two batches unacknowledged,
    # 1000 x ~70 KB (payload and decoded snapshot) = ~70 MB at most.
    ingest_batch_max: int = Field(default=500, ge=1, le=5000)
    # /healthz reports ingest unhealthy when a delivery has waited this long unacknowledged.
    # A batch commits in well under a second even under load, and an outage is reported on
    # its own; a minute without an ack means ingest is stuck, whatever the reason.
    ingest_stall_after_s: float = Field(default=60, gt=0)
    # Flush snapshot packs to disk once per batch before the commit that indexes their images.
    snapshot_sync: bool = True
    # A new snapshot pack file after this many bytes (and every hour). 64 MiB is ~2000 images
    # of 30 KB: one file creation per 2000 images costs nothing next to the appends, while an
    # image that is evidence of an open case keeps at most 64 MiB beyond retention.
    snapshot_pack_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # Snapshots older than this and not evidence of an open case are deleted; None keeps all.
    # 90 days covers the usual 季度 (quarterly) review of closed cases.
    snapshot_retention_days: float | None = Field(default=90, gt=0)
    # How often each process runs retention (deleting is idempotent across processes).
    snapshot_prune_interval_s: float = Field(default=3600, gt=0)
    # Evidence clips (docs/clips.md) live beside the snapshots, under the same retention
    # (snapshot_retention_days, kept while evidence of an open case). None: snapshot_dir/clips.
    # Every central process must see the same folder: a clip's chunks may reach several.
    clip_dir: Path | None = None
    # An upload no chunk has reached for this long is deleted; the edge gives a clip up after
    # its own TTL (7 days by default), so nothing that can still complete is lost.
    clip_upload_ttl_s: float = Field(default=8 * 24 * 3600, gt=0)
    # A clip's video_url carries an access token for <video src> (which sends no Authorization
    # header): 15 minutes to watch and scrub it, after which a copied link opens nothing.
    clip_link_ttl_s: float = Field(default=900, gt=0, le=86400)
    # Largest HTTP request body; larger requests get 413. The API takes small JSON bodies
    # only (logins, user admin, case actions); 1 MiB leaves room for notes and attachments' ids.
    max_request_body_bytes: int = Field(default=1024 * 1024, gt=0)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    sensors: SensorsConfig = Field(default_factory=SensorsConfig)
    onboarding: OnboardingConfig = Field(default_factory=OnboardingConfig)

    @property
    def clip_folder(self) -> Path:
        return self.clip_dir if self.clip_dir is not None else self.snapshot_dir / "clips"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value


def load_central_config(path: Path | str) -> CentralConfig:
    """Read and validate a YAML config file; raise ``ConfigError`` naming file, key and problem."""
    return load_yaml_model(CentralConfig, path, what="central configuration", error=ConfigError)
