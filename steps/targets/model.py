"""A target file's TOML as pydantic models: the one validator of every table and key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from metasim.steps.targets.settings import SETTINGS

CHANNELS = ("wa", "ig", "msg")
# Capabilities a scenario can require with a @needs-<capability> tag.
CAPABILITIES = (
    "health",
    "ready",
    "metrics",
    "admin",
    "logs",
    "restart",
    "handshake",
    "preflight",
    "backup",
    "status-callbacks",
    "dead-letters",
    "tenants",
    "inprocess",
)
# Whose requirement a scenario checks: Meta's (any webhook receiver), the backlog's acceptance
# criteria, or the reference gateway's own policy (exact 400 for a non-JSON body ...).
LEVELS = ("meta", "backlog", "reference")
DEFAULT_LEVELS = ("meta", "backlog")
PROBE_KINDS = ("handshake", "http", "tcp")


def _text(value: Any) -> Any:
    # ids and env values are often written as TOML numbers (phone_number_id = 1065...): as text
    return str(value) if isinstance(value, int | float) else value


def _expiry(value: Any) -> Any:
    """``token_expires_at``: a TOML date-time, an ISO 8601 string or epoch seconds."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # refused below, with what to write
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return value


def _listed(value: Any) -> Any:
    # status = 200 is the short form of status = [200]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]
Seconds = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Strings = list[str]


def refuse(message: str) -> PydanticCustomError:
    """A problem whose message names its key itself (the table is added by the formatter)."""
    return PydanticCustomError("target", message)


class Table(BaseModel):
    # strict: TOML has types, so "5" is not 5; extra="forbid": a misspelt key is reported
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Webhooks(Table):
    """The webhook URL (or path under base_url) of each channel the gateway serves."""

    wa: str | None = None
    ig: str | None = None
    msg: str | None = None


class Secrets(Table):
    """Each secret as its value or as the name of an env var holding it (out of git)."""

    app_secret: str | None = None
    app_secret_env: str | None = Field(None, validate_default=True)
    verify_token: str | None = None
    verify_token_env: str | None = Field(None, validate_default=True)
    admin_token: str | None = None
    admin_token_env: str | None = Field(None, validate_default=True)

    @field_validator("app_secret_env", "verify_token_env", "admin_token_env")
    @classmethod
    def _named_var_is_set(cls, var: str | None, info: ValidationInfo) -> str | None:
        key = str(info.field_name).removesuffix("_env")
        env: Mapping[str, str] = (info.context or {}).get("env", {})
        if var is not None and not env.get(var):
            raise refuse(f"{key}_env = {var!r} but ${var} is not set in the environment")
        if key == "app_secret" and var is None and info.data.get(key) is None:
            raise refuse(f"{key} (or {key}_env, the name of an env var holding it) is required")
        return var


class Tenant(Table):
    """One tenant's business ids, Graph token, reply and API key."""

    waba_id: Text = "102290129340398"
    phone_number_id: Text = "106540352242922"
    display_phone_number: Text = "15550783881"
    page_id: Text = "112233445566778"
    ig_account_id: Text = "17841400000000001"
    token: Text = ""
    reply: Text = ""
    api_key: Text = ""
    token_expires_at: Annotated[float | None, BeforeValidator(_expiry)] = None


class Graph(Table):
    """Where the harness serves the fake Graph API."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    version: str = "v25.0"


class Endpoints(Table):
    """Optional HTTP paths (or URLs) of the gateway's health, ready, metrics and admin API."""

    health: Text | None = None
    ready: Text | None = None
    metrics: Text | None = None
    admin: Text | None = None


class Logs(Table):
    """The gateway's JSON log file, if it writes one."""

    file: str | None = None


