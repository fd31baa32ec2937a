"""The one runner: calls its stages in order on a context; its lane says what ends and what is logged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from metasim.gateway.pipeline.base import Fields, Stage

C = TypeVar("C")
R = TypeVar("R")
C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class Lane(Protocol[C_contra, R_co]):
    """What differs between the ACK lane and the processing lane: checks, logs, endings."""

    def check(self, ctx: C_contra) -> None:
        """Before each stage; raises what ``stopped`` turns into an ending (a broken seal)."""

    def passed(self, ctx: C_contra, stage: str, fields: Fields) -> None:
        """A stage returned: count and log it."""

    async def stopped(self, ctx: C_contra, stage: str, exc: Exception) -> R_co:
        """A stage (or ``check``) raised: the lane's ending, or re-raise what must escape."""
        ...

    def finished(self, ctx: C_contra) -> R_co:
        """Every stage passed."""
        ...


class Runner(Generic[C, R]):
    """Runs ``stages`` in order on one context, the same loop for both lanes."""

    def __init__(self, stages: Sequence[Stage[C]], lane: Lane[C, R]) -> None:
        self.stages = tuple(stages)
        self.lane = lane

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)

    async def __call__(self, ctx: C) -> R:
        lane = self.lane
        for stage in self.stages:
            try:
                lane.check(ctx)
                fields = await stage(ctx)
            except Exception as exc:
                return await lane.stopped(ctx, stage.name, exc)
            lane.passed(ctx, stage.name, fields)
        return lane.finished(ctx)
