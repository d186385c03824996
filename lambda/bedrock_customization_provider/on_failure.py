"""Answer FAILED for a CloudFormation request the provider function dropped, instead of leaving the stack waiting.

CloudFormation invokes the provider asynchronously. When every attempt fails without an answer (the container
crashed or ran out of memory, the code could not be imported, the event waited in Lambda's queue too long), Lambda
drops the event, and CloudFormation would wait for the resource's whole ServiceTimeout (up to an hour) before failing
it. The provider's on-failure destination is a second, small function (``contract.ON_FAILURE_HANDLER``, same asset):
Lambda gives it an invocation record whose ``requestPayload`` is the dropped event, and this module answers that
request FAILED, once, and only when nobody else will:

- a crhelper poll (``CrHelperPoll``) is never answered here: its rule invokes the provider again at the next interval,
  and the poll's budget check answers before ServiceTimeout (its URL is sealed anyway: :mod:`.poll_secret`);
- a request whose poll rule exists with a target is not answered here: the first attempt handed it to the polls;
- a request is answered only while CloudFormation still waits on the resource for it (``DescribeStackResource``:
  ``CREATE_IN_PROGRESS`` for a Create, ...). A request that was answered (SUCCESS, or FAILED by crhelper's timeout
  timer) has moved the resource on, so it is never answered twice;
- a Create is answered with :data:`~.contract.UNCERTAIN_CREATE_PHYSICAL_ID`: the rollback's Delete then searches for
  whatever the dropped request may have started and stops or deletes it; an Update or Delete keeps its physical id.

Anything else (a record of something that is not this stack's request, a success record) is logged and ignored.

Not covered by an integration test: the local driver (``bedrock_customization_local.driver.runtime``) retries a
failed invocation twice and then drops the event, as Lambda does, but delivers no on-failure record; until it
does, the functional tests (``tests/functional/test_on_failure.py``) drive this module with the record's documented
shape.

Example::

    answer_dropped_request(record, stack_id=stack_id, cloudformation=cfn, events=events)  # -> what was done
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import contract, response
from .cfn_resource import envelope_problem, rule_name_for
from .errors import error_code, fit_reason

logger = logging.getLogger(__name__)

#: The conditions of an on-failure invocation record: every attempt failed, or the event waited too long to run.
FAILURE_CONDITIONS = ("RetriesExhausted", "EventAgeExceeded")
#: The resource status that says CloudFormation still waits for an answer to a request of each type. A Create also
#: runs while the stack updates (a replacement), shown as UPDATE_IN_PROGRESS.
WAITING_STATUSES: Mapping[str, frozenset[str]] = {
    "Create": frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"}),
    "Update": frozenset({"UPDATE_IN_PROGRESS"}),
    "Delete": frozenset({"DELETE_IN_PROGRESS"}),
}

Sender = Callable[..., bool]


def is_failure_record(event: Any) -> bool:
    """Whether ``event`` is Lambda's record of an asynchronous invocation that failed (an on-failure destination's)."""
    if not isinstance(event, Mapping):
        return False
    context = event.get("requestContext")
    return isinstance(context, Mapping) and context.get("condition") in FAILURE_CONDITIONS and "requestPayload" in event


def answer_dropped_request(
    record: Mapping[str, Any],
    *,
    stack_id: str | None,
    cloudformation: Any,
    events: Any,
    send: Sender = response.send,
    ssl_verify: bool | str | None = None,
) -> str:
    """Answer the dropped request of ``record`` FAILED when CloudFormation still waits for it; say what was done."""
    if not is_failure_record(record):
        return "ignored: not an on-failure invocation record"
    request = record["requestPayload"]
    if isinstance(request, Mapping) and "CrHelperPoll" in request:
        return "ignored: a poll (its rule invokes the provider again at the next interval)"
    problem = envelope_problem(request, stack_id)
    if problem is not None:
        return f"ignored: not a request of this stack that can be answered ({problem})"
    if _polls_own(events, request):
        return "ignored: its polls are scheduled and will answer it"
    status = _resource_status(cloudformation, request)
    if status not in WAITING_STATUSES.get(request["RequestType"], frozenset()):
        return f"ignored: CloudFormation no longer waits for it (resource status {status or 'unknown'})"
    body = failed_response(record)
    if not send(request["ResponseURL"], body, ssl_verify):
        raise RuntimeError("Could not send the FAILED response to CloudFormation")  # Lambda retries this record
    return f"answered FAILED for {request['RequestType']} {request['LogicalResourceId']} ({body['PhysicalResourceId']})"


def failed_response(record: Mapping[str, Any]) -> dict[str, Any]:
    """The FAILED response for the dropped request of ``record``: a physical id the rollback acts on, and a reason
    that starts with what happened (CloudFormation shows it; the error's own message stays in the function's log)."""
    request = record["requestPayload"]
    condition = record["requestContext"].get("condition")
    if request["RequestType"] == "Create":
        physical_id = contract.UNCERTAIN_CREATE_PHYSICAL_ID
    else:
        physical_id = request.get("PhysicalResourceId") or contract.UNCERTAIN_CREATE_PHYSICAL_ID
    if condition == "EventAgeExceeded":
        what = "The provider function never ran this request (it waited too long in Lambda's queue)"
    else:
        what = f"The provider function failed on every attempt ({_error_type(record)})"
    return {
        "Status": "FAILED",
        "Reason": fit_reason(f"{what}; the rollback stops or deletes whatever this request started."),
        "PhysicalResourceId": physical_id,
        "StackId": request["StackId"],
        "RequestId": request["RequestId"],
        "LogicalResourceId": request["LogicalResourceId"],
        "Data": {},
    }


def _error_type(record: Mapping[str, Any]) -> str:
    payload = record.get("responsePayload")
    if isinstance(payload, Mapping) and isinstance(payload.get("errorType"), str):
        return payload["errorType"][:100]
    context = record.get("responseContext")
    if isinstance(context, Mapping) and isinstance(context.get("functionError"), str):
        return context["functionError"][:100]
    return "error"


def _polls_own(events: Any, request: Mapping[str, Any]) -> bool:
    """Whether the request's poll rule exists with a target: then a poll will answer it."""
    try:
        targets = events.list_targets_by_rule(Rule=rule_name_for(request))["Targets"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return bool(targets)


def _resource_status(cloudformation: Any, request: Mapping[str, Any]) -> str | None:
    """The resource's status in its stack; None when the stack or the resource no longer exists."""
    try:
        answer = cloudformation.describe_stack_resource(
            StackName=request["StackId"], LogicalResourceId=request["LogicalResourceId"]
        )
    except ClientError as exc:
        if error_code(exc) == "ValidationError":  # "Stack ... does not exist", "Resource ... does not exist"
            return None
        raise
    return answer["StackResourceDetail"]["ResourceStatus"]
