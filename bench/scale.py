"""Benchmark of scale: the example app with a learning-rate sweep (``-c sweep=N``), synthesized and deployed through the
local driver and emulator with every job waited for in the long mode, and a share of Bedrock calls throttled.

Prints, per size: synth wall time, resources, template bytes per job; then the deployment: the stack's status, wall
time, Lambda invocations (CloudFormation requests, job events, polls), Bedrock calls by operation, jobs started
against jobs declared (a duplicate would show), and leftovers (jobs running, models, rules, permissions) after the
stack is deleted. Goals (issues "Wait for real training" and "Scale and speed"): 400 jobs in one stack inside
CloudFormation's 500 resources, at most 2,048 template bytes per job, nothing left behind.

Run: ``.venv/bin/python bench/scale.py [--jobs 10 100 400] [--throttle 0.3] [--synth-only]``. Not a test: it prints
figures, it asserts nothing. Jobs train two virtual hours at a high clock speed; every figure is counted, not timed,
except the wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path

from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.session import LocalSession, SessionOptions
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.driver.synth import synthesize
from bedrock_customization_local.emulator import JobScenario

JOB_TYPE = "Custom::BedrockModelCustomizationJob"
SPEED = 1200.0
JOB_SECONDS = 2 * 3600
#: The example app's own two jobs (the fine-tuning job and its follow-up) come on top of the sweep.
APP_JOBS = 2


def synth_case(jobs: int, workdir: Path) -> tuple[object, dict]:
    started = time.monotonic()
    assembly = synthesize(workdir / f"jobs-{jobs}" / "cdk.out", {"sweep": str(jobs - APP_JOBS)})
    wall = time.monotonic() - started
    template = assembly.stack().template()
    kinds = Counter(r["Type"] for r in template["Resources"].values())
    size = len(json.dumps(template, separators=(",", ":")))
    return assembly, {
        "jobs": kinds[JOB_TYPE],
        "synth_s": wall,
        "resources": len(template["Resources"]),
        "bytes_per_job": size / kinds[JOB_TYPE],
        "template_kb": size / 1024,
        "kinds": dict(kinds),
    }


def deploy_case(assembly: object, throttle: float) -> dict:
    with LocalSession(SessionOptions(speed=SPEED)) as session:
        controls = session.emulator.controls
        controls.add_job_scenario(JobScenario.lasting(JOB_SECONDS))
        if throttle:
            controls.add_fault("throttling", rate=throttle)
        runner = StackRunner(session, assembly.stack())  # type: ignore[attr-defined]
        started = time.monotonic()
        outcome = runner.deploy()
        wall = time.monotonic() - started
        controls.clear_faults()
        state = controls.state()
        kinds = Counter(
            "request" if d.detail_type == "" else "poll" if d.detail_type == "Scheduled Event" else "event"
            for d in session.polls.deliveries
        )
        declared = sum(1 for r in runner.records.values() if r.resource_type == JOB_TYPE)
        result = {
            "status": outcome.status,
            "failures": outcome.failures[:3],
            "deploy_s": wall,
            "requests": len(runner.requests),
            "events": kinds["event"],
            "polls": kinds["poll"],
            "bedrock": state["callCounts"],
            "jobs_started": len(state["jobs"]),
            "jobs_declared": declared,
            "completed": sum(1 for job in state["jobs"] if job["status"] == "Completed"),
        }
        started = time.monotonic()
        deleted = runner.destroy()
        result["delete_s"] = time.monotonic() - started
        result["delete_status"] = deleted.status
        result["leftovers"] = find_leftovers(session, runner.owned_model_arns() | runner.retained_models)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[10, 100, 400])
    parser.add_argument("--throttle", type=float, default=0.3, help="share of Bedrock calls throttled")
    parser.add_argument("--synth-only", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path(os.environ.get("BENCH_WORKDIR", "/tmp/bench-scale"))
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'jobs':>5} {'synth':>8} {'resources':>10} {'bytes/job':>10} {'template':>10}")
    assemblies = []
    for jobs in args.jobs:
        assembly, figures = synth_case(jobs, workdir)
        assemblies.append((jobs, assembly))
        print(
            f"{figures['jobs']:>5} {figures['synth_s']:>6.1f} s {figures['resources']:>10} "
            f"{figures['bytes_per_job']:>10.0f} {figures['template_kb']:>7.0f} KB"
        )
    if args.synth_only:
        return 0
    print(f"deploy with {args.throttle:.0%} of Bedrock calls throttled, jobs of {JOB_SECONDS / 3600:g} virtual hours:")
    for jobs, assembly in assemblies:
        case = deploy_case(assembly, args.throttle)
        print(
            f"{jobs:>5} jobs: {case['status']} in {case['deploy_s']:.0f} s wall; started {case['jobs_started']} of "
            f"{case['jobs_declared']} declared ({case['completed']} completed); invocations: {case['requests']} "
            f"requests + {case['events']} events + {case['polls']} polls; delete {case['delete_status']} in "
            f"{case['delete_s']:.0f} s; leftovers: {case['leftovers'] or 'none'}"
        )
        print(f"       Bedrock calls: {case['bedrock']}")
        if case["failures"]:
            print(f"       failures: {case['failures']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
