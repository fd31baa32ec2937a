"""``--set path=value`` overrides: dot paths with list indices applied to a payload dict."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


class OverrideError(ValueError):
    """An override path does not lead anywhere in the payload; the message names the segment."""


def parse_value(raw: str) -> Any:
    """JSON when ``raw`` is valid JSON (``42``, ``true``, ``{"a":1}``, ``"quoted"``), else the string.

    So ``text.body=Bonjour`` sets a string and ``timestamp=1749416383`` sets a number; quote a
    number to keep it a string: ``timestamp='"1749416383"'`` (WhatsApp timestamps are strings).
    """
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``path=value`` (first ``=``) into the path and its parsed value."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise OverrideError(
            f"override {text!r} is not of the form path=value "
            "(e.g. entry.0.changes.0.value.messages.0.text.body=Bonjour)"
        )
    return path.strip(), parse_value(raw)


def _describe(node: Any) -> str:
    """What exists at a node, for error messages."""
    if isinstance(node, Mapping):
        keys = ", ".join(sorted(str(k) for k in node)) or "none"
        return f"an object with keys: {keys}"
    if isinstance(node, list):
        if not node:
            return "an empty list"
        return f"a list of {len(node)} item(s) (indices 0..{len(node) - 1})"
    return f"a {type(node).__name__} value {node!r}, which has no children"


def _step(node: Any, segment: str, where: str, path: str, *, last: bool) -> Any:
    """Resolve one segment below ``node``; ``last`` allows a missing key (it will be created)."""
    if isinstance(node, dict):
        if segment in node or last:
            return node.get(segment)
        raise OverrideError(
            f"{path}: no key {segment!r} at {where or '<root>'}; found {_describe(node)}"
        )
    if isinstance(node, list):
        if not segment.isdigit():
            raise OverrideError(
                f"{path}: segment {segment!r} at {where or '<root>'} must be a list index; "
                f"found {_describe(node)}"
            )
        index = int(segment)
        if index >= len(node):
            raise OverrideError(
                f"{path}: index {index} out of range at {where or '<root>'}; found {_describe(node)}"
            )
        return node[index]
    raise OverrideError(
        f"{path}: cannot go into {segment!r} at {where or '<root>'}; found {_describe(node)}"
    )


def set_path(payload: Any, path: str, value: Any) -> None:
    """Set ``value`` at dot ``path`` in ``payload`` in place; a missing final key is created."""
    segments = path.split(".")
    if any(not s for s in segments):
        raise OverrideError(f"{path}: empty segment in path (two dots, or a leading/trailing dot)")
    node = payload
    for depth, segment in enumerate(segments[:-1]):
        where = ".".join(segments[:depth])
        node = _step(node, segment, where, path, last=False)
    parent_where = ".".join(segments[:-1])
    _step(node, segments[-1], parent_where, path, last=True)
    if isinstance(node, list):
        node[int(segments[-1])] = value
    else:
        node[segments[-1]] = value


def apply_overrides(payload: Any, overrides: Mapping[str, Any] | Iterable[str] | None) -> Any:
    """Apply overrides in order, in place, and return the payload.

    ``overrides`` is a mapping ``{path: value}`` (values used as given) or an iterable of
    ``"path=value"`` strings (values parsed by :func:`parse_value`), as the CLI passes them.
    """
    if overrides is None:
        return payload
    items = (
        list(overrides.items())
        if isinstance(overrides, Mapping)
        else [parse_assignment(text) for text in overrides]
    )
    for path, value in items:
        set_path(payload, path, value)
    return payload
