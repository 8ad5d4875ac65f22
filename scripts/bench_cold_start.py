"""Cold-start import cost of the Lambda handler module.

Runs ``python -X importtime -c "import app.lambda_handler"`` in a fresh interpreter N times and
prints the cumulative time of the top-level ``app.lambda_handler`` import (min and median).
Bytecode is already compiled in the virtual environment, as it is in the Lambda image.

Usage: python scripts/bench_cold_start.py [--runs 5]
"""

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "app.lambda_handler"
# "import time: self [us] | cumulative | imported package", one line per module, on stderr.
LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


def command() -> list[str]:
    return [sys.executable, "-X", "importtime", "-c", f"import {MODULE}"]


def cumulative_us(stderr: str, module: str = MODULE) -> int:
    """The cumulative microseconds of ``module`` imported at top level (no indentation)."""
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match and match.group(4) == module and len(match.group(3)) <= 1:
            return int(match.group(2))
    raise ValueError(f"no top-level import of {module} in the -X importtime output")


def run_once() -> int:
    result = subprocess.run(command(), cwd=ROOT, capture_output=True, text=True, check=True)
    return cumulative_us(result.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("command:", subprocess.list2cmdline(command()), f"(cwd {ROOT})")
    samples = [run_once() for _ in range(args.runs)]
    print("runs (ms):", ", ".join(f"{us / 1000:.1f}" for us in samples))
    print(
        f"{MODULE} cumulative import: min {min(samples) / 1000:.1f} ms, "
        f"median {statistics.median(samples) / 1000:.1f} ms over {len(samples)} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
