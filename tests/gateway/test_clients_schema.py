"""The published clients-file JSON Schema is the one generated from the pydantic models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from metasim.gateway.clients_model import json_schema

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "payloads" / "schemas" / "tenants-file.schema.json"


def test_the_published_schema_is_the_generated_one() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == json_schema(), (
        "regenerate it: .venv/bin/python -m metasim.gateway.clients_model > "
        "payloads/schemas/tenants-file.schema.json"
    )


def test_the_generator_writes_the_published_bytes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "metasim.gateway.clients_model"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == PUBLISHED.read_text(encoding="utf-8")


def test_the_schema_is_a_valid_2020_12_schema_that_says_what_the_model_checks() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)  # the metaschema, not a document
    entry = schema["$defs"]["ClientEntry"]
    assert entry["additionalProperties"] is False
    assert entry["required"] == ["client_id", "channels"]
    assert {"token", "token_env", "api_key", "api_key_env", "reply_rule"} <= set(
        entry["properties"]
    )
    assert entry["properties"]["channels"]["propertyNames"] == {"enum": ["wa", "ig", "msg"]}
