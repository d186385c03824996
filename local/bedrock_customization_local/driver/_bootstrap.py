"""The Lambda runtime inside a worker process: run as a script, never imported (it must not import the
driver).

Why a separate process with a doctored import system: Lambda runs the handler from the unzipped asset
(``LAMBDA_TASK_ROOT`` first on ``sys.path``) with the runtime's own boto3/botocore behind it, and nothing else. The
development venv, however, can import every package of this repository from the source tree (an editable install).
So this bootstrap removes the editable finders and puts an :class:`AssetOnlyFinder` in front of the meta path: the
repository's packages resolve inside the asset or not at all, and a packaging mistake fails here as it would in AWS.

Protocol with the parent (:mod:`.runtime`): one JSON document per line on stdin, one reply per line on
a private copy of stdout; the handler's own stdout goes to stderr, which is the function's log.
Messages: ``invoke`` (event, context fields, optional ``crash_after`` operation names), ``probe`` (module names to
locate, for tests) and ``exit``. The first reply, ``ready`` or ``init_error``, ends the cold start (the init phase).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from importlib.machinery import ModuleSpec, PathFinder
from typing import Any

#: Top-level names of this repository's packages: any name starting with this one (the library, the provider, the
#: local tools) counts.
PROTECTED_PREFIXES = ("bedrock_customization",)
#: What Lambda's Python runtime offers besides the standard library: the SDK and its dependencies. Anything else must
#: come from the asset; the development venv's other packages (rich, moto, cdk...) are not there in AWS.
RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six", "certifi", "_distutils_hack"}
)


def _protected(fullname: str) -> bool:
    top = fullname.partition(".")[0]
    return any(top == prefix or top.startswith(prefix) for prefix in PROTECTED_PREFIXES)


class AssetOnlyFinder:
    """A meta path finder: the repository's packages come from the task root (the asset) or raise; third-party
    packages come from the asset or the runtime's short list (:data:`RUNTIME_PACKAGES`) or raise."""

    def __init__(self, task_root: str) -> None:
        self.task_root = os.path.realpath(task_root)

    def _inside(self, location: str | None) -> bool:
        return location is not None and os.path.realpath(location).startswith(self.task_root + os.sep)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if not _protected(fullname):
            if "." in fullname or top in sys.stdlib_module_names or top in RUNTIME_PACKAGES:
                return None
            if sys.modules.get(top) is not None or PathFinder.find_spec(top, [self.task_root]) is not None:
                return None  # in the asset (or loaded before the runtime started): the normal finders take it
            raise ModuleNotFoundError(
                f"No module named {fullname!r} in the function's code at {self.task_root} or in the Lambda "
                f"runtime (which offers the standard library and {', '.join(sorted(RUNTIME_PACKAGES))})",
                name=fullname,
            )
        search = [self.task_root] if "." not in fullname else list(path or [])
        spec = PathFinder.find_spec(fullname, search)
        if spec is not None:
            locations = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
            if locations and all(self._inside(loc) for loc in locations):
                return spec
        raise ModuleNotFoundError(
            f"No module named {fullname!r} in the function's code at {self.task_root} "
            f"(the driver runs the synthesized asset only, never the source tree)",
            name=fullname,
        )

    def invalidate_caches(self) -> None:
        return None


def _isolate_imports(task_root: str) -> None:
    """Make ``sys.path`` and the meta path look like Lambda's: task root, then the runtime's SDK; no source tree."""
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "__editable__" not in getattr(h, "__module__", "")]
    sys.path_importer_cache.clear()
    for name in [n for n in sys.modules if _protected(n)]:
        del sys.modules[name]
    kept = [p for p in sys.path if p and os.path.isabs(p) and "__editable__" not in p]
    sys.path[:] = [task_root, *[p for p in kept if os.path.realpath(p) != os.path.realpath(task_root)]]
    sys.meta_path.insert(0, AssetOnlyFinder(task_root))


class LambdaContext:
    """The context object Lambda passes to a Python handler (the fields crhelper and Powertools read)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields.get("function_version", "$LATEST")
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(fields.get("memory_limit_in_mb", 128))
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = f"/aws/lambda/{self.function_name}"
        self.log_stream_name: str = fields.get("log_stream_name", "local")
        self.identity = None
        self.client_context = None
        self._deadline_ms: int = int(fields["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


_crash_after: set[str] = set()


def _install_crash_hook() -> None:
    """Let the driver kill this 'container' right after a chosen AWS call succeeded (a crash after the side effect)."""
    import botocore.client  # the runtime's SDK, as the handler sees it

    original = botocore.client.BaseClient._make_api_call

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        result = original(self, operation_name, api_params)
        if operation_name in _crash_after:
            sys.stderr.write(
                f"[bedrock_customization_local.driver] simulated crash right after {operation_name} succeeded\n"
            )
            sys.stderr.flush()
            os._exit(137)
        return result

    botocore.client.BaseClient._make_api_call = _make_api_call


def _locate(name: str) -> str:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return f"ImportError: {exc}"
    return str(getattr(module, "__file__", None) or list(getattr(module, "__path__", [])))


def main() -> None:
    config = json.loads(sys.argv[1])
    task_root, handler_path = config["task_root"], config["handler"]
    # Replies go to a private copy of stdout; anything the handler prints lands in the log (stderr).
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    _isolate_imports(task_root)
    os.chdir(task_root)
    # Lambda's runtime gives the root logger a handler; crhelper and the provider configure levels on top of it.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="[%(levelname)s] %(name)s: %(message)s")

    def reply(message: dict[str, Any]) -> None:
        replies.write(json.dumps(message, default=str) + "\n")

    try:
        module_name, _, function_name = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
        _install_crash_hook()
    except Exception as exc:  # the init phase failed: Lambda reports Runtime.ImportModuleError and so do we
        reply({"type": "init_error", "errorType": type(exc).__name__, "errorMessage": str(exc)})
        traceback.print_exc()
        return
    reply({"type": "ready"})

    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get("type")
        if kind == "exit":
            return
        if kind == "probe":
            reply({"type": "probe", "modules": {name: _locate(name) for name in message["modules"]}})
            continue
        context = LambdaContext(message["context"])
        _crash_after.clear()
        _crash_after.update(message.get("crash_after", []))
        sys.stderr.write(f"START RequestId: {context.aws_request_id} Version: $LATEST\n")
        started = time.monotonic()
        try:
            value = handler(message["event"], context)
            outcome: dict[str, Any] = {"type": "result", "ok": True, "value": value}
        except Exception as exc:  # a function error: Lambda retries asynchronous invocations on it
            traceback.print_exc()
            outcome = {"type": "result", "ok": False, "errorType": type(exc).__name__, "errorMessage": str(exc)}
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        sys.stderr.write(f"END RequestId: {context.aws_request_id}\nREPORT Duration: {duration_ms} ms\n")
        sys.stderr.flush()
        reply({**outcome, "duration_ms": duration_ms})


if __name__ == "__main__":
    main()
