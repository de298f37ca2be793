"""Run every benchmark: `python benchmarks/run.py` (or `make bench`).

Each `bench_*.py` here is also runnable on its own and prints a Markdown table; this
runs them one after the other (never in parallel: they measure the machine) and
stops on the first that fails.  Pass names to run a subset: `run.py registry serving`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    for script in scripts:
        print(f"\n## {script.stem}\n", flush=True)
        rc = subprocess.call([sys.executable, str(script)], env=env)
        if rc:
            print(f"{script.name} failed with status {rc}", file=sys.stderr)
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
