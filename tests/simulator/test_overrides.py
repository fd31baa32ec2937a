"""``--set path=value`` overrides: dot paths, list indices, JSON values, clear errors."""

from __future__ import annotations

import pytest

from metasim.simulator.overrides import (
    OverrideError,
    apply_overrides,
    parse_assignment,
    parse_value,
    set_path,
)
from tests.support.webhooks import wa_text_webhook


def test_sets_a_nested_value_through_list_indices():
    payload = apply_overrides(
        wa_text_webhook(), ["entry.0.changes.0.value.messages.0.text.body=Bonjour"]
    )
    assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == "Bonjour"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42", 42),
        ("true", True),
        ("null", None),
        ('{"a": [1]}', {"a": [1]}),
        ('"1749416383"', "1749416383"),
        ("Bonjour à tous", "Bonjour à tous"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_values_are_json_when_valid_json_else_strings(raw, value):
    assert parse_value(raw) == value


def test_only_the_first_equals_splits_path_and_value():
    assert parse_assignment("entry.0.id=a=b") == ("entry.0.id", "a=b")


def test_a_missing_final_key_is_created_and_mapping_values_are_used_as_given():
    payload = apply_overrides(
        wa_text_webhook(), {"entry.0.changes.0.value.messages.0.context": {"forwarded": True}}
    )
    assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["context"] == {
        "forwarded": True
    }


def test_a_list_item_can_be_replaced():
    payload = wa_text_webhook()
    set_path(payload, "entry.0.changes.0.value.messages.0", {"type": "image"})
    assert payload["entry"][0]["changes"][0]["value"]["messages"] == [{"type": "image"}]


@pytest.mark.parametrize(
    ("path", "names"),
    [
        (
            "entry.0.changes.0.valu.messages.0.text.body",
            ["'valu'", "entry.0.changes.0", "field, value"],
        ),
        ("entry.3.id", ["index 3", "at entry", "1 item(s)"]),
        ("entry.first.id", ["'first'", "list index"]),
        ("object.name", ["'name'", "at object", "str value"]),
        ("entry..id", ["empty segment"]),
    ],
)
def test_a_bad_path_names_the_failing_segment_and_what_exists_there(path, names):
    with pytest.raises(OverrideError) as caught:
        set_path(wa_text_webhook(), path, "x")
    message = str(caught.value)
    assert message.startswith(path)
    for part in names:
        assert part in message


def test_an_assignment_without_equals_is_refused():
    with pytest.raises(OverrideError, match="path=value"):
        apply_overrides(wa_text_webhook(), ["entry.0.id"])
