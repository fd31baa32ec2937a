"""Things the harness starts on entering a ``with`` block and stops on leaving it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartedInBlock:
    """``with thing:`` calls ``thing.start()`` (its value is the block's) and always ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
