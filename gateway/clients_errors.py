"""pydantic's errors on a clients file as lines a person can act on: path, problem, what to write."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

RULE_KINDS = ("echo", "fixed", "keywords")
TOP_LEVEL = 'top level must be {"clients": [ ... ]}'
SCHEMA = "payloads/schemas/tenants-file.schema.json"
# what to write, by the key that was wrong (pydantic says what is wrong, not what is right)
HINTS = {
    "channels": 'must be an object like {"wa": ["<phone_number_id>"]}',
    "keywords": "must map words to non-empty replies",
    "token_expires_at": "must be ISO 8601 (2030-01-01T00:00:00Z) or epoch seconds",
}


def clients_problems(exc: ValidationError) -> list[str]:
    """One line per problem, in file order, e.g. ``clients[1].reply_rule.default is required``."""
    out: list[str] = []
    for err in exc.errors():
        for line in _line(err).splitlines():  # one value error may hold several problems
            if line not in out:
                out.append(line)
    return out


def _path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif i and loc[i - 1] == "reply_rule" and key in RULE_KINDS:
            continue  # the discriminated union's branch name, not a key of the file
        elif key != "[key]":
            parts.append(("." if parts else "") + str(key))
    return "".join(parts)


def _line(err: Any) -> str:
    loc, kind = tuple(err["loc"]), err["type"]
    path = _path(loc)
    last = next((k for k in reversed(loc) if isinstance(k, str) and k != "[key]"), "")
    if kind == "entry":  # about the whole entry (token or token_env ...): name the entry
        return f"{_path(loc[:-1])}: {err['msg']}"
    if kind == "value_error":
        message = str(err["ctx"]["error"])
        return f"{path}: {message}" if path else message
    if not loc or (loc == ("clients",) and kind in ("list_type", "missing")):
        return TOP_LEVEL
    if loc[-1] == "[key]" and kind == "literal_error":
        return f"{path}: unknown channel, use one of wa, ig, msg"
    if kind == "missing":
        return f"{path} is required"
    if kind == "extra_forbidden":
        return f"{path}: unknown key; remove it or fix its spelling (format: {SCHEMA})"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"{path}.kind must be one of {', '.join(RULE_KINDS)}"
    if kind in ("model_type", "model_attributes_type"):
        return f"{path} must be an object"
    if last in HINTS and (kind.startswith(("datetime", "dict", "too_short", "string"))):
        return f"{path} {HINTS[last]}"
    if kind in ("string_type", "string_too_short"):
        return f"{path} must be a non-empty string"
    if kind == "list_type" and loc[-2:-1] == ("channels",):
        return f"{path} must be a list of id strings"
    return f"{path}: {err['msg']}"
