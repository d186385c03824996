"""Lambda, locally: warm worker processes that run a function's handler from its synthesized asset.

Why processes and not an import: the provider must run against the asset's files and the runtime's SDK only
(see :mod:`._bootstrap`), a crash must be able to kill it mid-call, and a warm container keeps module
state (clients, caches) between invocations the way Lambda does, which the provider has to be correct under.

Invocation semantics are Lambda's asynchronous ones, because CloudFormation and EventBridge both invoke that way:
the caller gets no result, a function error or crash is retried up to twice with the same event (after one and two
minutes, on the accelerated clock) in a fresh container, and a run longer than the function's Timeout is killed.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvocationError
from .template import FunctionSpec

BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")
#: Lambda's asynchronous invocation retries a failed event this many more times.
ASYNC_RETRIES = 2
#: ...waiting about this long (virtual seconds) before each retry.
ASYNC_RETRY_DELAYS = (60.0, 120.0)
COLD_START_TIMEOUT = 60.0
#: Where Lambda unzips the code; environment values pointing into it are rewritten to the local asset directory.
LAMBDA_TASK_ROOT = "/var/task"
_EOF = "<eof>"


@dataclass(frozen=True)
class Attempt:
    """One run of the handler: it returned, raised (function error) or its container died."""

    aws_request_id: str
    outcome: str  # "ok" | "error" | "crash" | "timeout"
    detail: str = ""
    duration_ms: float = 0.0


@dataclass
class FaultPlan:
    """Lambda-side faults a test orders for the next matching invocations (CloudFormation request type + resource).

    ``crash_after``: kill the container right after the named AWS operation succeeds (e.g. the Create call).
    ``crash_in_poll``: the same, in one of crhelper's polls of the request (e.g. its status read): a container that
    dies or times out while a scheduled poll runs.
    ``duplicates``: deliver the event one more time, as at-least-once delivery may.
    """

    crash_after: list[tuple[str, str, str]] = field(default_factory=list)  # (logical id, request type, operation)
    crash_in_poll: list[tuple[str, str, str]] = field(default_factory=list)  # (logical id, request type, operation)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (logical id, request type)

    def take_crash(self, event: Mapping[str, Any]) -> list[str]:
        poll = "CrHelperPoll" in event
        plan = self.crash_in_poll if poll else self.crash_after
        for i, (logical_id, request_type, operation) in enumerate(plan):
            if self._matches({k: v for k, v in event.items() if k != "CrHelperPoll"}, logical_id, request_type):
                del plan[i]
                return [operation]
        return []

    def take_duplicate(self, event: Mapping[str, Any]) -> bool:
        for i, (logical_id, request_type) in enumerate(self.duplicates):
            if self._matches(event, logical_id, request_type):
                del self.duplicates[i]
                return True
        return False

    @staticmethod
    def _matches(event: Mapping[str, Any], logical_id: str, request_type: str) -> bool:
        """CloudFormation's own delivery of the request (crhelper's polls carry the same ids plus CrHelperPoll)."""
        if "CrHelperPoll" in event:
            return False
        return event.get("LogicalResourceId") == logical_id and event.get("RequestType") == request_type


class Worker:
    """One Lambda 'container': a bootstrap process that imported the handler and serves invocations in turn."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], log_path: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self._log = log_path.open("ab")
        config = json.dumps({"task_root": str(spec.code_dir), "handler": spec.handler})
        self._process = subprocess.Popen(
            # -I: no user site, no PYTHON* variables, no script directory on sys.path (Lambda's runtime is not the
            # venv); -B: no __pycache__ left in the asset folder, which belongs to cdk.out (-I ignores
            # PYTHONDONTWRITEBYTECODE, so the flag, and the bootstrap itself, say it).
            [sys.executable, "-I", "-B", str(BOOTSTRAP), config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=dict(env),
            cwd=spec.code_dir,
        )
        ready = self._read(COLD_START_TIMEOUT)
        if ready is None or ready.get("type") != "ready":
            self.stop()
            detail = ready.get("errorMessage") if ready else "no answer from the runtime"
            raise InvocationError(f"{spec.name}: init failed (Runtime.ImportModuleError?): {detail}; log: {log_path}")

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def invoke(self, event: Mapping[str, Any], *, crash_after: Iterable[str] = ()) -> Attempt:
        request_id = str(uuid.uuid4())
        context = {
            "function_name": self.spec.name,
            "invoked_function_arn": self.spec.arn,
            "memory_limit_in_mb": self.spec.memory_mb,
            "aws_request_id": request_id,
            "deadline_ms": int((time.time() + self.spec.timeout_seconds) * 1000),
        }
        started = time.monotonic()
        message = {"type": "invoke", "event": event, "context": context, "crash_after": list(crash_after)}
        if not self._send(message):
            return Attempt(request_id, "crash", "the container was gone")
        answer = self._read(self.spec.timeout_seconds + 1.0)
        elapsed = (time.monotonic() - started) * 1000
        if answer is None:
            self.stop()
            return Attempt(request_id, "timeout", f"Task timed out after {self.spec.timeout_seconds} s", elapsed)
        if answer.get("type") == _EOF:
            code = self._process.wait()
            return Attempt(request_id, "crash", f"Runtime exited with code {code} without a result", elapsed)
        if answer.get("ok"):
            return Attempt(request_id, "ok", "", answer.get("duration_ms", elapsed))
        detail = f"{answer.get('errorType')}: {answer.get('errorMessage')}"
        return Attempt(request_id, "error", detail, answer.get("duration_ms", elapsed))

    def probe(self, modules: Iterable[str]) -> dict[str, str]:
        """Where the worker's import system finds ``modules`` (a file path, or the ImportError)."""
        self._send({"type": "probe", "modules": list(modules)})
        answer = self._read(30.0)
        if answer is None or answer.get("type") != "probe":
            raise InvocationError(f"{self.spec.name}: the worker did not answer the probe")
        return answer["modules"]

    def stop(self) -> None:
        if self.alive:
            self._send({"type": "exit"})
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream:
                stream.close()
        self._log.close()

    def _send(self, message: Mapping[str, Any]) -> bool:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write((json.dumps(message) + "\n").encode())
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        return True

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next reply; None on timeout, ``{"type": _EOF}`` when the process closed its end (it died)."""
        assert self._process.stdout is not None
        readable, _, _ = select.select([self._process.stdout], [], [], timeout)
        if not readable:
            return None
        line = self._process.stdout.readline()
        return json.loads(line) if line else {"type": _EOF}


class LambdaService:
    """The functions of one local 'account': one warm worker each, asynchronous invokes with Lambda's retries."""

    def __init__(
        self,
        workdir: Path,
        base_env: Mapping[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        virtual_to_wall: Callable[[float], float] = lambda seconds: seconds,
    ) -> None:
        self.workdir = workdir
        self.base_env = dict(base_env)
        self.faults = FaultPlan()
        self.attempts: list[tuple[str, Attempt]] = []  # (function name, attempt), in order
        self._sleep = sleep
        self._to_wall = virtual_to_wall
        self._specs: dict[str, FunctionSpec] = {}
        self._workers: dict[str, Worker] = {}
        self._cold_starts = 0
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    # --- functions ----------------------------------------------------------------------------------------------
    def register(self, spec: FunctionSpec) -> None:
        """Add or replace a function; a changed configuration (new code, handler, environment) starts cold."""
        if self._specs.get(spec.name, spec) != spec and spec.name in self._workers:
            self._workers.pop(spec.name).stop()
        self._specs[spec.name] = spec

    def function_names(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, name_or_arn: str) -> FunctionSpec:
        name = name_or_arn.rsplit(":function:", 1)[-1].split(":")[0]
        if name not in self._specs:
            raise InvocationError(f"no function {name!r} is registered with the local Lambda service")
        return self._specs[name]

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """What the handler's ``os.environ`` holds: Lambda's reserved variables, then the function's own."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC"}
        task_root = str(spec.code_dir)
        env.update(
            {
                key: task_root + value[len(LAMBDA_TASK_ROOT) :] if value.startswith(LAMBDA_TASK_ROOT) else value
                for key, value in spec.environment.items()
            }
        )
        env.update(self.base_env)
        env.update(
            {
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "_HANDLER": spec.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                # The asset folder belongs to cdk.out: keep it free of __pycache__ litter. The worker's ``python -I``
                # ignores this variable (``-B`` and the bootstrap see to the worker); it covers the handler's children.
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        return env

    def log_path(self, spec: FunctionSpec) -> Path:
        return self.workdir / "logs" / f"{spec.name}.log"

    def logs(self, name_or_arn: str) -> str:
        path = self.log_path(self.spec(name_or_arn))
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def cold_starts(self) -> int:
        return self._cold_starts

    def warm(self, name_or_arn: str) -> Worker:
        """The function's warm worker, cold-starting one when there is none (or it died)."""
        spec = self.spec(name_or_arn)
        worker = self._workers.get(spec.name)
        if worker is None or not worker.alive:
            if worker is not None:
                worker.stop()
            worker = Worker(spec, self.environment(spec), self.log_path(spec))
            self._workers[spec.name] = worker
            self._cold_starts += 1
        return worker

    # --- invoking -----------------------------------------------------------------------------------------------
    def invoke_async(self, name_or_arn: str, event: Mapping[str, Any]) -> list[Attempt]:
        """Deliver ``event`` as an asynchronous invocation: retried on error/crash, duplicated when a fault says so."""
        attempts = self._deliver(name_or_arn, event)
        if self.faults.take_duplicate(event):
            attempts += self._deliver(name_or_arn, event)
        return attempts

    def _deliver(self, name_or_arn: str, event: Mapping[str, Any]) -> list[Attempt]:
        spec = self.spec(name_or_arn)
        attempts = []
        for retry in range(ASYNC_RETRIES + 1):
            if retry:
                self._sleep(self._to_wall(ASYNC_RETRY_DELAYS[retry - 1]))
            attempt = self.warm(spec.name).invoke(event, crash_after=self.faults.take_crash(event))
            attempts.append(attempt)
            self.attempts.append((spec.name, attempt))
            if attempt.outcome == "ok":
                break
        return attempts

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()
        self._workers.clear()
