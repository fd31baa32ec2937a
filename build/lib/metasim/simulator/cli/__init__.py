"""The ``metasim`` console script: one module per command, registered in main.py."""
