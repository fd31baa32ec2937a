"""Channel builders: catalogue samples made into fresh, Meta-exact webhook payloads."""
