"""Named load profiles and the signed webhooks they send (channel / type mix, batches, tokens)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import random
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.catalogue import build
from metasim.simulator.context import BuildContext, Tenant
from metasim.simulator.load.accounting import TOKEN_PREFIX
from metasim.simulator.signing import SIGNATURE_HEADER, meta_bytes

# Text events carry a token the echo reply repeats: each is tracked one by one. Other types get
# the gateway's "[type]" echo and are counted only in aggregate.
TEXT_PATHS = {
    "wa": "entry.0.changes.0.value.messages.0.text.body",
    "msg": "entry.0.messaging.0.message.text",
    "ig": "entry.0.messaging.0.message.text",
}
TRACKED_EVENTS = {
    "wa": ("wa.text", "wa.text.reply", "wa.text.forwarded"),
    "msg": ("msg.text", "msg.reply"),
    "ig": ("ig.text",),
}
UNTRACKED_EVENTS = {"wa": ("wa.image", "wa.location"), "msg": ("msg.image",), "ig": ("ig.image",)}
BATCH_OBJECT = {"wa": "whatsapp_business_account", "msg": "page", "ig": "instagram"}


@dataclass(frozen=True)
class Profile:
    """What one load run sends: the rate, the mix, and the faults the fake Graph injects.

    ``rate`` is the target of inbound messages per second (a batch counts its messages);
    ``fault_rates`` are per-send probabilities on the fake Graph (``http_5xx``, ``rate_limit``
    = 130429 with Retry-After, ``timeout`` = no answer past the gateway's Graph timeout).
    """

    name: str
    rate: float
    duration: float
    users: int
    channels: dict[str, float] = field(default_factory=lambda: {"wa": 0.6, "msg": 0.2, "ig": 0.2})
    untracked_share: float = 0.1  # non-text messages (image, location)
    batch_share: float = 0.1  # webhooks carrying several messages (one entry each)
    batch_size: int = 5
    redelivery: float = 0.05  # share of webhooks Meta POSTs a second time (same bytes)
    fault_rates: dict[str, float] = field(
        default_factory=lambda: {
            "http_5xx": 0.03,
            "rate_limit": 0.02,
            "timeout": 0.01,
            "lost_answer": 0.01,
        }
    )
    # the fake POSTs sent / delivered / read back for every reply: 3 more inbound webhooks per
    # message (on for the fan-out profile; off where the profile measures messages alone)
    status_callbacks: bool = False
    description: str = ""

    def with_overrides(self, **changes: Any) -> Profile:
        """A copy with some fields changed (CLI flags)."""
        data = {**self.__dict__, **{k: v for k, v in changes.items() if v is not None}}
        return Profile(**data)

    def faults(self, seed: int = 7) -> list[dict[str, Any]]:
        """The fake Graph faults (``POST /__metasim/faults`` items) for the send route."""
        del seed  # the fake draws probabilities from its own --seed
        out: list[dict[str, Any]] = []
        rates = self.fault_rates
        if rates.get("http_5xx"):
            out.append({"action": "http", "status": 503, "probability": rates["http_5xx"]})
        if rates.get("rate_limit"):
            out.append(
                {
                    "action": "error",
                    "code": 130429,
                    "retry_after": 1,
                    "probability": rates["rate_limit"],
                }
            )
        if rates.get("timeout"):
            out.append({"action": "no_answer", "hold": 4, "probability": rates["timeout"]})
        if rates.get("lost_answer"):
            # accepted by Graph, answer lost: a gateway that retries it sends a double
            out.append({"action": "lost_answer", "probability": rates["lost_answer"]})
        for f in out:
            f["match"] = {"kind": "send"}
        return out


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "80 mps steady",
            rate=80,
            duration=60,
            users=8,
            description="Meta's default WhatsApp throughput, steady, with faults and redeliveries",
        ),
        Profile(
            "1,000 mps burst",
            rate=1000,
            duration=10,
            users=40,
            batch_share=0.3,
            batch_size=10,
            description="an upgraded number's ceiling; on a small machine the achieved rate is "
            "what the box can do, reported as measured",
        ),
        Profile(
            "3x status fan-out",
            rate=30,
            duration=30,
            users=4,
            channels={"wa": 1.0},
            untracked_share=0.0,
            status_callbacks=True,
            description="WhatsApp only: each reply sent makes the fake Graph POST sent, delivered "
            "and read status webhooks back to the gateway (3 inbound webhooks per reply)",
        ),
    )
}
ALIASES = {"steady": "80 mps steady", "burst": "1,000 mps burst", "fanout": "3x status fan-out"}


def get_profile(name: str) -> Profile:
    """A profile by name or alias; a clear error listing them otherwise."""
    key = ALIASES.get(name, name)
    if key not in PROFILES:
        known = ", ".join(f"{n!r}" for n in PROFILES) + "; aliases " + ", ".join(ALIASES)
        raise ValueError(f"unknown load profile {name!r}; use one of {known}")
    return PROFILES[key]


@dataclass
class Webhook:
    """One POST to send: its channel, bytes, headers, and the messages it carries."""

    channel: str
    body: bytes
    headers: dict[str, str]
    tracked: dict[str, str]  # msg_id -> token
    untracked: list[str]  # msg_ids of non-text messages

    @property
    def size(self) -> int:
        return len(self.tracked) + len(self.untracked)


def _message_id(channel: str, payload: dict[str, Any]) -> str:
    entry = payload["entry"][0]
    if channel == "wa":
        return str(entry["changes"][0]["value"]["messages"][0]["id"])
    return str(entry["messaging"][0]["message"]["mid"])


TEMPLATES_PER_EVENT = 8  # distinct senders and names per event type; ids and tokens vary per use
MARK = "MLOADTOKENMARK"  # the text placeholder a template carries where the token goes


@dataclass(frozen=True)
class _Template:
    """One built event's entry as Meta's bytes, with where its message id and token go."""

    entry: bytes  # meta_bytes of the one entry object
    msg_id: bytes  # the id as it appears in ``entry`` (``/`` escaped)
    raw_id: str  # the id itself
    tracked: bool


Pools = dict[str, list[_Template]]


@functools.lru_cache(maxsize=8)
def _templates(channels: tuple[str, ...], tenant: tuple[str, ...]) -> tuple[Pools, Pools]:
    """(tracked, untracked) templates per channel, built once per process (users share them)."""
    ctx = BuildContext.seeded(1, tenant=Tenant(*tenant))
    tracked: Pools = {}
    untracked: Pools = {}
    for channel in channels:
        tracked[channel] = [
            _template(channel, event, ctx, tracked=True)
            for event in TRACKED_EVENTS[channel]
            for _ in range(TEMPLATES_PER_EVENT)
        ]
        untracked[channel] = [
            _template(channel, event, ctx, tracked=False)
            for event in UNTRACKED_EVENTS[channel]
            for _ in range(TEMPLATES_PER_EVENT)
        ]
    return tracked, untracked


def _template(channel: str, event: str, ctx: BuildContext, *, tracked: bool) -> _Template:
    overrides = {TEXT_PATHS[channel]: MARK} if tracked else None
    payload = build(event, ctx, overrides=overrides)
    raw_id = _message_id(channel, payload)
    msg_id = meta_bytes(raw_id)[1:-1]  # as escaped in the bytes, without the quotes
    return _Template(meta_bytes(payload["entry"][0]), msg_id, raw_id, tracked)


class WebhookFactory:
    """Builds the profile's webhooks, seeded (one factory per Locust user, distinct seeds).

    Building an event through the catalogue (Faker names, nested dicts, JSON) costs about half
    a millisecond: a worker that did so per webhook topped out near 2,000/s before sending any.
    So each event type is built a few times up front, and each webhook is a template's bytes
    with a fresh message id and token spliced in, then signed: unique and Meta-shaped, at a
    few microseconds each.
    """

    def __init__(
        self, profile: Profile, secret: str, seed: int, tenant: Tenant | None = None
    ) -> None:
        self.profile, self.key = profile, secret.encode()
        self.rng = random.Random(seed)
        self.seed, self.count, self.ids = seed, 0, 0
        ids = dataclasses.astuple(tenant or Tenant())
        self.templates, self.untracked = _templates(tuple(profile.channels), ids)
        self.channels = list(profile.channels)
        self.weights = list(profile.channels.values())

    def _one(self, channel: str) -> tuple[bytes, str, str | None]:
        """(entry bytes, msg_id, token or None for an untracked type)."""
        self.ids += 1
        untracked = self.rng.random() < self.profile.untracked_share
        tpl = self.rng.choice((self.untracked if untracked else self.templates)[channel])
        # the seed and a counter make the id unique across users and workers; alphanumeric,
        # so it reads as part of Meta's base64 id and needs no escaping
        msg_id = f"{tpl.raw_id[:-12]}{self.seed:x}x{self.ids:x}"
        entry = tpl.entry.replace(tpl.msg_id, msg_id.replace("/", "\\/").encode())
        if not tpl.tracked:
            return entry, msg_id, None
        self.count += 1
        token = f"{TOKEN_PREFIX}{self.seed}-{self.count}"
        return entry.replace(MARK.encode(), token.encode()), msg_id, token

    def next(self) -> Webhook:
        """The next webhook: one message, or a batch of several entries (Meta batches so)."""
        p = self.profile
        channel = self.rng.choices(self.channels, weights=self.weights)[0]
        size = p.batch_size if self.rng.random() < p.batch_share else 1
        entries: list[bytes] = []
        tracked: dict[str, str] = {}
        untracked: list[str] = []
        for _ in range(size):
            entry, msg_id, token = self._one(channel)
            entries.append(entry)
            if token is None:
                untracked.append(msg_id)
            else:
                tracked[msg_id] = token
        body = b'{"object":"%s","entry":[%s]}' % (
            BATCH_OBJECT[channel].encode(),
            b",".join(entries),
        )
        signature = "sha256=" + hmac.new(self.key, body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        return Webhook(channel, body, headers, tracked, untracked)
