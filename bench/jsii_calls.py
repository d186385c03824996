"""Counts jsii kernel round trips of the synth benchmark's apps: the deterministic figure behind synth time.

Each round trip is one message to the node process and its answer (~0.5-1 ms), and they are most of a CDK app's
synth in Python; unlike wall time on a shared machine, their number does not vary from run to run. This wraps
``_NodeProcess.send`` (every request, callbacks' answers included) and runs ``bench/synth_apps.py``'s ``run`` for
``floor``, ``peer`` and ``ours`` at each size, each in a fresh process, and prints the round trips per job, split
into construction (the app's code) and ``app.synth()`` (aspects, lazy values, validations), and the CPU time the
Python process and the node process spent from the stack's first job to the end of ``app.synth()`` (less sensitive
than wall time to a busy machine; imports inside the case, such as ours importing its package, are counted).

Run: ``.venv/bin/python bench/jsii_calls.py [--jobs 1 10 100] [--cases floor peer ours] [--where ours 100]``;
``--where CASE N`` prints instead the Python lines of this repository that cause the most round trips in that case.
Prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
ROOT = Path(__file__).resolve().parent.parent
CASES = ("floor", "peer", "ours", "imported")


class Counter:
    """Counts ``send`` calls; with ``where``, also the innermost frame of this repository that led to each."""

    def __init__(self, where: bool) -> None:
        self.count = 0
        self.node_pid: int | None = None
        self.where = where
        self.sites: collections.Counter[str] = collections.Counter()

    def install(self) -> None:
        from jsii._kernel.providers.process import _NodeProcess

        original = _NodeProcess.send
        counter = self

        def send(process: _NodeProcess, request: object, response_type: type) -> object:
            counter.count += 1
            counter.node_pid = process._process.pid
            if counter.where:
                counter.sites[f"{counter.site()}  [{describe(request)}]"] += 1
            return original(process, request, response_type)

        _NodeProcess.send = send  # type: ignore[method-assign]

    @staticmethod
    def site() -> str:
        own = [
            f
            for f in traceback.extract_stack()[:-3]
            if f.filename.startswith(str(ROOT)) and ".venv" not in f.filename and "jsii_calls" not in f.filename
        ]
        if not own:
            return "(outside the repository)"
        frame = own[-1]
        return f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} {frame.name}"


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of process ``pid`` and its descendants, from /proc (the jsii runtime starts node
    as a child of its own launcher); 0 where there is none."""
    if pid is None:
        return 0.0
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:13]) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def describe(request: object) -> str:
    """``get node``, ``invoke addDependency``, ``create aws-cdk-lib.CustomResource``, ``complete`` (a callback's
    answer)..."""
    kind = type(request).__name__.removesuffix("Request").lower()
    member = next((getattr(request, a) for a in ("property", "method", "fqn") if hasattr(request, a)), "")
    return f"{kind} {member}".strip()


def count_case(case: str, jobs: int, where: bool) -> dict:
    """One case in this process: round trips while the app is built and while it is synthesized."""
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "constructs"), str(ROOT / "lambda")]
    import aws_cdk as cdk
    import synth_apps
    from aws_cdk import aws_s3 as s3

    counter = Counter(where)
    counter.install()
    with tempfile.TemporaryDirectory(prefix="jsii-calls-") as outdir:
        start = counter.count
        app = cdk.App(outdir=outdir)
        stack = cdk.Stack(app, "Bench")
        bucket = s3.Bucket.from_bucket_name(stack, "Data", "my-training-data")
        cpu_start = time.process_time(), cpu_seconds(counter.node_pid)
        synth_apps.CASES[case](stack, bucket, jobs)
        built = counter.count
        app.synth()
        done = counter.count
        python_cpu, node_cpu = time.process_time() - cpu_start[0], cpu_seconds(counter.node_pid) - cpu_start[1]
    return {
        "case": case,
        "jobs": jobs,
        "construct": built - start,
        "synth": done - built,
        "total": done - start,
        "python_cpu": python_cpu,
        "node_cpu": node_cpu,
        "sites": counter.sites.most_common(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--where", nargs=2, metavar=("CASE", "JOBS"))
    parser.add_argument("--one", nargs=2, metavar=("CASE", "JOBS"), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(count_case(args.one[0], int(args.one[1]), where=False)))
        return
    if args.where:
        result = count_case(args.where[0], int(args.where[1]), where=True)
        print(f"{result['total']} round trips ({result['construct']} building, {result['synth']} in synth)")
        for site, count in result["sites"]:
            print(f"{count:>7}  {site}")
        return
    print("| jobs | case | round trips (build + synth) | per job | per job above the floor | CPU s (python + node) |")
    print("|---|---|---|---|---|---|")
    for jobs in args.jobs:
        floor_total = None
        for case in args.cases:
            answer = subprocess.run(
                [sys.executable, __file__, "--one", case, str(jobs)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if answer.returncode:
                raise SystemExit(f"{case} with {jobs} jobs failed:\n{answer.stderr[-3000:]}")
            r = json.loads(answer.stdout.strip().splitlines()[-1])
            if case == "floor":
                floor_total = r["total"]
            above = f"{(r['total'] - floor_total) / jobs:,.1f}" if floor_total is not None else "-"
            print(
                f"| {jobs} | {case} | {r['total']:,} ({r['construct']:,} + {r['synth']:,}) | "
                f"{r['total'] / jobs:,.1f} | {above} | {r['python_cpu']:.2f} + {r['node_cpu']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
