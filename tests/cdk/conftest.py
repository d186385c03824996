"""Shared helpers of the CDK tests: environment-agnostic stacks, and synthesis that also runs cfn-lint.

Every template a test synthesizes goes through :func:`synth`, which fails on any cfn-lint error or warning, so "cfn-lint
reports nothing on every synthesized template" holds by construction (informational findings are not failures).
Results are cached per template text to keep the tier fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from bedrock_customization_provider import contract
from cfnlint.api import ManualArgs, lint

_LINT_REGIONS = ["us-east-1"]
_lint_cache: dict[str, list[str]] = {}


#: W3005 "obsolete DependsOn" where a resource depends on the role it runs with: aws-cdk's L2s (``lambda.Function``,
#: ``stepfunctions.StateMachine``) always add that DependsOn next to the ``Role``/``RoleArn`` GetAtt, so that the role's
#: default policy exists first (the DependsOn names the role too); it is CDK's own, and harmless.
_CDK_FUNCTION_ROLE_DEPENDS_ON = re.compile(
    r"dependency already enforced by a 'GetAtt' at 'Resources/[^/']+/Properties/Role(Arn)?'"
)


def _is_cdks_own(match: Any) -> bool:
    return match.rule.id == "W3005" and bool(_CDK_FUNCTION_ROLE_DEPENDS_ON.search(str(match)))


def lint_errors(template: dict[str, Any]) -> list[str]:
    """cfn-lint's errors and warnings (E- and W-rules) for a template, less the one warning CDK itself always causes
    (:data:`_CDK_FUNCTION_ROLE_DEPENDS_ON`); informational findings are not failures."""
    text = json.dumps(template, sort_keys=True)
    if text not in _lint_cache:
        matches = lint(text, config=ManualArgs(regions=_LINT_REGIONS))
        _lint_cache[text] = [str(m) for m in matches if m.rule.id[0] in "EW" and not _is_cdks_own(m)]
    return _lint_cache[text]


def synth(stack: cdk.Stack) -> Template:
    """The stack's template, asserted cfn-lint clean (no error, no warning)."""
    template = Template.from_stack(stack)
    errors = lint_errors(template.to_json())
    assert not errors, "cfn-lint errors and warnings:\n" + "\n".join(errors)
    return template


def new_stack(name: str = "TestStack") -> cdk.Stack:
    """An environment-agnostic stack in a fresh app (no account, no region: synthesizes offline)."""
    return cdk.Stack(cdk.App(), name)


@pytest.fixture(scope="session")
def synthesize() -> Callable[[cdk.Stack], Template]:
    return synth


@pytest.fixture(scope="session")
def make_stack() -> Callable[..., cdk.Stack]:
    return new_stack


# --- template queries -----------------------------------------------------------------------------------------------
def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(resource_type)


def one(template: Template, resource_type: str, logical_prefix: str) -> tuple[str, dict[str, Any]]:
    """The single resource of ``resource_type`` whose logical id starts with ``logical_prefix``."""
    found = {k: v for k, v in resources(template, resource_type).items() if k.startswith(logical_prefix)}
    assert len(found) == 1, f"expected one {resource_type} named {logical_prefix}*, found {sorted(found)}"
    return next(iter(found.items()))


def policy_statements(template: Template, logical_prefix: str) -> list[dict[str, Any]]:
    """All statements of the IAM policies whose logical id starts with ``logical_prefix``, and of the inline
    policies of the roles whose logical id does (the provider's role carries the permissions every provider needs)."""
    statements: list[dict[str, Any]] = []
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        if logical_id.startswith(logical_prefix):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    for logical_id, role in resources(template, "AWS::IAM::Role").items():
        if logical_id.startswith(logical_prefix):
            for inline in role["Properties"].get("Policies", []):
                statements.extend(inline["PolicyDocument"]["Statement"])
    return statements


def job_role(template: Template, job_prefix: str) -> str:
    """The logical id prefix (without CDK's hash) of the created role the job ``job_prefix`` runs with: roles are
    shared by jobs with the same access and named by it, not by a job."""
    jobs = resources(template, contract.JOB_RESOURCE_TYPE)
    (job,) = [r for lid, r in jobs.items() if re.fullmatch(rf"{job_prefix}[0-9A-F]{{8}}", lid)]
    role_arn = job["Properties"]["roleArn"]
    assert isinstance(role_arn, dict) and "Fn::GetAtt" in role_arn, f"{job_prefix} runs with a given role: {role_arn}"
    return role_arn["Fn::GetAtt"][0][:-8]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def statements_with(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in actions_of(s)]


def all_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in actions_of(s)}


def job_properties(template: Template, logical_prefix: str) -> dict[str, Any]:
    return one(template, contract.JOB_RESOURCE_TYPE, logical_prefix)[1]["Properties"]


def model_properties(template: Template, logical_prefix: str) -> dict[str, Any]:
    return one(template, contract.MODEL_RESOURCE_TYPE, logical_prefix)[1]["Properties"]


def flatten(value: Any) -> Iterator[Any]:
    """Every scalar inside a JSON value (to look for a string anywhere in an intrinsic)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from flatten(v)
    elif isinstance(value, list):
        for v in value:
            yield from flatten(v)
    else:
        yield value


def created_after(template: Template | dict[str, Any], logical_id: str) -> set[str]:
    """Every resource CloudFormation creates before ``logical_id``: its DependsOn and the resources its Ref and
    Fn::GetAtt name, followed through each of those (a resource waits for its dependencies' dependencies)."""
    body = template if isinstance(template, dict) else template.to_json()
    all_resources = body["Resources"]

    def direct(resource: dict[str, Any]) -> set[str]:
        depends_on = resource.get("DependsOn", [])
        found = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        pending: list[Any] = [resource.get("Properties", {})]
        while pending:
            value = pending.pop()
            if isinstance(value, list):
                pending.extend(value)
            elif isinstance(value, dict):
                if isinstance(value.get("Ref"), str):
                    found.add(value["Ref"])
                if isinstance(value.get("Fn::GetAtt"), list):
                    found.add(value["Fn::GetAtt"][0])
                pending.extend(value.values())
        return found & set(all_resources)

    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        for before in direct(all_resources[pending.pop()]) - seen:
            seen.add(before)
            pending.append(before)
    return seen


@pytest.fixture(scope="session")
def q():
    """Template query helpers, as one namespace (pytest's importlib mode cannot import a sibling module)."""

    class Queries:
        resources = staticmethod(resources)
        one = staticmethod(one)
        policy_statements = staticmethod(policy_statements)
        job_role = staticmethod(job_role)
        actions_of = staticmethod(actions_of)
        statements_with = staticmethod(statements_with)
        all_actions = staticmethod(all_actions)
        job_properties = staticmethod(job_properties)
        model_properties = staticmethod(model_properties)
        flatten = staticmethod(flatten)
        created_after = staticmethod(created_after)
        lint_errors = staticmethod(lint_errors)

    return Queries
