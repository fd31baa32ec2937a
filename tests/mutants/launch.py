"""Start the reference gateway with one planted bug: GATEWAY_MUTANT=<name> python launch.py serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from metasim.gateway import cli  # noqa: E402  (the repository root is on sys.path just above)
from tests.mutants.mutants import apply  # noqa: E402


def main() -> int:
    name = os.environ.get("GATEWAY_MUTANT", "")
    if not name:
        raise SystemExit("set GATEWAY_MUTANT to one of tests/mutants/mutants.py MUTANTS")
    apply(name)
    # the bug is planted by patching this process's modules: a worker child process would run
    # the unpatched code, so the mutant runs its workers inline (the same pipeline code)
    os.environ["GATEWAY_WORKERS"] = "inline"
    return int(cli.main(sys.argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