class Ready(Table):
    """How a started gateway is known to be ready (see specs.ReadyProbe)."""

    kind: Literal["handshake", "http", "tcp"] | None = None
    path: str | None = Field(None, validate_default=True)
    status: Annotated[list[int], Field(min_length=1), BeforeValidator(_listed)] = [200]
    body: str = ""

    @field_validator("path")
    @classmethod
    def _http_needs_path(cls, path: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == "http" and path is None:
            raise refuse('kind = "http" needs path = "/health" (placeholders allowed)')
        return path


class Start(Table):
    """How the harness starts (and restarts) the gateway."""

    command: Annotated[Strings, Field(min_length=1)]
    env: dict[str, Text] = {}
    cwd: str = "."
    ready_path: str | None = None
    ready: Ready | None = Field(None, validate_default=True)
    timeout: Positive = 30.0
    inherit_env: bool = True
    # how long a stopped gateway gets to exit before its process group is killed (n8n: 30 s)
    stop_grace: Positive = 10.0

    @field_validator("ready")
    @classmethod
    def _one_probe(cls, ready: Ready | None, info: ValidationInfo) -> Ready | None:
        # ready_path = "/health" is the short form of [start.ready] kind = "http", path = ...
        if ready is not None and info.data.get("ready_path") is not None:
            raise refuse("give ready_path or [start.ready], not both")
        return ready


class Preflight(Table):
    """The gateway's config check, run with the [start] env; exit 1 means problems found."""

    command: Strings = []


class Backup(Table):
    """The backup command, the snapshot folder and file name pattern."""

    command: Annotated[Strings, Field(min_length=1)]
    dir: str
    name: str

    @field_validator("name")
    @classmethod
    def _stamped(cls, name: str) -> str:
        if "{stamp}" not in name:
            raise ValueError('must contain {stamp} (e.g. "gateway-{stamp}.sqlite")')
        return name


class SettingSpec(Table):
    """How the target reaches one named setting: env overrides, names unset, names to cite."""

    env: dict[str, Text] = {}
    unset: Strings = []
    names: Strings = []


SettingName = Literal[tuple(SETTINGS)]  # type: ignore[valid-type]


class TargetFile(Table):
    """The whole target file, as written (placeholders are expanded later, at start)."""

    name: str
    base_url: str
    # validate_default: an absent table is still checked (no channel, no app secret)
    webhooks: Webhooks = Field(default_factory=dict, validate_default=True)
    secrets: Secrets = Field(default_factory=dict, validate_default=True)
    tenants: dict[str, Tenant] = {}
    graph: Graph = Graph()
    endpoints: Endpoints = Endpoints()
    logs: Logs = Logs()
    start: Start | None = None
    capabilities: list[Literal[CAPABILITIES]] = []  # type: ignore[valid-type]
    settle_seconds: Seconds = 0.3
    # a reply wait ends once the gateway answered and then sent nothing for this long
    quiet_seconds: Seconds = 0.75
    # at the end of the run, how long to keep watching for late traffic (retries, loops)
    drain_seconds: Seconds = 2.0
    # status / receipt webhooks sent back after each accepted send, to the declared webhooks
    callbacks: bool = Field(True, validate_default=True)
    # named behaviours the scenarios switch, mapped to this gateway's own env vars
    settings: dict[SettingName, SettingSpec] = {}  # type: ignore[valid-type]
    # the levels whose checks decide the verdict; the others are reported as advice
    levels: Annotated[list[Literal[LEVELS]], Field(min_length=1)] = list(DEFAULT_LEVELS)  # type: ignore[valid-type]
    # per test id, why a check outside ``levels`` does not hold on this gateway (its limit):
    # the report's advice row says it instead of only naming the level
    advice: dict[Annotated[str, Field(pattern=r"^T\d+\.\d+$")], str] = {}
    preflight: Preflight = Preflight()
    backup: Backup | None = None

    @field_validator("base_url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

    @field_validator("webhooks")
    @classmethod
    def _a_channel(cls, webhooks: Webhooks) -> Webhooks:
        # a gateway declares the channels it serves; scenarios of the others are not applicable
        if not any(getattr(webhooks, ch) for ch in CHANNELS):
            raise refuse(
                '[webhooks] needs at least one channel: wa, ig or msg = "/webhook/..." or a URL'
            )
        return webhooks

    @field_validator("tenants")
    @classmethod
    def _primary(cls, tenants: dict[str, Tenant]) -> dict[str, Tenant]:
        if tenants and "primary" not in tenants:
            raise refuse(
                "[tenants] needs a [tenants.primary] table (the tenant scenarios use by default)"
            )
        return tenants

    @field_validator("callbacks")
    @classmethod
    def _callbacks_agree(cls, callbacks: bool, info: ValidationInfo) -> bool:
        if callbacks is False and "status-callbacks" in info.data.get("capabilities", []):
            raise refuse('capabilities lists "status-callbacks" but callbacks = false')
        return callbacks
