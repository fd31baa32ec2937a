"""GraphConfig: everything the fake Graph API is built from (tokens, strictness, callbacks, clock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from metasim.simulator.context import Tenant
from metasim.simulator.graph.callbacks import CallbackSettings
from metasim.simulator.graph.errors import RATE_LIMIT_STATUSES
from metasim.simulator.graph.limits import LimitSettings
from metasim.simulator.graph.tokens import TokenGrant

DEFAULT_TOKEN = "EAAGmetasimDevToken0000000000000000"
INSTAGRAM_TEXT_LIMITS = ("1000-bytes", "2000-chars")


def default_grants(token: str = DEFAULT_TOKEN, tenant: Tenant | None = None) -> list[TokenGrant]:
    """One token for the default tenant's phone number, Page and IG account (simulator ids)."""
    t = tenant or Tenant()
    return [
        TokenGrant(t.phone_number_id, "wa", token),
        TokenGrant(t.page_id, "msg", token),
        TokenGrant(t.ig_account_id, "ig", token),
    ]


@dataclass
class GraphConfig:
    """How to build a fake Graph API.

    ``strict`` rejects unknown request keys (Meta's behaviour); ``rate_limit_status`` picks the
    HTTP status of rate-limit codes 4 / 80007 / 130429: 400 (current WA docs) or 429 (older
    copies, ⚠ docs/meta-contract.md §h). Meta sends neither ``Retry-After`` nor
    ``is_transient``: ``retry_after_header=True`` adds the catalogue's Retry-After to rate
    limits, ``is_transient_field=True`` the catalogue's is_transient flag (both off by
    default; a fault's own ``retry_after`` is always sent). ``async_failures`` (default) makes
    the automatic checks answer the codes Meta reports asynchronously (131047 of the window
    limit) with 200 + a ``failed`` status webhook; False answers them with a synchronous 400.
    ``instagram_text_limit`` is ``"1000-bytes"`` (one third-party reading) or
    ``"2000-chars"`` (the Messenger limit, the other reading). ``media_base_url`` is where
    media URLs point (None: the requested host, so a real server's URLs lead back to it).
    ``clock_start`` / ``clock_speed`` set the simulated clock; ``limits`` lists limits switched
    on from the start.
    """

    grants: list[TokenGrant] = field(default_factory=default_grants)
    strict: bool = True
    rate_limit_status: int = 400
    retry_after_header: bool = False
    is_transient_field: bool = False
    async_failures: bool = True
    instagram_text_limit: str = "1000-bytes"
    seed: int | None = None
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    limits: tuple[str, ...] = ()
    limit_settings: LimitSettings = field(default_factory=LimitSettings)
    clock_start: float | None = None
    clock_speed: float = 1.0
    media_base_url: str | None = None
    waba_id: str = Tenant().waba_id

    def __post_init__(self) -> None:
        if self.instagram_text_limit not in INSTAGRAM_TEXT_LIMITS:
            raise ValueError(
                f"instagram_text_limit must be one of {', '.join(INSTAGRAM_TEXT_LIMITS)}, "
                f"got {self.instagram_text_limit!r}"
            )
        if self.rate_limit_status not in RATE_LIMIT_STATUSES:
            raise ValueError(
                f"rate_limit_status must be one of {RATE_LIMIT_STATUSES} (400 current docs, "
                f"429 older), got {self.rate_limit_status}"
            )
