"""The tests a Messenger-platform webhook schema owes its samples, shared by Instagram and Messenger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from metasim.simulator.schemas import errors
from tests.support.json_docs import removals, with_unknown_field, with_value, without

Required = Callable[[dict[str, Any], tuple[str, ...]], bool]
WrongType = tuple[str, str, Any]  # sample name, dotted path, a value of the wrong type


def webhook_schema_tests(
    schema: str,
    samples: dict[str, Any],
    required: Required,
    wrong_types: list[WrongType],
    tolerated: list[tuple[str, str]],
) -> tuple[Callable[..., None], ...]:
    """The channel's contract tests, to bind at module level under the names they carry.

    ``required(payload, path)`` says, from Meta's documentation (never from the schema), whether
    removing ``path`` must make the payload invalid; ``tolerated`` lists (sample, dotted place)
    where an unknown field Meta may add later must be accepted. pytest collects the returned
    functions in the binding module, with the ids a test written there would get.
    """

    @pytest.mark.parametrize("name", sorted(samples))
    def test_every_sample_is_valid(name: str) -> None:
        assert errors(schema, samples[name]["payload"]) == []

    @pytest.mark.parametrize(("name", "path"), removals(samples))
    def test_removing_a_field_fails_exactly_when_meta_requires_it(
        name: str, path: tuple[str, ...]
    ) -> None:
        payload = samples[name]["payload"]
        found = errors(schema, without(payload, path))
        assert bool(found) == required(payload, path), [str(e) for e in found]

    @pytest.mark.parametrize(("name", "path", "value"), wrong_types)
    def test_a_wrong_type_is_rejected(name: str, path: str, value: Any) -> None:
        assert errors(schema, with_value(samples[name]["payload"], path, value))

    @pytest.mark.parametrize(("name", "where"), tolerated)
    def test_unknown_fields_meta_may_add_are_tolerated(name: str, where: str) -> None:
        assert errors(schema, with_unknown_field(samples[name]["payload"], where)) == []

    return (
        test_every_sample_is_valid,
        test_removing_a_field_fails_exactly_when_meta_requires_it,
        test_a_wrong_type_is_rejected,
        test_unknown_fields_meta_may_add_are_tolerated,
    )
