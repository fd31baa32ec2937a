"""Request bodies checked against payloads/schemas/graph/, violations worded as Graph's error 100."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from simulator import schemas
from simulator.graph.errors import GraphError, invalid_parameter

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


def body_error(reason: str, *, whatsapp: bool) -> GraphError:
    """Error 100 for a body that is not a JSON object at all."""
    return invalid_parameter(reason, whatsapp=whatsapp)
