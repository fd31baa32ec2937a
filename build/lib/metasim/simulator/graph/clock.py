"""The fake's clock: real time by default, or frozen / set / advanced / sped up for tests."""

from __future__ import annotations

import time


class SimClock:
    """Epoch seconds as the fake sees them: ``start + elapsed * speed + offset``.

    ``speed`` compresses time (60 makes a minute pass each real second; 0 freezes it) and
    ``advance`` jumps ahead, so a limit or the 24-hour window is testable in milliseconds.
    """

    def __init__(self, start: float | None = None, *, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        self._base = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()
        self._speed = float(speed)

    def now(self) -> float:
        """Current simulated epoch seconds."""
        return self._base + (time.monotonic() - self._mono0) * self._speed

    __call__ = now

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def set(self, epoch: float) -> None:
        """Jump to ``epoch`` (keeps the speed)."""
        self._base, self._mono0 = float(epoch), time.monotonic()

    def advance(self, seconds: float) -> None:
        """Move ``seconds`` ahead (negative moves back, for tests only)."""
        self.set(self.now() + seconds)

    def set_speed(self, speed: float) -> None:
        """Change the compression factor from now on; 0 freezes the clock."""
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        self._base, self._mono0, self._speed = self.now(), time.monotonic(), float(speed)

    def freeze(self) -> None:
        """Stop time; only :meth:`advance` / :meth:`set` move it."""
        self.set_speed(0.0)

    def real_seconds(self, simulated: float) -> float:
        """How long to really wait for ``simulated`` seconds to pass (0 when frozen)."""
        return simulated / self._speed if self._speed > 0 else 0.0

    def describe(self) -> dict[str, float]:
        """``{now, speed}`` for the HTTP control API."""
        return {"now": self.now(), "speed": self._speed}
