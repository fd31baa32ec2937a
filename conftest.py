"""Acceptance-suite root: loads the step library and the targets."""
