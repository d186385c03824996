"""The main job (``make demo``): synthesize the example app, then create, update and delete it against the emulator.

Steps, each checked (any failure → exit status 1):

1. ``cdk synth`` of ``app.py`` with the pinned CLI (with ``-c modelPackageArn=...``, so a custom model joins the two
   jobs); revisions 2 and 3 (``-c demoRevision=N``) synthesize in the background meanwhile.
2. Create every custom resource (live progress: stack events and each job's phases), print the stack outputs. The
   jobs train six virtual hours each, in the default long wait mode: the stack waits on a wait condition per job,
   signalled by the provider from Bedrock's job events (or its poll); the demo prints how soon after each job's end
   that came. As the create starts, it prints the ``bedrock-customization watch`` line that follows the run from
   another shell; once it is done, it runs that command once (``--once``, in this process) and writes each job's
   loss curve (PNG, SVG) and ``report.md`` to ``bedrock-watch/<stack>/`` in the app's folder (docs/watch.md).
3. Revision 2, a tag change: updated in place (same physical id, new tags on the job in Bedrock).
4. Revision 3, a hyperparameter change: replaced (new job; the old one is deleted in the cleanup phase; the
   follow-up job, whose base model is the first job's model, is replaced too).
5. Delete the stack, then check nothing is left behind (rules, permissions, running jobs, unowned models).

Revisions come only from ``cdk synth``: a revision that fails to synthesize, or that app.py ignores (its template does
not change), fails the demo instead of being papered over here.
"""

from __future__ import annotations

import io
import shlex
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedrock_customization_provider import contract
from rich.console import Console
from rich.text import Text

from bedrock_customization_local.emulator import JobScenario

from .assembly import CloudAssembly, StackArtifact
from .display import ProgressDisplay, activity, print_mapping, print_outputs, say
from .errors import DriverError
from .intrinsics import StackEnv
from .leftovers import find_leftovers
from .session import LocalSession, SessionOptions
from .stack import JOB_TYPE, StackOutcome, StackRunner
from .synth import app_root, synthesize
from .template import StackTemplate

#: Virtual seconds per wall second: the demo's six-hour jobs (longer than any custom resource may wait) in 6 s each.
DEMO_SPEED = 3600.0
DEMO_JOB_SECONDS = 6 * 3600
WAIT_CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"
REVISION_CONTEXT_KEY = "demoRevision"
#: Context for every synth: app.py then also registers a custom model from a (local, made-up) SageMaker AI model
#: package, so the demo runs both resource kinds (CreateModelCustomizationJob and CreateCustomModel).
DEMO_CONTEXT = {
    "modelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/nova-demo/1",
    # ... and makes the first job's model invocable (a custom model deployment) and buys the custom model a
    # provisioned throughput: the demo trains a model and deploys it
    "serve": "true",
}
#: The example's deployment of the first job's model (app.py, ``-c serve=true``).
DEPLOYMENT_ID_PREFIX = "Serve"
DEPLOYMENT_TYPE = "Custom::BedrockCustomModelDeployment"
#: Where the demo's watch report goes, under the app's folder (``bedrock-watch/<stack>/``, the command's default).
WATCH_FOLDER = "bedrock-watch"
#: The pasted live watch's seconds between reads: the demo's jobs train for seconds of wall time, not hours.
LIVE_WATCH_INTERVAL = 1


@dataclass
class DemoResult:
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


