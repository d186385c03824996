"""Where moto's Lambda differs from Lambda in a way the custom-resource protocol depends on, made faithful.

Why here: crhelper's polling adds a resource-policy statement per poll rule. Real Lambda refuses a second statement
with the same id (409 ResourceConflictException, "The statement id (...) provided already exists"); a provider that
names statements deterministically relies on that answer to survive duplicate delivery. moto 5.2.5 appends the
duplicate instead, so one RemovePermission later a stale statement survives and a leftovers check would blame the
provider for moto's behaviour. The emulator applies this when it builds its moto application, so every user of the
endpoint sees Lambda's answer.

Lambda also caps a function's resource-based policy at 20 KB (a fixed quota): AddPermission that would make the
policy document longer than 20,480 bytes is refused with 400 PolicyLengthExceededException ("The final policy size
(...) is bigger than the limit (20480)."), and the policy is left as it was. moto 5.2.5 accepts any number of
statements, so a provider that adds one statement per poll rule and never cleans up would pass here and fail in AWS.
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy

#: Lambda's quota for a function's resource-based policy, in bytes of the policy document (not adjustable).
POLICY_SIZE_LIMIT = 20_480


class StatementIdConflict(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            f"or remove the existing statement.",
        )


class PolicyLengthExceeded(LambdaClientError):
    code = 400

    def __init__(self, size: int) -> None:
        super().__init__(
            "PolicyLengthExceededException",
            f"The final policy size ({size}) is bigger than the limit ({POLICY_SIZE_LIMIT}).",
        )


def policy_size(policy: Policy) -> int:
    """Bytes of the policy document as GetPolicy returns it (its ``Policy`` string)."""
    document = {"Version": "2012-10-17", "Id": "default", "Statement": policy.statements}
    return len(json.dumps(document).encode("utf-8"))


def apply() -> None:
    """Idempotent: patch moto's Lambda resource policy to refuse duplicate statement ids and oversized policies."""
    if getattr(Policy.add_statement, "_emulator_faithful", False):
        return
    original = Policy.add_statement

    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        sid = json.loads(raw).get("StatementId")
        if sid and any(statement.get("Sid") == sid for statement in self.statements):
            raise StatementIdConflict(sid)
        revision, count = self.revision, len(self.statements)
        statement, new_revision = original(self, raw, qualifier)
        size = policy_size(self)
        if size > POLICY_SIZE_LIMIT:
            del self.statements[count:]  # refused: the policy and its revision stay as they were
            self.revision = revision
            raise PolicyLengthExceeded(size)
        return statement, new_revision

    add_statement._emulator_faithful = True  # type: ignore[attr-defined]
    Policy.add_statement = add_statement  # type: ignore[method-assign]
