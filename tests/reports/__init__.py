"""Tests of the coverage report: plugin, renderer, browser, CI templates."""
