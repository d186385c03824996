"""The watch command's end-to-end tests: one local session (emulator + driver's CloudFormation API) per module, and
the example app synthesized once with ``-c waitMode=None``, so the stack completes while its job still trains."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

#: Virtual seconds per wall second while a stack deploys; the tests freeze the clock after and move it by hand.
DEPLOY_SPEED = 1200.0


@dataclass
class Run:
    """What one ``command.main`` call printed and returned."""

    status: int
    out: str
    err: str


def watch(*args: str, **kwargs: Any) -> Run:
    from bedrock_customization.watch.command import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), stdout=out, stderr=err, **kwargs)
    return Run(status, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def no_wait_assembly(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from bedrock_customization_local.driver.synth import synthesize

    return synthesize(tmp_path_factory.mktemp("watch-no-wait") / "cdk.out", {"waitMode": "None"})


@pytest.fixture(scope="module")
def local_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from bedrock_customization_local.driver.session import LocalSession, SessionOptions

    with LocalSession(SessionOptions(speed=DEPLOY_SPEED, workdir=tmp_path_factory.mktemp("watch-session"))) as session:
        yield session


@pytest.fixture
def cloud(local_session: Any) -> Any:
    local_session.emulator.controls.reset()
    local_session.emulator.controls.set_speed(DEPLOY_SPEED)
    return local_session


def advance_to(session: Any, moment: datetime) -> None:
    """Move the (frozen) virtual clock to ``moment``."""
    now = session.emulator.emulator.app.clock.now()
    session.emulator.controls.advance(max(0.0, (moment - now).total_seconds()))
