"""CloudFormation's query API for the driver's own stacks: ListStackResources, DescribeStackResource, DescribeStacks,
SignalResource.

Why the driver answers these itself: the long wait (``docs/long-wait.md``) has the provider read its own stack
(``ListStackResources``, ``DescribeStackResource`` for a wait condition's ``Metadata``, ``DescribeStacks``) and
complete a ``CreationPolicy`` wait condition with ``SignalResource``. Those calls must see the stack the driver is
playing, live (a condition waiting is ``CREATE_IN_PROGRESS`` while the operation runs), so moto's CloudFormation,
which knows nothing of it, is bypassed: the session routes the ``cloudformation`` signing name to
:class:`CloudFormationApi` (``EmulatorApp.route_service``).

The wire format is CloudFormation's query protocol, the one botocore speaks: a form-encoded POST with
``Action=...&Version=2010-05-15``, answered with XML in the ``http://cloudformation.amazonaws.com/doc/2010-05-15/``
namespace (``<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>``), lists as ``<member>`` elements,
errors as ``<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>...</Message></Error>
<RequestId>...</RequestId></ErrorResponse>`` with HTTP 400.

Messages, where they could be found, are CloudFormation's:

- ``Stack with id <name or id> does not exist`` (ValidationError) for an unknown stack, or a name whose stack was
  deleted (a deleted stack is still described through its stack id, as ``DELETE_COMPLETE``).
- ``Stack <stack id> is in <STATUS> state and cannot be signaled`` when no operation runs (the text cfn-signal
  prints, e.g. aws-cloudformation/aws-cloudformation-templates issue 34).
- A resource that is not waiting for signals while the stack operates: ``Resource <logical id> is in <STATUS> state
  and cannot be signaled``. This one is modelled on the stack-level message; it was not found verbatim in public
  material, so callers should match on the ValidationError and "cannot be signaled", not on the whole text.
- ``Resource <logical id> does not exist for stack <stack name>`` for a logical id the stack has no resource for
  (yet): DescribeStackResource's wording.

What a runner must offer (:class:`~.stack.StackRunner` does): ``describe_stack() -> dict | None``,
``resource_summaries() -> list[dict]``, ``resource_detail(logical_id) -> dict | None``,
``signal(logical_id, unique_id, status)`` raising :class:`CloudFormationError`.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from bedrock_customization_local.emulator.server import read_body

from .errors import IntrinsicError

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
API_VERSION = "2010-05-15"
#: ListStackResources answers at most this many summaries per page (CloudFormation's page size).
PAGE_SIZE = 100


class CloudFormationError(Exception):
    """An API error as CloudFormation answers it (``Sender`` errors: the caller's request is at fault)."""

    def __init__(self, code: str, message: str, status: int = 400, fault: str = "Sender") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fault = fault


def validation_error(message: str) -> CloudFormationError:
    return CloudFormationError("ValidationError", message)


class DrivenStack(Protocol):
    def describe_stack(self) -> dict[str, Any] | None: ...

    def resource_summaries(self) -> list[dict[str, Any]]: ...

    def resource_detail(self, logical_id: str) -> dict[str, Any] | None: ...

    def signal(self, logical_id: str, unique_id: str, status: str) -> None: ...


class StackRegistry:
    """The stacks of one local account, by name and by stack id (the newest runner of a name wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Any] = {}
        self._by_name: dict[str, Any] = {}

    def register(self, runner: Any) -> None:
        with self._lock:
            self._by_id[runner.env.stack_id] = runner
            self._by_name[runner.env.stack_name] = runner

    def find(self, name_or_id: str) -> Any | None:
        """The runner a StackName parameter means: a stack id finds any stack that ever existed, a name only a
        stack that exists now (CloudFormation forgets names of deleted stacks)."""
        with self._lock:
            runner = self._by_id.get(name_or_id)
            by_name = runner is None
            runner = runner or self._by_name.get(name_or_id)
        if runner is None:
            return None
        description = runner.describe_stack()
        if description is None:
            return None
        if by_name and description["StackStatus"] == "DELETE_COMPLETE":
            return None
        return runner

    def runners(self) -> list[Any]:
        with self._lock:
            return list(self._by_id.values())

    def clear(self) -> None:
        """Forget every stack (a test's fresh account; the emulator is reset with it)."""
        with self._lock:
            self._by_id.clear()
            self._by_name.clear()

    # --- exports: Fn::ImportValue between the session's stacks -----------------------------------------------------
    def export_value(self, name: str) -> Any:
        """The value a live stack exports as ``name``; CloudFormation's "No export named <name> found" when none does
        (a ValidationError of the importing stack's operation)."""
        for runner in self.runners():
            exports = runner.exports()
            if name in exports:
                return exports[name]
        raise IntrinsicError(f"No export named {name} found")

    def importers_of(self, names: Iterable[str], *, excluding: str) -> dict[str, list[str]]:
        """Export name -> the stacks that exist (other than ``excluding``) whose template imports it: such an export
        cannot go. Read from the stacks' templates, so a stack that stops importing (or is deleted) frees it."""
        wanted = set(names)
        found: dict[str, list[str]] = {}
        for runner in self.runners():
            name = runner.env.stack_name
            if name == excluding or self.find(name) is not runner:  # not this stack, nor one deleted or replaced
                continue
            for export in sorted(runner.imported_exports() & wanted):
                found.setdefault(export, []).append(name)
        return {export: sorted(stacks) for export, stacks in found.items()}


class CloudFormationApi:
    """The WSGI app behind the ``cloudformation`` signing name."""

    def __init__(self, registry: StackRegistry) -> None:
        self.registry = registry
        #: (action, stack name parameter, error code or "") of every request, in order: what tests assert on.
        self.calls: list[tuple[str, str, str]] = []
        self._calls_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_id = str(uuid.uuid4())
        params = dict(parse_qsl(environ.get("QUERY_STRING") or "", keep_blank_values=True))
        params.update(parse_qsl(read_body(environ).decode("utf-8", errors="replace"), keep_blank_values=True))
        action = params.get("Action", "")
        try:
            handler = _ACTIONS.get(action)
            if handler is None:
                raise CloudFormationError(
                    "InvalidAction",
                    f"The action {action or '(none)'} is not valid for this "
                    "web service (the local driver answers ListStackResources, "
                    "DescribeStacks and SignalResource).",
                )
            result = handler(self, params)
            body = _envelope(action, result, request_id)
            status, error = 200, ""
        except CloudFormationError as exc:
            body = _error_body(exc, request_id)
            status, error = exc.status, exc.code
        with self._calls_lock:
            self.calls.append((action, params.get("StackName", ""), error))
        payload = body.encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Bad Request'}",
            [("Content-Type", "text/xml"), ("Content-Length", str(len(payload))), ("x-amzn-RequestId", request_id)],
        )
        return [payload]

    # --- actions ------------------------------------------------------------------------------------------------
    def _stack(self, params: dict[str, str], required: bool = True) -> Any:
        name = params.get("StackName")
        if not name:
            raise validation_error(
                "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: "
                "Member must not be null"
            )
        runner = self.registry.find(name)
        if runner is None:
            raise validation_error(f"Stack with id {name} does not exist")
        return runner

    def list_stack_resources(self, params: dict[str, str]) -> str:
        runner = self._stack(params)
        summaries = runner.resource_summaries()
        start = _decode_token(params.get("NextToken"), len(summaries))
        page = summaries[start : start + PAGE_SIZE]
        members = "".join(f"<member>{_fields(summary)}</member>" for summary in page)
        xml = f"<StackResourceSummaries>{members}</StackResourceSummaries>"
        if start + PAGE_SIZE < len(summaries):
            xml += f"<NextToken>{_encode_token(start + PAGE_SIZE)}</NextToken>"
        return xml

    def describe_stack_resource(self, params: dict[str, str]) -> str:
        if not params.get("LogicalResourceId"):
            raise validation_error(
                "1 validation error detected: Value null at 'logicalResourceId' failed to satisfy constraint: "
                "Member must not be null"
            )
        runner = self._stack(params)
        detail = runner.resource_detail(params["LogicalResourceId"])
        if detail is None:
            name = (runner.describe_stack() or {}).get("StackName", params["StackName"])
            raise validation_error(f"Resource {params['LogicalResourceId']} does not exist for stack {name}")
        return f"<StackResourceDetail>{_fields(detail)}</StackResourceDetail>"

    def describe_stacks(self, params: dict[str, str]) -> str:
        if not params.get("StackName"):  # every stack that exists (names of deleted ones are not listed)
            descriptions = [r.describe_stack() for r in self.registry.runners()]
            stacks = [d for d in descriptions if d and d["StackStatus"] != "DELETE_COMPLETE"]
        else:
            stacks = [self._stack(params).describe_stack()]
        members = "".join(f"<member>{_fields(stack)}</member>" for stack in stacks)
        return f"<Stacks>{members}</Stacks>"

    def signal_resource(self, params: dict[str, str]) -> str:
        for name, key in (("logicalResourceId", "LogicalResourceId"), ("uniqueId", "UniqueId"), ("status", "Status")):
            if not params.get(key):
                raise validation_error(
                    f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        status = params["Status"]
        if status not in ("SUCCESS", "FAILURE"):
            raise validation_error(
                f"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: "
                "Member must satisfy enum value set: [SUCCESS, FAILURE]"
            )
        self._stack(params).signal(params["LogicalResourceId"], params["UniqueId"], status)
        return ""


_ACTIONS = {
    "ListStackResources": CloudFormationApi.list_stack_resources,
    "DescribeStackResource": CloudFormationApi.describe_stack_resource,
    "DescribeStacks": CloudFormationApi.describe_stacks,
    "SignalResource": CloudFormationApi.signal_resource,
}


# --- XML ------------------------------------------------------------------------------------------------------------
def timestamp(value: float | datetime) -> str:
    """CloudFormation's timestamp form, e.g. ``2026-11-25T10:00:00.123Z``."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _fields(values: dict[str, Any]) -> str:
    parts = []
    for key, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, list):
            inner = "".join(f"<member>{_fields(v) if isinstance(v, dict) else escape(str(v))}</member>" for v in value)
            parts.append(f"<{key}>{inner}</{key}>")
        elif isinstance(value, dict):
            parts.append(f"<{key}>{_fields(value)}</{key}>")
        elif isinstance(value, bool):
            parts.append(f"<{key}>{'true' if value else 'false'}</{key}>")
        else:
            text = timestamp(value) if isinstance(value, datetime) else str(value)
            parts.append(f"<{key}>{escape(text)}</{key}>")
    return "".join(parts)


def _envelope(action: str, result: str, request_id: str) -> str:
    inner = f"<{action}Result>{result}</{action}Result>" if result else ""
    return (
        f'<{action}Response xmlns="{NAMESPACE}">{inner}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )


def _error_body(exc: CloudFormationError, request_id: str) -> str:
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{exc.fault}</Type><Code>{escape(exc.code)}</Code>'
        f"<Message>{escape(exc.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"cfn-driver:{offset}".encode()).decode()


def _decode_token(token: str | None, total: int) -> int:
    if not token:
        return 0
    try:
        prefix, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        value = int(offset)
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_error("Invalid NextToken") from exc
    if prefix != "cfn-driver" or not 0 <= value <= total:
        raise validation_error("Invalid NextToken")
    return value
