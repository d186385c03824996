"""``python -m bedrock_customization_local.driver``: the main job (``demo``) and a lifecycle run of any synthesized
assembly (``run``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from bedrock_customization_local.emulator import JobScenario

from .assembly import CloudAssembly
from .demo import DEMO_JOB_SECONDS, DEMO_SPEED, run_demo
from .display import ProgressDisplay
from .errors import DriverError
from .leftovers import find_leftovers
from .session import LocalSession, SessionOptions
from .stack import StackRunner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_customization_local.driver",
        description="Run a CDK app's custom resources locally: CloudFormation, Lambda and the Bedrock emulator.",
    )
    parser.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
    parser.add_argument("--speed", type=float, default=DEMO_SPEED, help="virtual seconds per wall second")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="synthesize app.py, create, update, delete it locally, check leftovers")
    demo.add_argument("--workdir", type=Path, help="keep the assemblies and worker logs here")
    run = commands.add_parser("run", help="create then delete the stack of an existing cloud assembly (cdk.out)")
    run.add_argument("assembly", type=Path)
    run.add_argument("--stack", help="stack name (default: the only one)")
    run.add_argument(
        "--job-minutes",
        type=float,
        default=DEMO_JOB_SECONDS / 60,
        help="virtual duration of every customization job (long waits: up to 12 h; short ones: under ServiceTimeout)",
    )
    args = parser.parse_args(argv)
    console = Console(soft_wrap=True)
    plain = True if args.plain else None
    try:
        if args.command == "demo":
            return 0 if run_demo(console=console, plain=plain, speed=args.speed, workdir=args.workdir).ok else 1
        assembly = CloudAssembly.load(args.assembly)
        return _run(assembly, args.stack, console, plain, args.speed, args.job_minutes * 60)
    except DriverError as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        return 1


def _run(
    assembly: CloudAssembly, stack_name: str | None, console: Console, plain: bool | None, speed: float, job: float
) -> int:
    stack = assembly.stack(stack_name)
    with LocalSession(SessionOptions(speed=speed)) as session:
        assert session.emulator is not None
        session.emulator.controls.add_job_scenario(JobScenario.lasting(job))
        display = ProgressDisplay(state=session.emulator.state, console=console, plain=plain)
        runner = StackRunner(session, stack, observer=display)
        display.begin(f"create {stack.stack_name}")
        created = runner.deploy()
        display.end()
        for name, value in created.outputs.items():
            console.print(f"   {name} = {value}", highlight=False)
        display.begin(f"delete {stack.stack_name}")
        deleted = runner.destroy() if runner.template is not None else created
        display.end()
        problems = find_leftovers(session, runner.owned_model_arns() | runner.retained_models)
        for problem in problems:
            console.print(f"   left behind: {problem}", highlight=False)
        return 0 if created.ok and deleted.ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
