"""A pytest plugin for one collection of the features: what ``-m EXPR`` selects, for many EXPRs.

``METASIM_MARKER_EXPRESSIONS`` (a JSON list) names the expressions; after collection, each is
parsed, checked against the registered markers (under ``--strict-markers`` an unknown name is an
error, as for ``-m``) and evaluated on every item with the code pytest's own ``-m`` runs, and
``{expression: [node ids]}`` is written to ``METASIM_MARKER_SELECTION``. One collection of the
412 scenarios instead of one ``pytest features -m EXPR`` process per expression.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _pytest.mark import MarkMatcher, _parse_expression, _validate_marker_names


def pytest_collection_finish(session: pytest.Session) -> None:
    expressions = json.loads(os.environ["METASIM_MARKER_EXPRESSIONS"])
    selected: dict[str, list[str]] = {}
    for text in expressions:
        expr = _parse_expression(text, "Wrong expression passed to '-m'")
        _validate_marker_names(expr, session.config)
        selected[text] = [
            item.nodeid
            for item in session.items
            if expr.evaluate(MarkMatcher.from_markers(item.iter_markers()))
        ]
    Path(os.environ["METASIM_MARKER_SELECTION"]).write_text(json.dumps(selected), "utf-8")
