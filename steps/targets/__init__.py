"""Targets: which gateway the suite drives (reference, reference-inprocess, or a target file)."""

from __future__ import annotations

from pathlib import Path

from metasim.steps.loop import LoopThread
from metasim.steps.targets import reference
from metasim.steps.targets.base import Target
from metasim.steps.targets.config import TargetConfig, TargetFileError, from_mapping, load

BUILTIN = ("reference", "reference-inprocess")

__all__ = ["BUILTIN", "Target", "TargetConfig", "TargetFileError", "build", "resolve"]


def resolve(spec: str) -> TargetConfig:
    """The config for ``--target``: a built-in name or a path to a .toml target file."""
    if spec == "reference":
        return from_mapping(reference.description("reference"), source="<built-in reference>")
    if spec == "reference-inprocess":
        raw = reference.description("reference-inprocess")
        raw["capabilities"] = [*raw["capabilities"], "inprocess"]
        # no sockets: the workers poll every 10 ms, so a second send comes within this window;
        # one later still is caught by the late-traffic audit, which turns the scenario failed
        raw["settle_seconds"] = 0.05
        return from_mapping(raw, source="<built-in reference-inprocess>")
    path = Path(spec)
    if path.suffix != ".toml":
        raise TargetFileError(
            spec, [f"--target must be one of {', '.join(BUILTIN)} or a path to a .toml file"]
        )
    return load(path)


def build(config: TargetConfig, loop: LoopThread) -> Target:
    """The runtime target for ``config`` (not started)."""
    if "inprocess" in config.capabilities:
        from metasim.steps.targets.inprocess import InProcessTarget

        return InProcessTarget(config, loop)
    from metasim.steps.targets.process import ProcessTarget

    return ProcessTarget(config, loop)
