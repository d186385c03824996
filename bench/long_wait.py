"""Benchmark of the long wait: one customization job of 30 minutes and one of 6 hours (virtual), each with Bedrock's
job events delivered and with every event lost (the one-minute poll alone), through the local driver and emulator.

Prints, per case: the Lambda invocations (CloudFormation requests, job events, polls), the Bedrock and CloudFormation
calls the provider made, and the delay between the job's terminal state and the stack seeing it (its wait condition
completing). Goal (issue "Wait for real training"): at most 5 s with events; at most one poll interval (60 s) without.

How it measures the delay without depending on the machine: the job trains at a high clock speed, and a watcher puts
the shared virtual clock (the emulator's, which the driver's CloudFormation runs on too) at ``--tail-speed`` shortly
before the job ends, so the end is seen at close to real pace; the delay is measured in virtual seconds. At a tail
speed above 1 the provider's and driver's own latency counts that many times over (an upper bound).

Run: ``make bench`` (or ``.venv/bin/python bench/long_wait.py``). Not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.session import LocalSession, SessionOptions
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.driver.synth import synthesize
from bedrock_customization_local.emulator import JobScenario

CONDITION = "AWS::CloudFormation::WaitCondition"
FAST_SPEED = 600.0  # one virtual minute (a poll interval) per 0.1 wall second: the driver's polls keep up


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def one_job(template: dict[str, Any]) -> dict[str, Any]:
    """The example app's template without its follow-up job and what names it: its resources, the shared wait
    condition of its depth (whose members would be gone: it would wait for nobody until its timeout), that
    condition's place in the WaitStart's list, and the outputs and DependsOn entries that refer to them."""
    kept = copy.deepcopy(template)
    resources = kept["Resources"]
    doomed = {lid for lid in resources if lid.startswith("FineTuneAgain")}
    doomed |= {
        lid
        for lid, resource in resources.items()
        if set(resource.get("Metadata", {}).get("BedrockCustomizationWaitsFor", ["-"])) <= doomed
    }
    for lid in doomed:
        del resources[lid]
    for resource in resources.values():
        if isinstance(resource.get("DependsOn"), list):
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in doomed]
        conditions = resource.get("Properties", {}).get("Conditions")
        if isinstance(conditions, list):
            resource["Properties"]["Conditions"] = [c for c in conditions if c not in doomed]
    kept["Outputs"] = {k: v for k, v in kept.get("Outputs", {}).items() if not any(d in str(v) for d in doomed)}
    return kept


class _Observer:
    """Notes when the wait condition completed, on the virtual clock."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.completed_at: float | None = None

    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: Any) -> None:
        if event.resource_type == CONDITION and event.status == "CREATE_COMPLETE":
            self.completed_at = self.clock.now()

    def idle(self) -> None:
        return None


def _slow_down_near_the_end(session: LocalSession, job_seconds: float, tail_speed: float, stop: threading.Event):
    """Put the clock at 60x 30 virtual minutes before the job's end and at ``tail_speed`` 20 virtual seconds before."""
    controls, clock = session.emulator.controls, session.clock
    stage = 0
    while not stop.wait(0.005):
        jobs = controls.state()["jobs"] if stage < 2 else []
        if stage >= 2 or not jobs:
            continue
        end = _epoch(jobs[0]["creationTime"]) + job_seconds
        now = clock.now()
        if stage == 0 and now >= end - 1800:
            controls.set_speed(min(60.0, FAST_SPEED))
            stage = 1
        if stage == 1 and now >= end - 20:
            controls.set_speed(tail_speed)
            stage = 2


def run_case(template: dict[str, Any], assembly: Any, job_seconds: float, events: bool, tail_speed: float) -> dict:
    with LocalSession(SessionOptions(speed=FAST_SPEED)) as session:
        controls = session.emulator.controls
        controls.add_job_scenario(JobScenario.lasting(job_seconds))
        if not events:
            controls.add_fault("drop_events")
        observer = _Observer(session.clock)
        runner = StackRunner(session, assembly.stack(), observer=observer)
        stop = threading.Event()
        watcher = threading.Thread(
            target=_slow_down_near_the_end, args=(session, job_seconds, tail_speed, stop), daemon=True
        )
        watcher.start()
        wall = time.monotonic()
        outcome = runner.deploy(template)
        wall = time.monotonic() - wall
        stop.set()
        watcher.join()
        controls.set_speed(FAST_SPEED)
        (job,) = controls.state()["jobs"]
        delay = (observer.completed_at or float("nan")) - _epoch(job["endTime"])
        kinds = Counter(
            "request" if d.detail_type == "" else "poll" if d.detail_type == "Scheduled Event" else "event"
            for d in session.polls.deliveries
        )
        requests = len(runner.requests)
        bedrock = controls.state()["callCounts"]
        runner.destroy()
        leftovers = find_leftovers(session, runner.owned_model_arns() | runner.retained_models)
        return {
            "job": f"{job_seconds / 3600:g} h",
            "events": "delivered" if events else "all lost",
            "status": outcome.status,
            "delay_s": delay,
            "tail_speed": tail_speed,
            "invocations": requests + kinds["poll"] + kinds["event"],
            "cfn_requests": requests,
            "event_invocations": kinds["event"],
            "poll_invocations": kinds["poll"],
            "bedrock_calls": sum(bedrock.values()),
            "bedrock_by_operation": bedrock,
            "wall_s": wall,
            "leftovers": leftovers,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tail-speed-events", type=float, default=1.0)
    parser.add_argument("--tail-speed-polls", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    started = time.monotonic()
    assembly = synthesize(Path(os.environ.get("BENCH_WORKDIR", "/tmp/bench-long-wait")) / "cdk.out")
    template = one_job(assembly.stack().template())
    print(f"synth: {time.monotonic() - started:.1f} s (the example app, one job kept)")
    print(f"{'job':>5} {'events':>10} {'status':>16} {'delay':>9} {'invocations (req+event+poll)':>30} {'Bedrock':>9}")
    for job_seconds in (30 * 60, 6 * 3600):
        for events in (True, False):
            tail = args.tail_speed_events if events else args.tail_speed_polls
            case = run_case(template, assembly, job_seconds, events, tail)
            split = f"{case['cfn_requests']}+{case['event_invocations']}+{case['poll_invocations']}"
            print(
                f"{case['job']:>5} {case['events']:>10} {case['status']:>16} {case['delay_s']:>7.1f} s "
                f"{case['invocations']:>10} ({split}){'':>11} {case['bedrock_calls']:>14}"
                f"   [tail {tail:g}x, {case['wall_s']:.0f} s wall]"
            )
            print(f"      Bedrock: {case['bedrock_by_operation']}")
            if case["leftovers"]:
                print(f"      LEFTOVERS: {case['leftovers']}")
    print(
        "delay: virtual seconds from the job's terminal state to its wait condition completing; with a tail speed "
        "above 1 the provider's own latency counts that many times (an upper bound). Polls: one per virtual minute "
        "while the poll rule is enabled (the driver fires at most one per 0.1 wall s per rule)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
