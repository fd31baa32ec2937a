"""Versions of the interpreter and the packages a run depends on, for the report header."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("metasim", "pytest", "pytest-bdd", "allure-pytest-bdd", "coverage", "httpx")


def versions() -> dict[str, str]:
    """``{"python": "3.11.2", "pytest": "9.0.1", ...}``; absent packages are left out."""
    found = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found
