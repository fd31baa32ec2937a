"""The clients file as pydantic models: the one validator, and the source of its JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Channel = Literal["wa", "ig", "msg"]


def _epoch_seconds(value: Any) -> Any:
    # a number is epoch seconds, always: pydantic alone reads one above 2e10 as milliseconds
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return value


# ISO 8601 or epoch seconds; a naive time is read as local time
Expiry = Annotated[
    datetime,
    BeforeValidator(_epoch_seconds),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]}),
]

SCHEMA_ID = "https://metasim.local/schemas/tenants-file.schema.json"
SCHEMA_COMMENT = (
    "Generated from gateway/clients_model.py (python -m metasim.gateway.clients_model): "
    "do not edit by hand. The acceptance harness writes this file from a target file's "
    "[tenants.*] tables before it starts the gateway, so a team writes its tenants' ids and "
    "tokens once. It is also the reference gateway's clients file (GATEWAY_CLIENTS_FILE). The "
    "'unknown' tenant is never written: no client owns its ids."
)


class _Strict(BaseModel):
    # a misspelt key is reported, never silently ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class EchoRule(_Strict):
    """Reply with the inbound text (``[image]`` for a message without text)."""

    kind: Literal["echo"] = "echo"


class FixedRule(_Strict):
    """Reply with the same text to every message."""

    kind: Literal["fixed"]
    text: NonEmpty


class KeywordsRule(_Strict):
    """Reply by keyword (whole words, any case); ``default`` answers every other message."""

    kind: Literal["keywords"]
    keywords: Annotated[dict[str, NonEmpty], Field(min_length=1)]
    # required: without it an unmatched message would get no reply (one reply per message)
    default: NonEmpty


ReplyRuleModel = Annotated[EchoRule | FixedRule | KeywordsRule, Field(discriminator="kind")]


class ClientEntry(_Strict):
    """One client: the ids it owns per channel, its Graph token (or its env var), its reply rule."""

    # what the validators below check, written out for the published schema's readers
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["token"]}, {"required": ["token_env"]}],
            "not": {
                "anyOf": [
                    {"required": ["token", "token_env"]},
                    {"required": ["api_key", "api_key_env"]},
                ]
            },
        }
    )

    client_id: NonEmpty = Field(description="the tenant's name in the target file")
    name: str | None = None
    channels: Annotated[dict[Channel, list[NonEmpty]], Field(min_length=1)] = Field(
        description="the business ids this client owns, per channel: WhatsApp "
        "phone_number_id, Instagram account id, Page id"
    )
    token: NonEmpty | None = Field(
        None, description="the Graph token the gateway sends with for this client"
    )
    token_env: NonEmpty | None = Field(
        None, description="the env var holding the Graph token", validate_default=True
    )
    token_expires_at: Expiry | None = Field(
        None, description="after this instant the fake Graph API refuses the token (code 190)"
    )
    reply_rule: ReplyRuleModel = EchoRule()
    api_key: NonEmpty | None = Field(
        None, description="the client's key for the gateway's outbound API, if it has one"
    )
    api_key_env: NonEmpty | None = Field(
        None, description="the env var holding the API key", validate_default=True
    )

    @field_validator("token_env", "api_key_env")
    @classmethod
    def _set_in_env(cls, var: str | None, info: ValidationInfo) -> str | None:
        env: Mapping[str, str] = (info.context or {}).get("env", {})
        if var is not None and not env.get(var):
            # the variable's name is safe to print, its value never is
            raise ValueError(f"env var {var!r} is not set")
        return var

    # field validators, not a model validator: they run beside the other fields' checks, so
    # a missing token is reported together with every other problem of the entry
    @field_validator("token_env", mode="after")
    @classmethod
    def _one_token(cls, var: str | None, info: ValidationInfo) -> str | None:
        return _one_source(var, info, "token")

    @field_validator("api_key_env", mode="after")
    @classmethod
    def _one_api_key(cls, var: str | None, info: ValidationInfo) -> str | None:
        return _one_source(var, info, "api_key", required=False)


def _one_source(
    var: str | None, info: ValidationInfo, key: str, *, required: bool = True
) -> str | None:
    """A secret is given as its value or as the name of an env var holding it: one of them."""
    if key not in info.data:
        return var  # the value itself was invalid: already reported
    if var is not None and info.data[key] is not None:
        raise PydanticCustomError("entry", f"give {key} or {key}_env, not both")
    if required and var is None and info.data[key] is None:
        raise PydanticCustomError("entry", f"{key} or {key}_env is required")
    return var


class ClientsFile(_Strict):
    """The whole file: ``{"clients": [...]}``; one owner per (channel, id)."""

    clients: list[ClientEntry]

    @model_validator(mode="after")
    def _one_owner_per_id(self) -> ClientsFile:
        seen: dict[tuple[str, str], str] = {}
        clashes = []
        for c in self.clients:
            for ch, ids in c.channels.items():
                for tid in ids:
                    owner = seen.setdefault((ch, tid), c.client_id)
                    if owner != c.client_id:
                        clashes.append(f"{ch} id {tid} belongs to both {owner} and {c.client_id}")
        if clashes:
            raise ValueError("\n".join(clashes))  # one problem per line
        return self


def json_schema() -> dict[str, Any]:
    """The published JSON Schema (payloads/schemas/tenants-file.schema.json), from the models."""
    generated = ClientsFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "$comment": SCHEMA_COMMENT,
        **generated,
        "title": "Clients file of the reference gateway, and tenants file written by the harness",
    }


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
