"""Plant the mutant named by GATEWAY_MUTANT in this process, for the in-process target.

``pytest features --target reference-inprocess -p tests.mutants.plugin`` builds the gateway
inside the pytest process after configuration: the patched modules are the ones it runs.
"""

from __future__ import annotations

import os

import pytest

from tests.mutants.mutants import apply


def pytest_configure(config: pytest.Config) -> None:
    name = os.environ.get("GATEWAY_MUTANT", "")
    if name:
        apply(name)
