"""Request bodies checked against payloads/schemas/graph/, violations worded as Graph's error 100."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from metasim.simulator import schemas
from metasim.simulator.graph.errors import invalid_parameter

# request kind -> schema short name under payloads/schemas
REQUEST_SCHEMAS = {
    "wa-send": "graph/wa-send",
    "wa-mark-read": "graph/wa-mark-read",
    "msgr-send": "graph/msgr-send",
    "wa-media-upload": "graph/wa-media-upload",
}


def param_path(path: Sequence[str | int]) -> str:
    """A JSON path the way Graph names a parameter: ``text['body']``, ``components[0]['type']``."""
    if not path:
        return "body"
    head, *rest = path
    return str(head) + "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in rest)


def _loosen(node: Any) -> Any:
    """A copy of a schema that accepts unknown keys everywhere (the lenient switch)."""
    if isinstance(node, dict):
        return {
            k: _loosen(v)
            for k, v in node.items()
            if not (k in ("additionalProperties", "unevaluatedProperties") and v is False)
            and k != "$id"
        }
    if isinstance(node, list):
        return [_loosen(v) for v in node]
    return node


@cache
def compiled(kind: str, strict: bool) -> Draft202012Validator:
    """The validator for request ``kind``, compiled once per process (hot path: no reloading)."""
    if kind not in REQUEST_SCHEMAS:
        raise KeyError(f"no request schema for {kind!r}; known: {', '.join(REQUEST_SCHEMAS)}")
    name = REQUEST_SCHEMAS[kind]
    if strict:
        return schemas.validator(name)
    # the graph request schemas are self-contained ($defs only), so no registry is needed
    return Draft202012Validator(_loosen(copy.deepcopy(schemas.schema(name))))


# keyword -> how Graph words the violation after "Param <where>" ({value}: the schema's bound)
_SIMPLE_WORDING = {
    "type": "must be of type {value}",
    "maxLength": "must be at most {value} characters long",
    "minLength": "must be at least {value} characters long",
    "pattern": "is not in a valid format (expected to match {value})",
    "maxItems": "must have at most {value} items",
    "minItems": "must have at least {value} items",
}


def describe(error: ValidationError) -> str:
    """One sentence naming the parameter, in Graph's wording where Graph has one."""
    where = param_path(list(error.absolute_path))
    keyword, value = error.validator, error.validator_value
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(value)
        return f"The parameter {param_path([*error.absolute_path, missing])} is required."
    if keyword == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        keys = ", ".join(f'"{k}"' for k in extra)
        return f"Unexpected key {keys} on param {where}."
    if keyword in ("anyOf", "oneOf") and all(
        isinstance(s, dict) and set(s) <= {"required", "not"} for s in value
    ):
        options = [param_path([*error.absolute_path, s["required"][0]]) for s in value]
        subject = "The request" if not error.absolute_path else f"Param {where}"
        how = "exactly one" if keyword == "oneOf" else "one"
        return f"{subject} needs {how} of {', '.join(options)}."
    if keyword in ("enum", "const"):
        allowed = value if keyword == "enum" else [value]
        return f"Param {where} must be one of {{{', '.join(map(str, allowed))}}}."
    if keyword in _SIMPLE_WORDING:
        return f"Param {where} {_SIMPLE_WORDING[keyword].format(value=value)}."
    return f"Param {where} is invalid: {error.message}."


class RequestValidator:
    """Strict (unknown keys rejected, Meta's behaviour) or lenient validation of request bodies."""

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict

    def check(self, kind: str, body: Any, *, whatsapp: bool) -> None:
        """Return if ``body`` is a valid ``kind`` request, else raise Graph error 100."""
        validator = compiled(kind, self.strict)
        # is_valid stops at the first problem: the cheap path for the (usual) valid request
        if validator.is_valid(body):
            return
        error = best_match(validator.iter_errors(body))
        raise invalid_parameter(describe(error), whatsapp=whatsapp)


# Interactive limits Meta enforces with code 131009 (docs/meta-contract.md §g): the reply-button
# and list-message pages, and a captured refusal ("Button title length invalid. Min length: 1,
# Max length: 20"). Only that sentence is Meta's own wording; the others follow its pattern.
BUTTON_TITLE_MAX = 20
BUTTONS_MAX = 3
BUTTON_BODY_MAX = 1024
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24


