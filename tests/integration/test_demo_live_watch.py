"""The line the demo prints for watching it from another shell works: run as a shell would run it (its environment
assignments, the installed ``bedrock-customization`` command, the session's endpoint), in a subprocess, against the
example app the driver deployed, it reads the stack and draws each job's loss from the metric files the emulator
wrote into the stack's bucket (which the driver made). The clock is frozen while it reads: nothing moves meanwhile."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest
from bedrock_customization_local.driver.demo import live_watch_line
from PIL import Image

from .conftest import TIER_SPEED

pytestmark = pytest.mark.integration


def _as_a_shell_runs(line: str) -> tuple[dict[str, str], list[str]]:
    """The line's leading ``NAME=value`` assignments (the command's environment) and the command itself."""
    words = shlex.split(line)
    assignments = {}
    while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    return assignments, words


def test_the_printed_live_watch_line_reads_the_deployed_stack_and_draws_its_loss(runner, cloud, tmp_path):
    # GIVEN the example app created (its jobs completed) and the virtual clock frozen
    outcome = runner.deploy()
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    cloud.emulator.controls.set_speed(0)
    try:
        _watch_once(runner, cloud, tmp_path)
    finally:
        cloud.emulator.controls.set_speed(TIER_SPEED)
    assert runner.destroy().status == "DELETE_COMPLETE"


def _watch_once(runner, cloud, tmp_path) -> None:
    stack = runner.env.stack_name
    line = live_watch_line(cloud, stack)
    assignments, command = _as_a_shell_runs(line)
    assert assignments == {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    # the installed command, or this Python's `-m bedrock_customization` when the venv has no script (yet)
    assert command[command.index("watch") - 1] in ("bedrock_customization", "bedrock-customization") or command[
        command.index("watch") - 1
    ].endswith("/bedrock-customization")
    assert command[command.index("watch") + 1] == stack and cloud.emulator.endpoint_url in command
    assert cloud.emulator.endpoint_url.startswith("http://")

    # WHEN the line runs once (--once, into a folder of the test's), as another shell would: none of this process's
    # AWS variables, only the line's
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | assignments
    done = subprocess.run(
        [*command, "--once", "--out", str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # THEN it found the stack, every job (completed) with its loss, wrote a picture per job and the report: status 0
    assert done.returncode == 0, done.stderr
    assert f"stack {stack}  CREATE_COMPLETE" in done.stdout
    jobs = [
        lid for lid, record in runner.records.items() if record.resource_type == "Custom::BedrockModelCustomizationJob"
    ]
    assert len(jobs) == 2
    for lid in jobs:
        png = tmp_path / f"{lid}-loss.png"
        assert png.exists() and (tmp_path / f"{lid}-loss.svg").exists(), done.stdout
        with Image.open(png) as image:
            assert image.size == (1000, 550)
    assert len(re.findall(r"at step \d+ \(epoch \d+\)", done.stdout)) == 2, done.stdout  # each job's last step
    assert done.stdout.rstrip().endswith(f"report  {tmp_path / 'report.md'}")
