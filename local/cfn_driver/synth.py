"""Synthesizing the example app with the real CDK toolchain (the pinned ``cdk`` CLI from npm).

Why the CLI and not ``app.synth()`` in process: the main job must prove what a user runs works, cdk.json included
(its ``app`` command, context, asset staging). Context values (``-c key=value``) select revisions of the app.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .assembly import CloudAssembly
from .errors import DriverError

REPO_ROOT = Path(__file__).resolve().parents[2]
QUIET_ENV = {
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    # jsii's end-of-life banner is silenced per Node major version (a list), not by a flag.
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}


def cdk_command(app_dir: Path = REPO_ROOT) -> list[str]:
    local = app_dir / "node_modules" / ".bin" / "cdk"
    if not local.exists():
        raise DriverError(f"{local} is missing: run `make setup` (npm ci) first")
    return [str(local)]


def synthesize(out_dir: Path, context: Mapping[str, str] | None = None, app_dir: Path = REPO_ROOT) -> CloudAssembly:
    """Run ``cdk synth --quiet -o out_dir`` in ``app_dir`` and load the assembly it wrote."""
    command = [*cdk_command(app_dir), "synth", "--quiet", "--no-notices", "-o", str(out_dir)]
    for key, value in (context or {}).items():
        command += ["-c", f"{key}={value}"]
    result = subprocess.run(
        command, cwd=app_dir, env={**os.environ, **QUIET_ENV}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-30:])
        raise DriverError(f"cdk synth failed (exit {result.returncode}):\n{tail}")
    return CloudAssembly.load(out_dir)
