"""ConfigError, and pydantic's validation errors turned into one line per bad env var."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

import annotated_types
from pydantic import BaseModel, ValidationError


class ConfigError(ValueError):
    """One or more env vars are missing or invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid gateway configuration:\n  - " + "\n  - ".join(problems))


def problems_of(
    exc: ValueError, model: type[BaseModel], raw: Mapping[str, str | None]
) -> list[str]:
    """One ``NAME='value' what to write`` line per error (preflight reads NAME before ``=``)."""
    if not isinstance(exc, ValidationError):
        return [str(exc)]
    by_alias = {f.validation_alias: (name, f) for name, f in model.model_fields.items()}
    out = []
    for err in exc.errors():
        var = str(err["loc"][0]) if err["loc"] else "?"
        value = raw.get(var, err.get("input"))
        field = by_alias.get(var, (var, None))[1]
        out.append(f"{var}={value!r} {_what_to_write(err, field)}")
    return out


def _what_to_write(err: Any, field: Any) -> str:
    kind = err["type"]
    if kind == "literal_error" and field is not None:
        return f"is not one of {', '.join(map(str, get_args(field.annotation)))}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "is not an integer"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "is not a number"
    if kind in ("greater_than_equal", "less_than_equal") and field is not None:
        low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
        return f"must be >= {low}" if high is None else f"must be between {low} and {high}"
    if kind == "value_error":
        return str(err["ctx"]["error"])  # our validators' own "what to write"
    return str(err["msg"])
