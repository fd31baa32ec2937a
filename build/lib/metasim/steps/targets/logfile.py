"""Read a gateway's JSON-lines log file from a remembered offset (one scenario's lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def log_size(path: Path | None) -> int:
    """The file's size now (0 when there is no file yet)."""
    return path.stat().st_size if path is not None and path.exists() else 0


def read_since(path: Path | None, offset: int) -> str:
    """Text written after ``offset``; the whole file if it shrank (rotated or recreated)."""
    if path is None or not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(offset if offset <= path.stat().st_size else 0)
        return handle.read().decode("utf-8", "replace")


def parse_lines(text: str) -> list[dict[str, Any]]:
    """One dict per JSON line; a non-JSON line becomes ``{"_not_json": line, "_line": n}``."""
    lines: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        lines.append(value if isinstance(value, dict) else {"_not_json": line, "_line": number})
    return lines
