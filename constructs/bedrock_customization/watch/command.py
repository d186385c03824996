"""``bedrock-customization watch STACK`` (or ``python -m bedrock_customization watch STACK``).

Finds the stack's customization jobs and custom models through CloudFormation, shows each one's CloudFormation
status, Bedrock status, phases and attributes, and writes each job's loss curve (PNG, SVG) and a Markdown report to
``--out``. Live by default (a rich table, refreshed every ``--interval`` seconds, until every job has ended or
Ctrl-C); ``--once`` prints one snapshot as plain lines, writes the report and exits.

Exit status: 0 everything was readable (live: and every job has ended); 1 the stack is missing, holds nothing to
watch, or something could not be read (each named on stderr); 2 usage, or the ``watch`` extra is missing;
130 stopped with Ctrl-C (the report is still written).

Only read-only calls are made (docs/watch.md has the IAM policy). The AWS side is the caller's usual one:
``--profile`` / ``AWS_PROFILE``, ``--region`` / ``AWS_REGION``, and ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` for a
local emulator, with ``--ca-bundle`` / ``AWS_CA_BUNDLE`` when that endpoint is HTTPS with its own certificate.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ._extras import MISSING_MESSAGE, missing_watch_modules
from .errors import WatchError
from .loss_plot import LossPlot
from .snapshot import Clients, WatchSnapshot, take_snapshot

PROG = "bedrock-customization watch"
DEFAULT_INTERVAL_SECONDS = 30.0
#: The default output folder, relative to the working directory; ``<stack>`` is the stack name as given.
DEFAULT_OUT = "bedrock-watch/<stack>"
EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Watch a deployed stack's Bedrock customization jobs and custom models, and plot each job's loss.",
    )
    p.add_argument("stack", metavar="STACK", help="the stack's name (or stack id)")
    p.add_argument("--once", action="store_true", help="print one snapshot, write the report and exit")
    p.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"live mode: seconds between reads (default {DEFAULT_INTERVAL_SECONDS:g})",
    )
    p.add_argument(
        "--out", type=Path, metavar="DIR", help=f"where the pictures and report.md go (default {DEFAULT_OUT})"
    )
    p.add_argument("--no-plot", action="store_true", help="write no pictures (the report still lists the jobs)")
    p.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's region)")
    p.add_argument("--profile", help="AWS profile (default: AWS_PROFILE / the default credentials)")
    p.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="one endpoint for every service, e.g. the local emulator's (AWS_ENDPOINT_URL)",
    )
    p.add_argument(
        "--ca-bundle", type=Path, metavar="FILE", help="CA bundle for an HTTPS endpoint's certificate (AWS_CA_BUNDLE)"
    )
    p.add_argument("--plain", action="store_true", help="live mode: plain lines instead of a redrawn table")
    return p


@dataclass
class _Pictures:
    """Draws each job's curve when what it shows changed since the last draw (status, number of rows)."""

    out_dir: Path
    enabled: bool = True
    plots: dict[str, LossPlot] = field(default_factory=dict)
    _drawn: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def update(self, snapshot: WatchSnapshot) -> dict[str, LossPlot]:
        if not self.enabled:
            return self.plots
        from .loss_plot import plot_loss

        for entry in snapshot.jobs:
            metrics, job = entry.metrics, entry.job
            if metrics is None or job is None or not metrics.has_any:
                continue
            lid = entry.resource.logical_id
            shown = (
                job.status,
                len(metrics.training.rows) if metrics.training else 0,
                len(metrics.validation.rows) if metrics.validation else 0,
            )
            if self._drawn.get(lid) == shown:
                continue
            title = f"{lid}: {job.name} ({job.status})"
            plot = plot_loss(title, metrics.training, metrics.validation, self.out_dir, f"{lid}-loss")
            plot.figure.clear()  # nothing keeps a drawn figure: free its memory at once in a long live run
            self.plots[lid], self._drawn[lid] = plot, shown
        return self.plots

    def paths(self) -> dict[str, list[Path]]:
        return {lid: [plot.png, plot.svg] for lid, plot in self.plots.items()}


