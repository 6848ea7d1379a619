"""Settings, read from the environment (prefix ``DISPATCH_``) or a ``.env`` file.

Nothing is read at import time: call :func:`get_settings` (cached) or build a
:class:`Settings` yourself (tests and the API factory do).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'dispatch.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url, description="Any SQLAlchemy URL.")
    graph_path: Path | None = Field(default=None, description="GraphML/OSM file; default: bundled Paris graph.")
    van_speed_factor: float = Field(default=0.85, gt=0.1, le=2.0)
    max_snap_distance_m: float = Field(default=300.0, gt=0)
    solve_time_limit_s: float = Field(default=10.0, gt=0, le=3600)
    solve_seed: int = 0
    timezone: str = "Europe/Paris"
    # How often the coordinator's day page and the crews' sheets ask for news (milliseconds).
    day_page_poll_ms: int = Field(default=10000, ge=500, le=600000)
    sheet_poll_ms: int = Field(default=10000, ge=500, le=600000)
    # Crews' updates are accepted from this many days before their round's day (0: from the day itself).
    crew_updates_days_before: int = Field(default=0, ge=0, le=7)
    # Planning jobs: "inprocess" (a thread of the API, the embedded default) or "celery" (workers).
    job_backend: Literal["inprocess", "celery"] = "inprocess"
    # In-process jobs run in a child process ("process": a solve never stalls the API's requests) at this
    # lower CPU priority (nice), or in a thread of the API ("thread": tests that replace parts of the planner).
    job_isolation: Literal["process", "thread"] = "process"
    # API start-up with the database down: the queued jobs are resumed by a retry every this many seconds.
    job_resume_retry_s: float = Field(default=5.0, gt=0, le=3600)
    job_nice: int = Field(default=10, ge=0, le=19)
    # On Linux the child also runs under the SCHED_IDLE policy: it only gets CPU time no request wants (a nice
    # value alone still leaves it a share of a busy core, which shows in the requests' slowest answers).
    job_sched_idle: bool = True
    # Freeze the objects alive once an API worker has started (gc.freeze): the garbage collector's full
    # passes then skip them and stay short, instead of stalling every request for ~0.1 s now and then.
    gc_freeze: bool = True
    celery_broker_url: str = "redis://127.0.0.1:6379/0"
    celery_result_backend: str | None = None  # default: the broker
    celery_queue: str = "dispatch"
    # Stop the solver after this many improving solutions (reproducible plans); None: time limit only.
    solve_solution_limit: int | None = Field(default=None, ge=1)
    # Searches run side by side when planning a day (each in its own process, the best plan kept):
    # 0 = as many as the machine has cores, up to 2 (1 on a one-core machine, and 1 with a solution
    # limit, whose plans must be reproducible). A plan then costs about this many times its time limit in CPU.
    solve_workers: int = Field(default=0, ge=0, le=8)
    # Signs the crews' round links. Unset: generated once into var/secret_key (mode 600).
    secret_key: SecretStr | None = None
    # Public address of this service, used in links and QR codes printed on manifests and posters.
    base_url: str = "http://127.0.0.1:8000"
    # Rolling horizon: look this many collection days ahead when choosing today's relay points.
    horizon_days: int = Field(default=5, ge=1, le=20)
    # Below this expected fill, a relay point not at risk of overflowing is not needed today: it is only
    # topped up if a van passes by (optional, with a small penalty).
    min_fill_ratio: float = Field(default=0.65, ge=0, le=1)
    # Penalty (in metres of driving) for leaving a relay point at 100 % fill unvisited.
    relay_point_penalty_m: int = Field(default=25_000, ge=0)
    # The horizon rule's thresholds (dispatch/planning/horizon.py says what each one decides): a relay
    # point whose probability of being full before its next visit is at least p_mandatory must be visited
    # today; below p_skip, and under min_fill_ratio, it is not needed.
    horizon_p_mandatory: float = Field(default=0.8, gt=0, le=1)
    horizon_p_skip: float = Field(default=0.3, ge=0, le=1)
    horizon_top_up_fill_ratio: float = Field(default=0.3, ge=0, le=1)
    horizon_target_fill_ratio: float = Field(default=0.85, gt=0, le=1)
    # The horizon rule's margin for what a forecast does not know: its risks are those of the forecast with its
    # fill rate raised by this many of its standard deviations (0: the forecast as it is; docs/simulation/README.md).
    horizon_safety_sd: float = Field(default=0.75, ge=0, le=3)

    def horizon_rule(self) -> dict[str, float | int]:
        """The keyword arguments of ``horizon.decide`` that settings control (one place for them)."""
        return {"horizon_days": self.horizon_days, "penalty_m": self.relay_point_penalty_m,
                "p_mandatory": self.horizon_p_mandatory, "p_skip": self.horizon_p_skip,
                "min_fill_ratio": self.min_fill_ratio, "top_up_fill_ratio": self.horizon_top_up_fill_ratio,
                "target_fill_ratio": self.horizon_target_fill_ratio, "safety_sd": self.horizon_safety_sd}
    # Fair work (dispatch/planning/problem.py): balance the crews' working time. Off by default; a plan can ask
    # for it (API ``balance``, the day page's box, ``dispatch plan --balance``). Each second between the day's
    # first departure and last return costs like this many metres of driving.
    balance_work_time: bool = False
    balance_cost_per_s: int = Field(default=1, ge=1, le=1000)
    # Service time model.
    relay_service_fixed_s: int = 300
    relay_service_per_m3_s: int = 240
    pickup_service_fixed_s: int = 600
    pickup_service_per_m3_s: int = 300
    # The association's collection rules (JSON); default: dispatch/data/rules/default_rules.json.
    rules_file: Path | None = None
    # Multi-trip: a full van goes back to the depot to unload, then out again.
    unload_service_s: int = Field(default=1200, ge=0)
    max_unloads: int = Field(default=3, ge=0, le=10)
    # Staff sign-in (dispatch/access/auth.py): lifetime of a bearer token; donor data kept this many days;
    # requests per minute and client IP on public endpoints and on the login endpoint.
    token_ttl_minutes: int = Field(default=600, ge=1, le=60 * 24 * 90)
    retention_days: int = Field(default=365, ge=1)
    rate_limit_public_per_minute: int = Field(default=60, ge=1)
    rate_limit_login_per_minute: int = Field(default=10, ge=1)
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR networks; none by
    # default: the TCP peer is the client). api/proxies.py.
    trusted_proxies: str = ""
    # Sign-in per account (dispatch/access/signin_guard.py): after this many failures in a row, each attempt
    # waits login_backoff_s x 2^(failures - free), at most login_backoff_max_s; 429 meanwhile.
    login_free_failures: int = Field(default=5, ge=1, le=100)
    login_backoff_s: float = Field(default=2.0, gt=0)
    login_backoff_max_s: float = Field(default=900.0, gt=0)
    # The public pickup form (/donner) and donor tracking: per phone number, at most this many submissions
    # per hour (the per-address limit is rate_limit_public_per_minute).
    rate_limit_phone_per_hour: int = Field(default=5, ge=1)
    # The public booking's abuse guard (dispatch/access/booking_guard.py): open requests per phone number,
    # online requests per day (the switchboard releases more through /api/v1/online-bookings).
    online_max_open_per_phone: int = Field(default=3, ge=1)
    online_daily_cap: int = Field(default=300, ge=0)
    # Reliability: a request body larger than this is refused with 413 (api/limits.py).
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Data exchange (dispatch/exchange/csv_import.py, dispatch/exchange/webhooks.py): CSV import limits; webhook delivery
    # (the API's delivery thread wakes every interval; 0 disables it), retries with exponential backoff.
    import_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=5000, ge=1)
    webhook_delivery_interval_s: float = Field(default=5.0, ge=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_s: float = Field(default=30.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Webhooks reach outside addresses only (dispatch/exchange/webhook_targets.py); these comma-separated
    # lists name the inside receivers allowed all the same: exact host names, and CIDR networks
    # (e.g. "10.20.0.0/16", "127.0.0.1/32" for a receiver on this machine). Empty by default.
    webhook_allow_hosts: str = ""
    webhook_allow_networks: str = ""
    # Donor messages (dispatch/messages/): e-mail over SMTP, SMS through an HTTP gateway. A channel left unset
    # is not used (its messages are marked "skipped"). Delivery: a thread of the API every interval (0
    # disables it), or `dispatch messages deliver`; retries with exponential backoff, then "failed".
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_ca_file: Path | None = None  # trust this CA (PEM) for STARTTLS, e.g. an internal relay; default: the system's
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "Emmaus Defi Amistock <ne-pas-repondre@amistock.example>"
    sms_gateway_url: str | None = None
    sms_gateway_secret: SecretStr | None = None
    messages_delivery_interval_s: float = Field(default=10.0, ge=0)
    messages_max_attempts: int = Field(default=8, ge=1, le=50)
    messages_backoff_s: float = Field(default=60.0, gt=0)
    messages_timeout_s: float = Field(default=10.0, gt=0, le=120)

    # Address search (dispatch/addresses): "offline" (the BAN address index file, the embedded default) or "http"
    # (a server speaking the BAN API: /search/, /reverse/). The index is built by `dispatch addresses import
    # adresses-75.csv.gz`; while it does not exist, the bundled extract of the demo's addresses is used.
    geocoder: Literal["offline", "http"] = "offline"
    address_index_path: Path | None = Field(default=None, description="default: var/addresses.csv.gz")
    geocoder_url: str | None = Field(default=None, description="base URL of a BAN API server, e.g. https://host/")
    geocoder_timeout_s: float = Field(default=3.0, gt=0, le=60)
    geocoder_retries: int = Field(default=2, ge=0, le=10)
    # An address typed alone (no lat/lon) is accepted from this score (0-1) and within this distance of a street.
    geocoder_min_score: float = Field(default=0.6, ge=0, le=1)
    address_max_road_distance_m: float = Field(default=250.0, gt=0)
    rate_limit_addresses_per_minute: int = Field(default=300, ge=1)

    def address_index_file(self) -> Path:
        """The offline address index file (it may not exist yet)."""
        return self.address_index_path or Path.cwd() / "var" / "addresses.csv.gz"

    def relay_service_s(self, volume_m3: float) -> int:
        """Service time at a relay point collecting ``volume_m3``."""
        return self.relay_service_fixed_s + round(self.relay_service_per_m3_s * volume_m3)

    def pickup_service_s(self, volume_m3: float) -> int:
        """Service time of a home pickup of ``volume_m3``."""
        return self.pickup_service_fixed_s + round(self.pickup_service_per_m3_s * volume_m3)

    @model_validator(mode="after")
    def _geocoder_needs_url(self) -> Settings:
        if self.geocoder == "http" and not self.geocoder_url:
            raise ValueError("DISPATCH_GEOCODER=http needs DISPATCH_GEOCODER_URL (the BAN API server's base URL), "
                             "or set DISPATCH_GEOCODER=offline")
        return self

    @field_validator("geocoder_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL (check DISPATCH_GEOCODER_URL)")
        return value

    @field_validator("webhook_allow_networks", "trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{item.strip()!r} is not a network: write e.g. 10.20.0.0/16 "
                                     "(DISPATCH_WEBHOOK_ALLOW_NETWORKS / DISPATCH_TRUSTED_PROXIES, comma-separated)") from None
        return value

    @field_validator("graph_path", "rules_file", "smtp_ca_file")
    @classmethod
    def _graph_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"file {value} does not exist (check DISPATCH_GRAPH_PATH / DISPATCH_RULES_FILE / DISPATCH_SMTP_CA_FILE)")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