class _BackgroundSynth:
    """Revisions 2 and 3 synthesize while revision 1 deploys (the CLI takes seconds; the deploy waits on jobs)."""

    def __init__(self, workdir: Path, app_dir: Path) -> None:
        self.results: dict[int, CloudAssembly | Exception] = {}
        self._thread = threading.Thread(target=self._run, args=(workdir, app_dir), daemon=True)
        self._thread.start()

    def _run(self, workdir: Path, app_dir: Path) -> None:
        for revision in (2, 3):
            try:
                self.results[revision] = synthesize(
                    workdir / f"cdk.out.rev{revision}", {**DEMO_CONTEXT, REVISION_CONTEXT_KEY: str(revision)}, app_dir
                )
            except Exception as exc:  # reported when the revision is needed
                self.results[revision] = exc

    def get(self, console: Console, revision: int, *, plain: bool) -> CloudAssembly:
        self.wait(console, f"waiting for cdk synth of revision {revision}", plain=plain)
        result = self.results[revision]
        if isinstance(result, Exception):
            raise result
        return result

    def wait(self, console: Console, words: str, *, plain: bool) -> None:
        """Until both revisions are synthesized; says ``words`` while it waits rather than look stuck."""
        if self._thread.is_alive():
            with activity(console, words, plain=plain):
                self._thread.join()


def revision_template(base: dict[str, Any], synthesized: dict[str, Any], revision: int) -> dict[str, Any]:
    """The synthesized template of ``revision``; an error when app.py ignored ``demoRevision``."""
    if _custom_properties(synthesized) == _custom_properties(base):
        raise DriverError(
            f"cdk synth -c {REVISION_CONTEXT_KEY}={revision} changed no custom resource: app.py must honour it"
        )
    return synthesized


def _custom_properties(template: dict[str, Any]) -> dict[str, Any]:
    return {
        lid: r.get("Properties")
        for lid, r in template.get("Resources", {}).items()
        if str(r.get("Type", "")).startswith("Custom::")
    }


def run_demo(
    *,
    console: Console | None = None,
    plain: bool | None = None,
    speed: float = DEMO_SPEED,
    app_dir: Path | None = None,
    workdir: Path | None = None,
) -> DemoResult:
    app_dir = app_dir or app_root()
    console = console or Console()
    plain = (not console.is_terminal) if plain is None else plain
    result = DemoResult()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cfn-driver-demo-") as tmp:
        base_dir = Path(workdir or tmp)
        _heading(console, "1. cdk synth", f" of {app_dir / 'app.py'} (pinned CDK CLI)", plain=plain)
        with activity(console, "cdk synth", plain=plain):
            assembly = synthesize(base_dir / "cdk.out", DEMO_CONTEXT, app_dir)
        stack = assembly.stack()
        revisions = _BackgroundSynth(base_dir, app_dir)
        template = StackTemplate(stack.template(), StackEnv.for_stack(stack.stack_name))
        customs = template.custom_ids()
        function = template.function_spec(template.provider_function_id(customs[0]), stack) if customs else None
        say(console, f"   {stack.stack_name}: {len(customs)} custom resources; the provider runs from its asset")
        if function is not None:
            local = f"python{sys.version_info.major}.{sys.version_info.minor}"
            note = "" if function.runtime == local else f" (the template asks for {function.runtime})"
            say(console, f"   handler {function.handler} on {local}{note}")
        options = SessionOptions(speed=speed, workdir=base_dir / "session")
        with LocalSession(options) as session:
            assert session.emulator is not None
            session.emulator.controls.add_job_scenario(JobScenario.lasting(DEMO_JOB_SECONDS))
            display = ProgressDisplay(state=session.emulator.state, console=console, plain=plain)
            waits = _WaitTimes(display, session)
            runner = StackRunner(session, stack, observer=waits)
            try:
                _steps(console, display, waits, session, runner, stack, revisions, result, app_dir / WATCH_FOLDER)
            except DriverError as exc:
                result.fail(str(exc))
            if not result.ok:
                _show_logs(console, session, plain=plain)
    elapsed = time.monotonic() - started
    if result.ok:
        _heading(console, "demo passed", f" in {elapsed:.0f} s", style="bold green", plain=plain)
    else:
        _heading(console, "demo failed", f" after {elapsed:.0f} s:", style="bold red", plain=plain)
        for problem in result.problems:
            say(console, f"  - {problem}")
    return result