def _length(what: str, value: Any, high: int, low: int = 1) -> str | None:
    if isinstance(value, str) and not low <= len(value) <= high:
        return f"{what} length invalid. Min length: {low}, Max length: {high}"
    return None


def _duplicate(values: list[Any]) -> Any:
    seen: set[Any] = set()
    for value in values:
        if isinstance(value, str) and value in seen:
            return value
        seen.add(value)
    return None


def _buttons_problem(interactive: dict[str, Any], action: dict[str, Any]) -> str | None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list):
        return None
    if not 1 <= len(buttons) <= BUTTONS_MAX:
        return f"Buttons count invalid. Min allowed buttons: 1, Max allowed buttons: {BUTTONS_MAX}"
    replies: list[dict[str, Any]] = [
        b["reply"] for b in buttons if isinstance(b, dict) and isinstance(b.get("reply"), dict)
    ]
    for reply in replies:
        problem = _length("Button title", reply.get("title"), BUTTON_TITLE_MAX)
        if problem:
            return problem
    body = interactive.get("body")
    if isinstance(body, dict):
        problem = _length("Body text", body.get("text"), BUTTON_BODY_MAX)
        if problem:
            return problem
    if _duplicate([r.get("id") for r in replies]) is not None:
        return "Duplicate button id. Button ids must be unique"
    if _duplicate([r.get("title") for r in replies]) is not None:
        return "Duplicate button title. Button titles must be unique"
    return None


def _list_problem(interactive: dict[str, Any], action: dict[str, Any]) -> str | None:
    header = interactive.get("header")
    if isinstance(header, dict) and header.get("type") not in (None, "text"):
        return f"Header type {header.get('type')} is not supported for list messages; text only"
    problem = _length("Button title", action.get("button"), BUTTON_TITLE_MAX)
    if problem:
        return problem
    sections = action.get("sections")
    if not isinstance(sections, list):
        return None
    sections = [s for s in sections if isinstance(s, dict)]
    rows = [r for s in sections if isinstance(s.get("rows"), list) for r in s["rows"]]
    rows = [r for r in rows if isinstance(r, dict)]
    if len(rows) > LIST_ROWS_MAX:
        return f"Total row count exceed max allowed count: {LIST_ROWS_MAX}"
    if len(sections) > 1 and not all(s.get("title") for s in sections):
        return "Section title is required when a list message has more than one section"
    for row in rows:
        problem = _length("Row title", row.get("title"), ROW_TITLE_MAX)
        if problem:
            return problem
    if _duplicate([r.get("id") for r in rows]) is not None:
        return "Duplicate row id. Row ids must be unique"
    return None


def interactive_problem(interactive: Any) -> str | None:
    """What Meta would refuse with 131009 in a WhatsApp interactive send, or None.

    Checked before the schema (whose violations are error 100): at most 3 reply buttons with
    unique ids and titles of 1-20 characters and a body of at most 1024; at most 10 list rows
    across all sections, titled sections when there are several, unique row ids, row titles
    of at most 24 characters, a list button of at most 20, and a text header only.
    Anything not shaped as expected is left to the schema.
    """
    if not isinstance(interactive, dict) or not isinstance(interactive.get("action"), dict):
        return None
    if interactive.get("type") == "button":
        return _buttons_problem(interactive, interactive["action"])
    if interactive.get("type") == "list":
        return _list_problem(interactive, interactive["action"])
    return None


INSTAGRAM_TEXT_BYTES = 1000


def check_instagram_text(body: Any, limit: str) -> None:
    """Instagram's text limit: 1000 bytes of UTF-8 (a third-party reading, the default) or the
    Messenger 2000 characters (``"2000-chars"``, which the shared schema already checks)."""
    message = body.get("message") if isinstance(body, dict) else None
    text = message.get("text") if isinstance(message, dict) else None
    if limit == "1000-bytes" and isinstance(text, str):
        size = len(text.encode("utf-8"))
        if size > INSTAGRAM_TEXT_BYTES:
            raise invalid_parameter(
                f"Param message[text] must be at most {INSTAGRAM_TEXT_BYTES} bytes long "
                f"(UTF-8), got {size}.",
                whatsapp=False,
            )
