"""Closed vocabularies: a typo in a step parameter fails listing every allowed value."""

from __future__ import annotations

import pytest

from metasim.simulator.signing_defects import DEFECTS
from metasim.steps import vocabulary
from metasim.steps.targets.fake_graph import FAULT_CODES
from metasim.steps.vocabulary import Vocabulary, VocabularyError


def test_a_typo_lists_the_allowed_values() -> None:
    with pytest.raises(VocabularyError) as info:
        vocabulary.SIGNATURE_MODE("enforced")
    message = str(info.value)
    assert 'unknown signature mode "enforced"' in message
    assert '"off", "warn", "enforce"' in message


def test_channel_names_are_case_insensitive() -> None:
    assert vocabulary.CHANNEL("whatsapp") == "wa"
    assert vocabulary.CHANNEL("Messenger") == "msg"
    with pytest.raises(VocabularyError, match='"WhatsApp", "Instagram", "Messenger"'):
        vocabulary.CHANNEL("Telegram")


def test_every_signature_phrase_names_a_real_signing_defect() -> None:
    extra = {"valid", "legacy_sha1"}
    unknown = [
        v for v in vocabulary.SIGNATURE.words.values() if v not in DEFECTS and v not in extra
    ]
    assert unknown == []


def test_every_graph_fault_phrase_has_a_catalogue_code() -> None:
    assert set(vocabulary.GRAPH_FAULT.words.values()) <= set(FAULT_CODES)


def test_stage_vocabulary_matches_the_pipeline_order_of_the_design() -> None:
    # backlog P0-06: parse -> signature -> ACK -> contract -> ... -> send -> dlq
    assert vocabulary.STAGE.allowed[:4] == ["parse", "signature", "ack", "contract"]
    assert vocabulary.STAGE.allowed[-2:] == ["send", "dlq"]


def test_a_custom_vocabulary_carries_its_hint() -> None:
    words = Vocabulary("order", {"as built": "asis"}, hint="see docs")
    with pytest.raises(VocabularyError, match=r"allowed: \"as built\" \(see docs\)"):
        words("sideways")
