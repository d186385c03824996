"""Which stack a provider function answers for, and whose name its EventBridge rules carry.

Two identities, equal for a stack synthesized with the constructs and different for a provider stack that serves a
plain CloudFormation stack (``docs/cloudformation.md``):

- **Its own stack** (``STACK_ID``, ``Ref AWS::StackId`` of the stack that holds the function): its GUID names the
  rules the function puts and deletes (crhelper's poll rules, ``bedrock-cr-poll-<GUID>-...``) and the long wait's
  poll rule (``bedrock-cr-wait-<GUID>``), which live beside the function. Its role may touch those rules only.
- **The stack it serves** (``SERVED_STACK``, default ``STACK_ID``): the stack whose requests it answers and whose wait
  conditions it reads and signals. Either a stack id (that stack and no other, not even a later stack of the same
  name) or ``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/*``: whichever stack has that name now,
  since a plain CloudFormation stack's id is unknown until it exists. The same text is the IAM resource its role's
  CloudFormation permissions name, so what the code accepts and what IAM allows cannot drift apart.

A request from any other stack is dropped unanswered (:func:`~.cfn_resource.envelope_problem`): a service token
exported for one stack must not let another start jobs with this function's permissions.
"""

from __future__ import annotations

import os

from . import contract, naming

ANY_STACK_OF_NAME = "/*"


def own_stack_id(event_stack_id: str) -> str:
    """The stack the function lives in; ``event_stack_id`` when ``STACK_ID`` is unset (an older template, tests)."""
    return os.environ.get(contract.ENV_STACK_ID) or event_stack_id


def wait_rule_name(event_stack_id: str) -> str:
    """The long wait's poll rule, beside the function: named after its own stack (:func:`own_stack_id`)."""
    return contract.wait_rule_name(own_stack_id(event_stack_id))


def served_stack() -> str | None:
    """``SERVED_STACK`` or ``STACK_ID``: a stack id or a ``.../stack/<name>/*`` pattern; None when neither is set."""
    return os.environ.get(contract.ENV_SERVED_STACK) or os.environ.get(contract.ENV_STACK_ID) or None


def serves(served: str, stack_id: str) -> bool:
    """Whether a request from ``stack_id`` is this function's to answer."""
    if served.endswith(ANY_STACK_OF_NAME):
        prefix = served[: -len("*")]  # ".../stack/<name>/": the name whole, then any GUID
        guid = stack_id[len(prefix) :]
        return stack_id.startswith(prefix) and bool(guid) and "/" not in guid
    return stack_id == served


def stack_to_read(served: str) -> str:
    """What ``StackName`` to read the served stack by: its id, or its name (CloudFormation finds the live stack of
    that name)."""
    return naming.stack_name(served) if served.endswith(ANY_STACK_OF_NAME) else served


def served_stack_pattern(partition: str, region: str, account: str, stack_name: str) -> str:
    """The ``SERVED_STACK`` value (and IAM resource) for the live stack called ``stack_name``."""
    return f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}{ANY_STACK_OF_NAME}"