def _heading(console: Console, words: str, rest: str, *, style: str = "bold", plain: bool) -> None:
    """The demo's own words styled, ``rest`` (paths, names) literal: a folder called ``[x]`` is no markup."""
    line = Text(words, style="" if plain else style)
    line.append(rest)
    say(console, line)


def _steps(
    console: Console,
    display: ProgressDisplay,
    waits: _WaitTimes,
    session: LocalSession,
    runner: StackRunner,
    stack: StackArtifact,
    revisions: _BackgroundSynth,
    result: DemoResult,
    watch_folder: Path,
) -> None:
    base = stack.template()
    plain = bool(display.plain)

    say(console, f"   watch it live from another shell: {live_watch_line(session, runner.env.stack_name)}")
    outcome = _operation(display, runner, "2. create", lambda: runner.deploy(base))
    if not _check(outcome, result):
        return
    print_outputs(console, outcome.outputs, plain=plain)
    waits.report(console, runner)
    _check_clean(session, runner, result, "after create")
    _watch_report(console, session, runner.env.stack_name, watch_folder / runner.env.stack_name)
    first_job = next(lid for lid in runner.template.creation_order() if runner.records[lid].resource_type == JOB_TYPE)
    job_arn = runner.records[first_job].physical_id
    deployment_arn = _deployment_arn(runner)

    template2 = revision_template(base, revisions.get(console, 2, plain=plain).stack().template(), 2)
    outcome = _operation(
        display,
        runner,
        f"3. update: tag change (cdk synth -c {REVISION_CONTEXT_KEY}=2)",
        lambda: runner.deploy(template2),
    )
    if not _check(outcome, result):
        return
    if runner.records[first_job].physical_id != job_arn:
        result.fail(f"a tag change replaced {first_job} instead of updating it in place")
    tags = next((j["tags"] for j in session.emulator.state()["jobs"] if j["jobArn"] == job_arn), {})
    wanted = {t["key"]: t["value"] for t in template2["Resources"][first_job]["Properties"].get("jobTags", [])}
    if tags != wanted:
        result.fail(f"{first_job}: Bedrock has tags {_pairs(tags)}, the template says {_pairs(wanted)}")
    else:
        print_mapping(
            console, f"{first_job}: same job, its tags in Bedrock now", tags, plain=plain, columns=("tag", "value")
        )

    template3 = revision_template(base, revisions.get(console, 3, plain=plain).stack().template(), 3)
    outcome = _operation(
        display,
        runner,
        f"4. update: replacement (cdk synth -c {REVISION_CONTEXT_KEY}=3)",
        lambda: runner.deploy(template3),
    )
    if not _check(outcome, result):
        return
    new_arn = runner.records[first_job].physical_id
    if new_arn == job_arn:
        result.fail(f"a hyperparameter change did not replace {first_job}")
    else:
        say(console, f"   {first_job}: replaced by job {new_arn.rsplit('/', 1)[-1]}; the old job's model was deleted")
    _report_deployment(console, session, runner, deployment_arn, result)
    _check_clean(session, runner, result, "after the replacement")

    outcome = _operation(display, runner, "5. delete", runner.destroy)
    _check(outcome, result)
    _check_clean(session, runner, result, "after delete")
    if result.ok:
        counts = session.emulator.state()["callCounts"]
        say(console, "   nothing left behind: no poll rules, no Lambda permissions, no running jobs, no unowned models")
        print_mapping(console, "Bedrock calls", counts, plain=plain, columns=("operation", "calls"))


def live_watch_line(session: LocalSession, stack_name: str) -> str:
    """A shell line that watches ``stack_name`` live from another shell while the session runs: the command installed
    next to this Python (its full path: the venv need not be active there), any credentials (the emulator accepts
    every signature), the session's endpoint (plain HTTP; it answers CloudFormation's API for the driver's stacks)."""
    assert session.emulator is not None
    script = Path(sys.executable).with_name("bedrock-customization")
    command = [str(script), "watch"] if script.exists() else [sys.executable, "-m", "bedrock_customization", "watch"]
    if script.exists() and shutil.which(script.name) == str(script):
        command[0] = script.name  # on PATH already (an active venv): the short name reads better
    command += [stack_name, "--region", session.region, "--endpoint-url", session.emulator.endpoint_url]
    command += ["--interval", str(LIVE_WATCH_INTERVAL)]
    return "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local " + shlex.join(command)


