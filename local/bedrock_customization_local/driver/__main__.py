"""``python -m bedrock_customization_local.driver`` (``bedrock-customization-local``): the main job (``demo``), a
lifecycle run of any synthesized assembly (``run``), e.g. a user's own ``cdk.out``, and of a plain CloudFormation
template served by a provider stack made for it (``run-template``, docs/cloudformation.md)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bedrock_customization_local.emulator import JobScenario

from .assembly import CloudAssembly, StackArtifact
from .demo import DEMO_JOB_SECONDS, DEMO_SPEED, live_watch_line, resource_attributes, run_demo
from .display import ProgressDisplay, print_outputs, say
from .errors import DriverError
from .intrinsics import StackEnv
from .leftovers import find_leftovers
from .session import LocalSession, SessionOptions
from .stack import StackOutcome, StackRunner
from .synth import synthesize
from .template import StackTemplate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bedrock-customization-local",
        description="Run a CDK app's custom resources locally: CloudFormation, Lambda and the Bedrock emulator.",
    )
    parser.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
    parser.add_argument("--speed", type=float, default=DEMO_SPEED, help="virtual seconds per wall second")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="synthesize app.py, create, update, delete it locally, check leftovers")
    demo.add_argument("--workdir", type=Path, help="keep the assemblies and worker logs here")
    run = commands.add_parser(
        "run", help="create then delete the stack of an existing cloud assembly (your app's cdk.out), check leftovers"
    )
    run.add_argument("assembly", type=Path, help="the folder `cdk synth` wrote (cdk.out)")
    run.add_argument("--stack", help="stack name (default: the only one)")
    template = commands.add_parser(
        "run-template",
        help="create then delete a plain CloudFormation template (YAML or JSON) as the stack --stack-name, served by "
        "the provider stack bedrock_customization.provider_app makes for it, check leftovers",
    )
    template.add_argument("template", type=Path, help="the template file")
    template.add_argument("--stack-name", required=True, help="the stack name the template is deployed as")
    for command in (run, template):
        command.add_argument(
            "--job-minutes",
            type=float,
            default=DEMO_JOB_SECONDS / 60,
            help="virtual duration of every customization job (long waits: up to 12 h; short ones: under "
            "ServiceTimeout)",
        )
    args = parser.parse_args(argv)
    console = Console(soft_wrap=True)
    plain = True if args.plain else None
    try:
        if args.command == "demo":
            return 0 if run_demo(console=console, plain=plain, speed=args.speed, workdir=args.workdir).ok else 1
        if args.command == "run-template":
            served = StackArtifact.from_template_file(args.template, args.stack_name)
            with tempfile.TemporaryDirectory(prefix="bedrock-provider-") as folder:
                say(console, f"   cdk synth of the provider stack for {args.stack_name}")
                provider = synthesize(
                    Path(folder) / "cdk.out",
                    {"servedStackName": args.stack_name},
                    app_dir=Path.cwd(),
                    app=f"{sys.executable} -m bedrock_customization.provider_app",
                ).stack()
                return _run([provider, served], console, plain, args.speed, args.job_minutes * 60)
        assembly = CloudAssembly.load(args.assembly)
        return _run([assembly.stack(args.stack)], console, plain, args.speed, args.job_minutes * 60)
    except DriverError as exc:
        line = Text("error:", style="" if args.plain else "bold red")
        line.append(f" {exc}")  # literal: an error quotes templates and paths
        say(console, line)
        return 1


def _run(stacks: list[StackArtifact], console: Console, plain: bool | None, speed: float, job: float) -> int:
    """Create the stacks in order (a provider stack before the template that imports its token), show the last one's
    outputs, delete them in reverse order, then the end check: exit 1 on a failed operation or anything left
    behind."""
    with LocalSession(SessionOptions(speed=speed)) as session:
        assert session.emulator is not None
        session.emulator.controls.add_job_scenario(JobScenario.lasting(job))
        display = ProgressDisplay(state=session.emulator.state, console=console, plain=plain)
        shown_plain = bool(display.plain)
        say(console, f"   watch it live from another shell: {live_watch_line(session, stacks[-1].stack_name)}")
        runners: list[StackRunner] = []
        outcomes: list[StackOutcome] = []
        for stack in stacks:
            _describe(console, stack)
            runner = StackRunner(session, stack, observer=display)
            runners.append(runner)
            display.begin(f"create {stack.stack_name}")
            try:
                created = runner.deploy()
            finally:
                display.end(resource_attributes(runner))
            outcomes.append(created)
            if not created.ok:
                break
        if outcomes[-1].ok:
            print_outputs(console, outcomes[-1].outputs, plain=shown_plain)
        for runner in reversed(runners):
            if runner.template is None:  # its create rolled back: nothing to delete
                continue
            display.begin(f"delete {runner.stack.stack_name}")
            try:
                outcomes.append(runner.destroy())
            finally:
                display.end()
        for outcome in outcomes:
            for logical_id, reason in outcome.failures + outcome.warnings:
                say(console, f"   {outcome.operation} {outcome.status}: {logical_id}: {reason}")
        allowed = set().union(*(r.owned_model_arns() | r.retained_models for r in runners))
        problems = find_leftovers(session, allowed)
        for problem in problems:
            say(console, f"   left behind: {problem}")
        ok = len(outcomes) == 2 * len(stacks) and all(o.ok for o in outcomes) and not problems
        if ok:
            # Not "nothing left behind": scripts (and this repository's tests) look for "left behind" as the failure.
            say(console, "   end check passed: no rules, Lambda permissions, running jobs or unowned models remain")
        return 0 if ok else 1


def _describe(console: Console, stack: StackArtifact) -> None:
    """What the run plays and what it only resolves, before it starts: a resource type the driver does not create
    is not tested here, and the user should know that from the first lines."""
    template = StackTemplate(stack.template(), StackEnv.for_stack(stack.stack_name))
    custom = template.custom_ids()
    native = [lid for lid in template.driven_ids() if lid not in custom]
    local = len(template.resources) - len(custom) - len(native)
    say(
        console,
        f"   {stack.stack_name}: {len(custom)} custom resources and {len(native)} native ones played; "
        f"{local} other resources resolve to local values",
    )


if __name__ == "__main__":
    sys.exit(main())
