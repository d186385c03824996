"""Synthesizing the example app with the real CDK toolchain (the pinned ``cdk`` CLI from npm).

Why the CLI and not ``app.synth()`` in process: the main job must prove what a user runs works, cdk.json included
(its ``app`` command, context, asset staging). Context values (``-c key=value``) select revisions of the app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .assembly import CloudAssembly
from .errors import DriverError

QUIET_ENV = {
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    # jsii's end-of-life banner is silenced per Node major version (a list), not by a flag.
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}


def app_root(start: Path | None = None) -> Path:
    """The CDK app's folder: the nearest one, from the working directory up, that holds a ``cdk.json`` (this
    repository's root for ``make demo``; a user's own app folder when the driver is installed with the extra)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cdk.json").is_file():
            return folder
    raise DriverError(f"no cdk.json in {here} or above: run this from your CDK app's folder")


def cdk_command(app_dir: Path) -> list[str]:
    """The app's own pinned CLI (``node_modules/.bin/cdk``, what ``make setup`` installs), else ``cdk`` on PATH."""
    local = app_dir / "node_modules" / ".bin" / "cdk"
    if local.exists():
        return [str(local)]
    on_path = shutil.which("cdk")
    if on_path:
        return [on_path]
    raise DriverError(f"{local} is missing and no cdk is on PATH: run `make setup` (npm ci) or `npm install aws-cdk`")


def synthesize(
    out_dir: Path, context: Mapping[str, str] | None = None, app_dir: Path | None = None, app: str | None = None
) -> CloudAssembly:
    """Run ``cdk synth --quiet -o out_dir`` in ``app_dir`` (default: :func:`app_root`) and load the assembly;
    ``app``: another app command than cdk.json's (``--app``), e.g. the provider stack's."""
    app_dir = app_dir or app_root()
    command = [*cdk_command(app_dir), "synth", "--quiet", "--no-notices", "-o", str(out_dir)]
    if app is not None:
        command += ["--app", app]
    for key, value in (context or {}).items():
        command += ["-c", f"{key}={value}"]
    result = subprocess.run(
        command, cwd=app_dir, env={**os.environ, **QUIET_ENV}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-30:])
        raise DriverError(f"cdk synth failed (exit {result.returncode}):\n{tail}")
    return CloudAssembly.load(out_dir)
