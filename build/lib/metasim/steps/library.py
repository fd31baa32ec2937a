"""Introspect the step library and the features: every phrase, and which feature steps match none."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.feature import get_features
from pytest_bdd.steps import step_function_context_registry

STEP_MODULES = (
    "metasim.steps.delivery",
    "metasim.steps.signature",
    "metasim.steps.gateway",
    "metasim.steps.graph",
    "metasim.steps.outbox",
    "metasim.steps.observability",
    "metasim.steps.envelope",
)
FEATURES = Path(__file__).resolve().parents[1] / "features"


@dataclass(frozen=True)
class StepDef:
    """One step phrase of the library: keyword, pattern, docstring, where it is defined."""

    keyword: str
    pattern: str
    doc: str
    module: str
    function: str
    takes_table: bool
    takes_docstring: bool
    matcher: object

    def matches(self, keyword: str, text: str) -> bool:
        """True if this definition binds the feature step ``keyword text``."""
        return self.keyword == keyword and bool(self.matcher.is_matching(text))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FeatureStep:
    """One step as written in a feature (outline placeholders rendered per example row)."""

    file: str
    line: int
    keyword: str
    text: str


def definitions() -> list[StepDef]:
    """Every step definition of the library modules, sorted by module then phrase."""
    for name in STEP_MODULES:
        importlib.import_module(name)
    found: list[StepDef] = []
    for context in list(step_function_context_registry.values()):
        func = context.step_func
        if not func.__module__.startswith("metasim.steps."):
            continue
        params = inspect.signature(func).parameters
        found.append(
            StepDef(
                keyword=context.type or "*",
                pattern=context.parser.name,
                doc=(inspect.getdoc(func) or "").splitlines()[0] if func.__doc__ else "",
                module=func.__module__,
                function=func.__name__,
                takes_table="datatable" in params,
                takes_docstring="docstring" in params,
                matcher=context.parser,
            )
        )
    return sorted(
        found,
        key=lambda d: (
            STEP_MODULES.index(d.module) if d.module in STEP_MODULES else 99,
            d.pattern,
            d.keyword,
        ),
    )


def feature_steps(folder: Path = FEATURES) -> list[FeatureStep]:
    """Every step of every feature; outline steps once per example row, placeholders filled."""
    out: list[FeatureStep] = []
    for feature in get_features([str(folder)]):
        for template in feature.scenarios.values():
            contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
            seen: set[tuple[int, str]] = set()
            for context in contexts:
                for step in template.render(context).steps:
                    key = (step.line_number, step.name)
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(
                        FeatureStep(feature.rel_filename, step.line_number, step.type, step.name)
                    )
    return out


def unmatched(folder: Path = FEATURES) -> list[FeatureStep]:
    """Feature steps no library phrase binds (CI fails when this is not empty)."""
    defs = definitions()
    return [s for s in feature_steps(folder) if not any(d.matches(s.keyword, s.text) for d in defs)]


def examples_of(definition: StepDef, folder: Path = FEATURES) -> list[FeatureStep]:
    """Feature steps bound by ``definition`` (the catalogue shows the first as an example)."""
    return [s for s in feature_steps(folder) if definition.matches(s.keyword, s.text)]
