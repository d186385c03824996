"""Every benchmark of ``bench/``, one after the other, and their figures in ``bench/RESULTS.md`` (``make bench``).

Ratios first (synth against the floor and the peer, cold start against the floor, from ``synth.py``), then the
lifecycle costs of the wait modes (``long_wait.py``) and the stack at scale with throttling (``scale.py``). Each
script's own output is kept as it printed it, with the machine it ran on: figures, never pass or fail. Goals that are
missed are visible in the figures; ``docs/long-wait.md`` and the README's limits say why where it is known.

Run: ``.venv/bin/python bench/run.py [--quick]`` (``--quick``: 1 and 100 jobs, fewer repeats, no 400-job deploy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def machine() -> str:
    memory = ""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
        kib = int(next(line for line in lines if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.platform()}, {os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"


def run(script: str, *args: str) -> tuple[str, float]:
    started = time.monotonic()
    print(f"== bench/{script} {' '.join(args)}", flush=True)
    answer = subprocess.run(
        [sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=False, cwd=HERE.parent
    )
    output = answer.stdout + (f"\n(exit {answer.returncode})\n{answer.stderr[-2000:]}" if answer.returncode else "")
    print(output, flush=True)
    return output.strip(), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    plan = [
        ("synth.py", ["--jobs", "1", "100", "--repeat", "1", "--cold-repeat", "7"] if args.quick else []),
        ("long_wait.py", []),
        ("scale.py", ["--jobs", "10", "100"] if args.quick else []),
    ]
    sections = []
    for script, script_args in plan:
        output, seconds = run(script, *script_args)
        sections.append(f"## bench/{script} {' '.join(script_args)}\n\n({seconds:.0f} s)\n\n```\n{output}\n```\n")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        f"# Benchmark results\n\nWritten by `make bench` (`bench/run.py`) on {stamp}.\n\nMachine: {machine()}.\n\n"
        + "\n".join(sections)
    )
    print(f"written: {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
