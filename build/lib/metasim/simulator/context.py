"""Injectable ids, clock, randomness and tenant ids shared by every payload builder."""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker


@dataclass
class Tenant:
    """The business side a webhook is addressed to (ids the gateway's clients file knows)."""

    waba_id: str = "102290129340398"
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550783881"
    page_id: str = "112233445566778"
    ig_account_id: str = "17841400000000001"


@dataclass
class BuildContext:
    """Everything a builder needs that is not in the sample: ids, time, randomness.

    Tests pass a seeded context (``BuildContext.seeded(7)``) and a fixed clock so the
    output is reproducible; the CLI uses the default one (real time, random ids).
    """

    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.time
    tenant: Tenant = field(default_factory=Tenant)
    locale: str = "en_US"
    _faker: Faker | None = field(default=None, repr=False)

    @classmethod
    def seeded(
        cls, seed: int, *, now: float | None = None, tenant: Tenant | None = None
    ) -> BuildContext:
        """A reproducible context: same seed, same ids and names."""
        ctx = cls(rng=random.Random(seed), tenant=tenant or Tenant())
        if now is not None:
            ctx.clock = lambda: now
        ctx.faker.seed_instance(seed)
        return ctx

    @property
    def faker(self) -> Faker:
        """A Faker bound to this context's locale (names, phone numbers, cities)."""
        if self._faker is None:
            self._faker = Faker(self.locale)
            self._faker.seed_instance(self.rng.getrandbits(32))
        return self._faker

    # -- time ---------------------------------------------------------------
    def epoch_seconds(self) -> int:
        """Now, in whole epoch seconds (WhatsApp's unit)."""
        return int(self.clock())

    def epoch_millis(self) -> int:
        """Now, in epoch milliseconds (Messenger / Instagram's unit)."""
        return int(self.clock() * 1000)

    # -- ids ----------------------------------------------------------------
    def digits(self, n: int) -> str:
        """``n`` random decimal digits, never starting with 0."""
        return str(self.rng.randint(1, 9)) + "".join(
            str(self.rng.randint(0, 9)) for _ in range(n - 1)
        )

    def wamid(self) -> str:
        """A WhatsApp message id: ``wamid.`` + base64 of an opaque id, as Meta sends."""
        raw = b"\x15\x02\x00\x11\x18\x12" + self.rng.randbytes(18)
        return "wamid." + base64.b64encode(raw).decode("ascii")

    def mid(self, prefix: str = "m_") -> str:
        """A Messenger / Instagram message id (``m_`` + url-safe base64)."""
        return prefix + base64.urlsafe_b64encode(self.rng.randbytes(48)).decode("ascii").rstrip("=")

    def media_id(self) -> str:
        """A WhatsApp media id (15-16 digits)."""
        return self.digits(16)

    def psid(self) -> str:
        """A page-scoped / Instagram-scoped user id."""
        return self.digits(16)

    def wa_phone(self) -> str:
        """A user phone number as Meta writes it in ``wa_id`` / ``from``: digits only, no ``+``."""
        return self.rng.choice(["1", "33", "44", "49", "34", "55", "91"]) + self.digits(10)

    def bsuid(self, country: str = "US") -> str:
        """A business-scoped user id, ``CC.<digits>`` (docs/meta-contract.md §k)."""
        return f"{country}.{self.digits(20)}"

    def sha256_b64(self) -> str:
        """A base64 sha256, the form media hashes take in WhatsApp webhooks."""
        return base64.b64encode(self.rng.randbytes(32)).decode("ascii")
