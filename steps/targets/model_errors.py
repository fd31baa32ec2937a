"""pydantic's errors on a target file as TOML-worded lines: the table, the key, what to write."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from metasim.steps.targets.model import CAPABILITIES, LEVELS, PROBE_KINDS, TargetFile
from metasim.steps.targets.settings import SETTINGS

_ABSENT = object()
# What to write, by key (dotted, ``*`` for a name the file chooses): pydantic says what is
# wrong ("Input should be a valid list"), these say what a right value looks like.
HINTS: dict[str, str] = {
    "webhooks.*": 'must be a path like "/webhook/{key}" or a full URL',
    "graph.port": "= {value!r} must be an integer 0-65535 (0 picks a free port)",
    "settle_seconds": "= {value!r} must be a number of seconds >= 0",
    "quiet_seconds": "= {value!r} must be a number of seconds >= 0",
    "drain_seconds": "= {value!r} must be a number of seconds >= 0",
    "callbacks": "= {value!r} must be true or false (status webhooks sent back)",
    "levels": f"= {{value!r}} must be a non-empty list of {', '.join(LEVELS)}",
    "capabilities": f"must be a list of strings: {', '.join(CAPABILITIES)}",
    "start.command": 'must be a non-empty list of strings, e.g. ["{{python}}", "-m", "x"]',
    "start.env": 'must be a table of NAME = "value"',
    "start.timeout": "= {value!r} must be a number of seconds > 0",
    "start.stop_grace": "= {value!r} must be a number of seconds > 0",
    "start.ready": 'must be a table: kind = "handshake" | "http" | "tcp", ...',
    "start.ready.status": "= {value!r} must be a status or a list, e.g. [200, 204]",
    "preflight.command": 'must be a list of strings, e.g. ["{{python}}", "-m", "x"]',
    "backup.command": "must be a non-empty list of strings",
    "tenants.*": "must be a table of ids",
    "tenants.*.token_expires_at": (
        "= {value!r} must be a date-time (2024-01-31T00:00:00Z) or epoch seconds"
    ),
    "settings.*": "must be a table with env, unset and names",
    "settings.*.env": 'must be a table of NAME = "value"',
    "settings.*.unset": "must be a list of variable names",
    "settings.*.names": "must be a list of variable names",
}
# hinted names that are keys of a table (the other hinted names are tables themselves)
_KEYS = {"wa", "ig", "msg", "capabilities", "command", "env", "unset", "names"}
# unknown keys of these tables are named in the tables' own words
UNKNOWN = {
    ("webhooks",): "unknown channel {key!r}; use wa, ig, msg",
    ("endpoints",): "unknown {key!r}; use health, ready, metrics, admin",
}
KNOWN = {
    "capabilities": CAPABILITIES,
    "levels": LEVELS,
    "kind": PROBE_KINDS,
    "settings": tuple(SETTINGS),
}


def target_problems(exc: ValidationError, raw: Mapping[str, Any]) -> list[str]:
    """One line per problem, in file order, e.g. ``[graph] port = 70000 must be ...``."""
    out: list[str] = []
    for err in exc.errors():
        line = _line(err, raw)
        if line not in out:  # several items of one list share a hint
            out.append(line)
    return out


def _where(path: tuple[Any, ...]) -> str:
    """``[start.ready] kind`` for a key in a table, ``quiet_seconds`` at the top."""
    keys = [str(k) for k in path if not isinstance(k, int)]
    if not keys:
        return ""
    table, key = keys[:-1], keys[-1]
    return f"[{'.'.join(table)}] {key}" if table else key


def _table(path: tuple[Any, ...]) -> str:
    keys = [str(k) for k in path if not isinstance(k, int)]
    return f"[{'.'.join(keys)}] " if keys else ""


def _value(raw: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        try:
            raw = raw[key]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return raw


def _hint(path: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    """The longest prefix of ``path`` with a hint, and the hint."""
    for n in range(len(path), 0, -1):
        if isinstance(path[n - 1], int):
            continue
        dotted = ".".join(str(k) for k in path[:n] if not isinstance(k, int))
        for pattern, hint in HINTS.items():
            if pattern.count(".") == dotted.count(".") and fnmatchcase(dotted, pattern):
                return path[:n], hint
    return None


def _line(err: Any, raw: Mapping[str, Any]) -> str:
    kind = err["type"]
    on_key = bool(err["loc"]) and err["loc"][-1] == "[key]"
    path = tuple(k for k in err["loc"] if k != "[key]")
    item = _value(raw, path)
    if kind == "target":  # our validators' own words; they name the key themselves
        return f"{_table(path[:-1])}{err['msg']}"
    if kind == "value_error":
        return f"{_where(path)} = {item!r} {err['ctx']['error']}"
    if kind == "extra_forbidden":
        return _unknown(path)
    if kind == "missing":
        return f"{_where(path)} is required"
    if kind == "literal_error":
        return _not_one_of(path, item, on_key)
    found = _hint(path)
    if found is not None:
        prefix, hint = found
        text = hint.format(value=_value(raw, prefix), key=prefix[-1])
        if not hint.startswith("="):
            # a whole table ([tenants.NAME]) is named as a table, a key as "[table] key"
            where = _table(prefix) if prefix[-1] not in _KEYS else _where(prefix) + " "
            return where + text
        return f"{_where(prefix)} {text}"
    if kind == "string_type":
        return f"{_where(path)} must be a string, got {type(item).__name__}"
    if kind in ("model_type", "dict_type"):
        got = type(item).__name__
        return f"{_table(path)}must be a table, got {got}"
    return f"{_where(path)} = {item!r}: {err['msg']}"


def _unknown(path: tuple[Any, ...]) -> str:
    table, key = path[:-1], path[-1]
    words = UNKNOWN.get(tuple(table))
    if words is not None:
        return _table(table) + words.format(key=key)
    allowed = ", ".join(sorted(_fields(table)))
    if not table:
        return f"unknown key {key!r}; allowed top-level keys: {allowed}"
    if len(table) > 1:
        return f"{_table(table)}unknown key {key!r}; allowed: {allowed}"
    # TOML files every key below a [table] header into that table: a top-level key written
    # after the first table lands here
    return (
        f"{_table(table)}unknown key {key!r}; allowed: {allowed} "
        "(top-level keys must come before the first [table])"
    )


def _not_one_of(path: tuple[Any, ...], item: Any, on_key: bool) -> str:
    if on_key:  # a name the file chose for a table: [settings.NAME]
        known = ", ".join(KNOWN.get(str(path[0]), ()))
        return f"{_table(path)}unknown setting; known: {known}"
    named = [k for k in path if not isinstance(k, int)]
    known = ", ".join(KNOWN.get(str(named[-1]), ()))
    if isinstance(path[-1], int):  # an item of a list
        return f"{_where(path)}: unknown {item!r}; known: {known}"
    return f"{_where(path)} = {item!r}; use one of {known}"


def _fields(table: tuple[Any, ...]) -> list[str]:
    """The keys the model allows at ``table`` (a path of table names, dict keys included)."""
    model: Any = TargetFile
    named = False
    for key in table:
        if named:  # the name the file chose ([tenants.NAME]): the table comes next
            named = False
            continue
        field = model.model_fields.get(str(key))
        model, named = _model_in(field.annotation if field is not None else None)
        if model is None:
            return []
    return [] if named else list(model.model_fields)


def _model_in(annotation: Any) -> tuple[Any, bool]:
    """The model a field holds (itself, in ``X | None``, or as a dict's values: True)."""
    if get_origin(annotation) is dict:
        inner, _ = _model_in(get_args(annotation)[1])
        return inner, inner is not None
    for tp in (annotation, *get_args(annotation)):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp, False
    return None, False