def _watch_report(console: Console, session: LocalSession, stack_name: str, out_dir: Path) -> None:
    """``bedrock-customization watch STACK --once --out OUT_DIR`` in this process, against the session's endpoint,
    then one line per job. Says what went wrong (no metrics, the watch extra missing) and goes on: the report is
    the demo's picture, not one of its checks."""
    from bedrock_customization.watch.command import EXIT_USAGE
    from bedrock_customization.watch.command import main as watch

    argv = [stack_name, "--once", "--out", str(out_dir)]
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    clients = _session_clients(session)
    status = watch(argv, stdout=out, stderr=err, clients=clients)
    said = [line for line in err.getvalue().splitlines() if line.strip()]
    # Nothing printed: no report either (the extra is missing, whose message says what to install, or the stack
    # could not be read at all).
    if status == EXIT_USAGE or not out.getvalue():
        for line in said:
            say(console, f"   no loss curves: {line}")
        return
    say(console, f"   loss curves and report ({time.monotonic() - started:.1f} s): {out_dir / 'report.md'}")
    for line in _job_lines(clients, stack_name, out_dir):
        say(console, f"   {line}")
    for line in said:  # what could not be read (exit status 1): shown, not a failure of the demo
        say(console, f"   {line}")


def _job_lines(clients: Any, stack_name: str, out_dir: Path) -> list[str]:
    """Per job: its final training loss and steps (and validation loss) from the metric files, and its picture."""
    from bedrock_customization.watch.snapshot import take_snapshot

    lines = []
    for entry in take_snapshot(clients, stack_name).jobs:
        lid, metrics = entry.resource.logical_id, entry.metrics
        last = metrics.training.last if metrics and metrics.training else None
        if last is None:
            lines.append(f"{lid}: no loss curve: {entry.note}")
            continue
        assert metrics is not None and metrics.training is not None
        epochs = len({row.epoch for row in metrics.training.rows if row.epoch is not None})
        line = f"{lid}: training loss {last.loss:.4f} at step {last.step} ({len(metrics.training.rows)} steps"
        line += f", {epochs} epoch{'s' if epochs > 1 else ''})" if epochs else ")"
        if metrics.validation is not None and metrics.validation.last is not None:
            line += f", validation loss {metrics.validation.last.loss:.4f}"
        picture = out_dir / f"{lid}-loss.png"
        lines.append(f"{line}; {picture.name}" if picture.exists() else line)
    return lines


def _session_clients(session: LocalSession) -> Any:
    """The watch command's three clients, on the session's endpoint with its made-up credentials."""
    from bedrock_customization.watch.snapshot import Clients

    return Clients(
        cloudformation=session.client("cloudformation"),
        bedrock=session.client("bedrock"),
        s3=session.client("s3"),
        region=session.region,
    )


def _deployment_arn(runner: StackRunner) -> str | None:
    return next(
        (r.physical_id for r in runner.records.values() if r.resource_type == DEPLOYMENT_TYPE),
        None,
    )


def _report_deployment(
    console: Console, session: LocalSession, runner: StackRunner, before: str | None, result: DemoResult
) -> None:
    """The deployment of the first job's model after the job was replaced: the same deployment, serving the new
    job's model (UpdateCustomModelDeployment swapped it in place)."""
    if before is None:
        result.fail("the example app declared no custom model deployment (-c serve=true)")
        return
    now = _deployment_arn(runner)
    served = next((d.get("modelArn") for d in session.emulator.state()["deployments"] if d.get("arn") == now), None)
    if now != before:
        result.fail(f"the new model replaced the deployment {before} instead of being swapped in")
    elif served not in runner.owned_model_arns():
        result.fail(f"the deployment serves {served}, a model no resource of the stack owns")
    else:
        say(console, f"   deployment {now.rsplit('/', 1)[-1]}: same deployment, now serving the new job's model")


