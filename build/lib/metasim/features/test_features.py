"""The suite's one binder: every .feature file in this folder becomes pytest tests."""

from pytest_bdd import scenarios

scenarios(".")