def make_clients(args: argparse.Namespace) -> Clients:
    """The caller's session (profile, region), with the endpoint and CA bundle given, for the three services."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    if not session.region_name:
        raise WatchError("no AWS region: pass --region, or set AWS_REGION or a region in the profile")
    config = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="bedrock-customization-watch")
    options: dict[str, Any] = {"config": config}
    if args.endpoint_url:
        options["endpoint_url"] = args.endpoint_url
    if args.ca_bundle:
        options["verify"] = str(args.ca_bundle)
    return Clients(
        cloudformation=session.client("cloudformation", **options),
        bedrock=session.client("bedrock", **options),
        s3=session.client("s3", **options),
        region=session.region_name,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clients: Clients | None = None,
) -> int:
    """Run the command; returns the exit status. ``sleep`` waits between live reads (tests advance a virtual clock).
    ``clients``: the three clients to read with, instead of the session the options describe (a caller that already
    has them, e.g. the local demo with its own endpoint and made-up credentials)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    if missing_watch_modules():
        print(MISSING_MESSAGE, file=err)
        return EXIT_USAGE
    if args.interval <= 0:
        print(f"{PROG}: --interval must be more than 0 seconds (got {args.interval:g})", file=err)
        return EXIT_USAGE
    pictures = _Pictures(args.out or Path("bedrock-watch") / args.stack, enabled=not args.no_plot)
    try:
        clients = clients or make_clients(args)
        if args.once:
            return _once(clients, args, pictures, out, err)
        return _live(clients, args, pictures, out, err, sleep)
    except WatchError as exc:
        print(f"{PROG}: {exc}", file=err)
        return EXIT_USAGE if isinstance(exc, ImportError) else EXIT_PROBLEM
    except NoCredentialsError:
        print(f"{PROG}: no AWS credentials found: pass --profile, or set AWS_PROFILE or the AWS_* variables", file=err)
        return EXIT_PROBLEM
    except NoRegionError:
        print(f"{PROG}: no AWS region: pass --region, or set AWS_REGION or a region in the profile", file=err)
        return EXIT_PROBLEM
    except ClientError as exc:
        error = exc.response.get("Error", {})
        action = f"{exc.operation_name}" if exc.operation_name else "a call"
        print(f"{PROG}: {action} failed: {error.get('Code', '')}: {error.get('Message', '')}", file=err)
        return EXIT_PROBLEM
    except BotoCoreError as exc:
        print(f"{PROG}: {exc}", file=err)
        return EXIT_PROBLEM


def _once(clients: Clients, args: argparse.Namespace, pictures: _Pictures, out: TextIO, err: TextIO) -> int:
    from .live_view import plain_lines
    from .report import write_report

    snapshot = take_snapshot(clients, args.stack)
    plots = pictures.update(snapshot)
    report = write_report(snapshot, pictures.out_dir, plots)
    for line in plain_lines(snapshot, pictures.paths()):
        print(line, file=out)
    print(f"report  {report}", file=out)
    return _problems(snapshot, err)


def _live(
    clients: Clients,
    args: argparse.Namespace,
    pictures: _Pictures,
    out: TextIO,
    err: TextIO,
    sleep: Callable[[float], None],
) -> int:
    from rich.console import Console
    from rich.live import Live

    from .live_view import plain_lines, render
    from .report import write_report

    console = Console(file=out)
    plain = args.plain or not console.is_terminal
    snapshot: WatchSnapshot | None = None
    shown: list[str] = []
    live: Live | None = None
    try:
        while True:
            snapshot = take_snapshot(clients, args.stack)
            plots = pictures.update(snapshot)
            write_report(snapshot, pictures.out_dir, plots)
            if plain:
                lines = plain_lines(snapshot, pictures.paths())
                if lines[1:] != shown[1:]:  # the first line holds the read time: print only what changed
                    print("\n".join(lines), file=out, flush=True)
                    shown = lines
            elif live is None:
                live = Live(render(snapshot, interval=args.interval), console=console, auto_refresh=False)
                live.start(refresh=True)
            else:
                live.update(render(snapshot, interval=args.interval), refresh=True)
            if snapshot.all_terminal:
                break
            sleep(args.interval)
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
            live = None
        print("stopped (Ctrl-C); the report has the last read", file=err)
        return EXIT_INTERRUPTED
    finally:
        if live is not None:
            live.stop()
    if not plain:
        for line in plain_lines(snapshot, pictures.paths()):
            print(line, file=out)
    print(f"report  {pictures.out_dir / 'report.md'}", file=out)
    return _problems(snapshot, err)


def _problems(snapshot: WatchSnapshot, err: TextIO) -> int:
    for problem in snapshot.problems:
        print(f"{PROG}: cannot read {problem}", file=err)
    return EXIT_PROBLEM if snapshot.problems else EXIT_OK
