"""A small pytest-bdd suite written into a pytester folder: every outcome the report distinguishes."""

from __future__ import annotations

import pytest

BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"1029384756","text":"caf\\u00e9 \\/"}]}'
)

FEATURE_T2 = """\
@P0-01
Feature: Native parsing

  @T2.01
  Scenario Outline: A text message becomes a canonical envelope
    Given the sample "<event>"
    When the sample is delivered
    Then the gateway acknowledges with 200

    @wa
    Examples:
      | event   |
      | wa.text |

    @ig
    Examples:
      | event   |
      | ig.text |

  @T2.06 @P1-02 @wa
  Scenario: A status update is acknowledged and not answered
    Given the sample "wa.status.read"
    When the sample is delivered
    Then the fake Graph API received no message
    And the outbox is empty

  @T2.09
  Scenario Outline: Each channel row names its channel in a column
    Given the sample "<event>"

    Examples:
      | channel   | event    |
      | Messenger | msg.text |
"""

FEATURE_T14 = """\
Feature: Health

  @T14.05 @P1-04
  Scenario: The metrics endpoint exposes counters
    Given the target has no metrics URL
    Then nothing else runs

  @T14.06 @P2-05
  Scenario: A backup is skipped on purpose
    Given a step that skips
    Then nothing else runs

  @T14.07 @broken_setup
  Scenario: A broken fixture fails the scenario before its steps
    Given the sample "wa.text"

  @T14.08
  Scenario: A step nobody wrote
    Given a step that does not exist

  Scenario: A scenario without an id tag
    Given the sample "wa.text"
"""

CONFTEST = """\
import pytest
from metasim.reports import evidence

pytest_plugins = ["metasim.reports.plugin"]


def pytest_configure(config):
    evidence.set_run_info(target="reference", versions={"gateway": "9.9.9"}, store="sqlite")


@pytest.fixture(autouse=True)
def _broken(request):
    if request.node.get_closest_marker("broken_setup"):
        raise RuntimeError("the gateway did not start")
"""

STEPS = """\
import os
import time

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from metasim.reports import evidence

scenarios("features")

BODY = b'{"object":"whatsapp_business_account","entry":[{"id":"1029384756","text":"caf\\\\u00e9 \\\\/"}]}'


@given(parsers.parse('the sample "{event}"'), target_fixture="event")
def _(event):
    evidence.exercised(event_name=event)
    return event


@when("the sample is delivered")
def _(event):
    time.sleep(0.01)
    evidence.record_payload(BODY, {"X-Hub-Signature-256": "sha256=00ff"}, "http://127.0.0.1:9/webhook/wa")
    evidence.record_answer(200, b"EVENT_RECEIVED")
    evidence.on_failure(lambda: ['{"level":"info","correlation_id":"c-1","stage":"parse"}'])


@then("the gateway acknowledges with 200")
def _():
    evidence.record_graph_calls([{"method": "POST", "path": "/v23.0/106540352242922/messages", "status": 200}])


@then("the fake Graph API received no message")
def _():
    evidence.record_graph_calls([{"method": "POST", "path": "/v23.0/106540352242922/messages", "status": 400}])
    evidence.exercised(graph_error_code=131047)
    if os.environ.get("SYNTHETIC_FIXED") != "1":
        raise AssertionError("a reply was sent for a status update")


@then("the outbox is empty")
def _():
    pass


@given("the target has no metrics URL")
def _():
    evidence.not_applicable("the target declares no metrics URL")


@given("a step that skips")
def _():
    pytest.skip("backups are not run on this machine")


@then("nothing else runs")
def _():
    raise AssertionError("unreachable")


def test_plain_unit_test():
    # a real (passing) check: the plugin must report a non-scenario test beside the scenarios
    from metasim.simulator.signing import meta_bytes
    assert meta_bytes({"url": "https://wa.me/"}) == b'{"url":"https:\\\\/\\\\/wa.me\\\\/"}'
"""

INI = """\
[pytest]
markers =
    P0-01
    P1-02
    P1-04
    P2-05
    T2.01
    T2.06
    T2.09
    T14.05
    T14.06
    T14.07
    T14.08
    wa
    ig
    broken_setup
addopts = --strict-markers -p no:cacheprovider
"""


def write_suite(pytester: pytest.Pytester) -> None:
    """Write the features, the steps and the ini into the pytester folder."""
    pytester.makefile(".feature", **{"features/t2_parsing": FEATURE_T2})
    pytester.makefile(".feature", **{"features/t14_health": FEATURE_T14})
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=STEPS)
    pytester.makeini(INI)
