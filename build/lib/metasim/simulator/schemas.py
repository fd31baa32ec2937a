"""Load the JSON Schemas under payloads/schemas and validate documents against them (2020-12)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

PAYLOADS_DIR = Path(__file__).resolve().parent.parent / "payloads"
SCHEMAS_DIR = PAYLOADS_DIR / "schemas"


class SchemaViolation(ValueError):
    """A document does not match its schema; ``path`` is the JSON path of the first problem."""

    def __init__(self, schema: str, error: ValidationError) -> None:
        self.schema = schema
        self.path = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        )
        self.reason = error.message
        super().__init__(f"{schema}: {self.path}: {self.reason}")


def schema_name(path: Path) -> str:
    """The short name of a schema file: its path under payloads/schemas without the suffix."""
    return (
        path.relative_to(SCHEMAS_DIR).as_posix().removesuffix(".schema.json").removesuffix(".json")
    )


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    by_name: dict[str, dict[str, Any]] = {}
    resources = []
    for path in sorted(SCHEMAS_DIR.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        by_name[schema_name(path)] = doc
        uri = doc.get("$id") or path.resolve().as_uri()
        resources.append((uri, Resource.from_contents(doc)))
    return Registry().with_resources(resources), by_name


def names() -> list[str]:
    """Every schema's short name, e.g. ``whatsapp/webhook``, ``envelope``, ``graph/wa-send``."""
    return sorted(_registry()[1])


def schema(name: str) -> dict[str, Any]:
    """The schema document called ``name``; KeyError lists the known names."""
    by_name = _registry()[1]
    if name not in by_name:
        raise KeyError(f"no schema {name!r}; known: {', '.join(sorted(by_name))}")
    return by_name[name]


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for the schema ``name`` that resolves ``$ref`` across files."""
    registry, _ = _registry()
    return Draft202012Validator(schema(name), registry=registry)


def errors(name: str, document: Any) -> list[SchemaViolation]:
    """Every violation of ``document`` against ``name``, most specific first."""
    found = sorted(
        validator(name).iter_errors(document), key=lambda e: (list(e.absolute_path), e.message)
    )
    return [SchemaViolation(name, e) for e in found]


def validate(name: str, document: Any) -> None:
    """Raise SchemaViolation naming the first wrong field, or return if ``document`` is valid."""
    found = errors(name, document)
    if found:
        raise found[0]