class _WaitTimes:
    """The display's observer, noting when each long wait's condition completed (virtual time) to compare it with
    the end of the job it waited for."""

    def __init__(self, display: ProgressDisplay, session: LocalSession) -> None:
        self.display, self.session = display, session
        self.completed: dict[str, float] = {}

    def stack_status(self, status: str) -> None:
        self.display.stack_status(status)

    def resource_status(self, event: Any) -> None:
        if event.resource_type == WAIT_CONDITION_TYPE and event.status == "CREATE_COMPLETE":
            assert self.session.clock is not None
            self.completed[event.logical_id] = self.session.clock.now()
        self.display.resource_status(event)

    def idle(self) -> None:
        self.display.idle()

    def report(self, console: Console, runner: StackRunner) -> None:
        jobs = {job["jobArn"]: job for job in self.session.emulator.state()["jobs"]} if self.session.emulator else {}
        resources = runner.template.resources if runner.template is not None else {}
        for condition, at in self.completed.items():
            metadata = (resources.get(condition) or {}).get("Metadata") or {}
            for watched in metadata.get(contract.WAIT_MEMBERS_METADATA, []):
                record = runner.records.get(watched)
                job = jobs.get(record.physical_id) if record else None
                if job and job.get("endTime"):
                    self._report_job(console, watched, job, at)

    def _report_job(self, console: Console, watched: str, job: dict[str, Any], at: float) -> None:
        began, ended = _epoch(job["creationTime"]), _epoch(job["endTime"])
        delay = max(0.0, at - ended)
        say(
            console,
            f"   {watched}: trained {(ended - began) / 3600:.1f} h (virtual); its wait ended {delay:.0f} s later "
            f"(virtual; {delay / DEMO_SPEED:.2f} s of wall time at {DEMO_SPEED:g}x; one poll interval is "
            f"{60 / DEMO_SPEED:.3f} s)",
        )


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _operation(display: ProgressDisplay, runner: StackRunner, title: str, action: Any) -> StackOutcome:
    display.begin(title)
    try:
        return action()
    finally:
        display.end(resource_attributes(runner))


def resource_attributes(runner: StackRunner) -> dict[str, dict[str, Any]]:
    """What each resource's provider answered (its ``Data``: the ``Fn::GetAtt`` attributes), for the details."""
    return {lid: dict(record.data) for lid, record in list(runner.records.items()) if record.data}


def _pairs(mapping: dict[str, Any]) -> str:
    """A mapping in a problem line: ``key=value`` pairs, not a Python dict."""
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "none"


def _check(outcome: StackOutcome, result: DemoResult) -> bool:
    for logical_id, reason in outcome.failures + outcome.warnings:
        result.fail(f"{outcome.operation} {outcome.status}: {logical_id}: {reason}")
    if not outcome.ok and not outcome.failures and not outcome.warnings:
        result.fail(f"{outcome.operation} ended {outcome.status}")
    return outcome.ok


def _check_clean(session: LocalSession, runner: StackRunner, result: DemoResult, when: str) -> None:
    for problem in find_leftovers(session, runner.owned_model_arns() | runner.retained_models):
        result.fail(f"{when}: {problem}")


def _show_logs(console: Console, session: LocalSession, *, plain: bool) -> None:
    """The provider's last log lines, literally (a log quotes requests, patterns and tracebacks)."""
    if session.lambdas is None:
        return
    for name in session.lambdas.function_names():
        say(console, f"--- last lines of {name}'s log ---", style="" if plain else "dim")
        for line in session.lambdas.logs(name).splitlines()[-40:]:
            say(console, line, style="" if plain else "dim")
