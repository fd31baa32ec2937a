"""Acceptance-suite root: the suite's plugin (steps/plugin.py) for every test of the repo."""

pytest_plugins = ["metasim.steps.plugin"]
