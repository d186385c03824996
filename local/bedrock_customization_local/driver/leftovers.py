"""The end-of-run check: nothing the stack made may outlive it, and the provider must not leak its secrets.

Why a separate check rather than trusting the stack status: a provider can answer SUCCESS and still leave a polling
rule (crhelper cleans up in the last poll), a Lambda permission, a job still training or a custom model nobody owns
(a Delete that forgot it, a duplicate Create). Those cost money in an account; here they fail the run.

Rules and permissions that a stack of the session declares in its template (``AWS::Events::Rule``,
``AWS::Lambda::Permission``, which the driver creates) are the stack's own while it exists, so they are not
leftovers then; once the stack is deleted they are, like anything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from botocore.exceptions import ClientError

from .errors import LeftoversError
from .native import EVENTS_RULE, LAMBDA_PERMISSION
from .responses import presigned_url_kind
from .session import LocalSession
from .stack import record_arns

RUNNING_JOB_STATES = ("InProgress", "Stopping")


def find_leftovers(session: LocalSession, allowed_models: Iterable[str] = ()) -> list[str]:
    """Everything left behind, as readable lines (empty when clean)."""
    assert session.polls and session.lambdas and session.emulator and session.responses
    problems: list[str] = []
    owned = _stack_owned(session)
    for rule in session.polls.rules():
        if (EVENTS_RULE, rule["Name"]) in owned:
            continue
        kind = rule.get("ScheduleExpression") or ("event pattern" if rule.get("EventPattern") else None)
        problems.append(f"EventBridge rule {rule['Name']} ({kind}) still exists")
    lam = session.client("lambda")
    for name in session.lambdas.function_names():
        try:
            statements = json.loads(lam.get_policy(FunctionName=name)["Policy"]).get("Statement", [])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            statements = []
        for statement in statements:
            if (LAMBDA_PERMISSION, statement.get("Sid")) in owned:
                continue
            problems.append(f"Lambda permission {statement.get('Sid')} on {name} still exists")
        # A presigned URL (a response URL, a wait condition handle's) carries its signature in the query: seeing it
        # in a log means the URL was logged.
        kind = presigned_url_kind(session.lambdas.logs(name))
        if kind:
            problems.append(f"{name} logged a presigned {kind} (its log must never contain one)")
    state = session.emulator.state()
    for job in state.get("jobs", []):
        if job.get("status") in RUNNING_JOB_STATES:
            problems.append(f"customization job {job['jobName']} is still {job['status']}")
    allowed = set(allowed_models)
    for model in state.get("models", []):
        if model["modelArn"] not in allowed:
            problems.append(f"custom model {model['modelName']} ({model['modelStatus']}) is owned by no resource")
    # Serving resources and imports: whatever no stack of the session holds (nor retained) is left behind.
    held = set(allowed)
    for runner in session.stacks.runners():
        held |= runner.retained_resources
        for record in list(runner.records.values()):
            held |= record_arns(record)
    for job in state.get("importJobs", []):
        if job.get("status") == "InProgress":
            problems.append(f"model import job {job['jobName']} is still InProgress")
    for kind, key in (("custom model deployment", "deployments"), ("provisioned throughput", "throughputs")):
        for item in state.get(key, []):
            if item["arn"] not in held:
                problems.append(f"{kind} {item['name']} is owned by no resource")
    for model in state.get("importedModels", []):
        if model["modelArn"] not in held:
            problems.append(f"imported model {model['modelName']} is owned by no resource")
    problems += [f"EventBridge delivery: {p}" for p in session.polls.problems]
    problems += [f"response endpoint: {p}" for p in session.responses.rejected()]
    return problems


def _stack_owned(session: LocalSession) -> set[tuple[str, str]]:
    """(type, physical id) of the rules and permissions the session's existing stacks hold as resources."""
    owned = set()
    for runner in session.stacks.runners():
        for record in list(runner.records.values()):
            if record.resource_type in (EVENTS_RULE, LAMBDA_PERMISSION):
                owned.add((record.resource_type, record.physical_id))
    return owned


def check_leftovers(session: LocalSession, allowed_models: Iterable[str] = ()) -> None:
    """Raise :class:`LeftoversError` listing whatever :func:`find_leftovers` found."""
    problems = find_leftovers(session, allowed_models)
    if problems:
        raise LeftoversError(problems)
