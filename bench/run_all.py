"""Run every benchmark in turn (make bench); each prints its figures and its same-run baseline."""

from __future__ import annotations

import shutil
import subprocess
import sys

BENCHES = (
    ["bench.bench_signing"],
    ["bench.bench_graph", "--seconds", "5"],
    ["bench.bench_graph_client"],
    ["bench.bench_gateway", "--seconds", "10"],
    ["bench.bench_load_generator"],
    ["bench.bench_signature_timing"],
    ["bench.bench_acceptance"],
    ["bench.bench_report", "--synthetic", "600"],
)


def main() -> int:
    """Run each bench module; exit non-zero naming the ones that failed."""
    if shutil.which("wrk") is None:
        # the HTTP benches compare servers with wrk (Debian package); without it they fall back
        # to an async client that measures the client rather than the servers
        print("wrk not found: installing it with apt-get (Debian)", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
    failed = []
    for argv in BENCHES:
        print(f"== {' '.join(argv)}", flush=True)
        if subprocess.run([sys.executable, "-m", *argv], check=False).returncode != 0:
            failed.append(argv[0])
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
