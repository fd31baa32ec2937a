"""Walk and edit JSON documents by key path: what the webhook-schema tests mutate samples with."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_samples(channel: str) -> dict[str, Any]:
    """The named samples of payloads/samples/<channel>.json."""
    samples: dict[str, Any] = json.loads(
        (ROOT / "payloads/samples" / f"{channel}.json").read_text("utf-8")
    )
    return samples


def paths(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path of a JSON document (list indices as strings)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, (*prefix, str(i)))


def matches(path: tuple[str, ...], pattern: str) -> bool:
    """Whether ``path`` fits the dotted ``pattern`` (``*`` stands for any one key or index)."""
    parts = pattern.split(".")
    return len(parts) == len(path) and all(p in ("*", s) for p, s in zip(parts, path, strict=True))


def get(doc: Any, path: tuple[str, ...]) -> Any:
    """The node at ``path`` (list indices as strings)."""
    for part in path:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def without(doc: dict[str, Any], path: tuple[str, ...] | str) -> dict[str, Any]:
    """A deep copy of ``doc`` with the node at ``path`` (a key tuple or ``entry.0.id``) removed."""
    parts = tuple(path.split(".")) if isinstance(path, str) else path
    out = copy.deepcopy(doc)
    parent = get(out, parts[:-1])
    del parent[int(parts[-1]) if isinstance(parent, list) else parts[-1]]
    return out


def with_value(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with the node at the dotted path (``entry.0.id``) set to ``value``."""
    out = copy.deepcopy(doc)
    *parent, last = dotted.split(".")
    target = get(out, tuple(parent))
    target[int(last) if isinstance(target, list) else last] = value
    return out


def with_unknown_field(doc: dict[str, Any], dotted: str) -> dict[str, Any]:
    """A deep copy of ``doc`` with a field Meta might add later put in the object at ``dotted``
    (the root when empty)."""
    out = copy.deepcopy(doc)
    target = get(out, tuple(dotted.split("."))) if dotted else out
    target["field_meta_added_in_v27"] = {"anything": [1, "two"]}
    return out


def removals(samples: dict[str, Any]) -> list[Any]:
    """pytest params (sample name, key path) for every key of every sample's payload, with ids
    like ``msg.text:-entry.0.id``: the cases of a "remove one field" schema test."""
    return [
        pytest.param(name, path, id=f"{name}:-{'.'.join(path)}")
        for name, event in samples.items()
        for path in paths(event["payload"])
    ]
