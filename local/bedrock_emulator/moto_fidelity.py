"""Where moto's Lambda differs from Lambda in a way the custom-resource protocol depends on, made faithful.

Why here: crhelper's polling adds a resource-policy statement per poll rule. Real Lambda refuses a second statement
with the same id (409 ResourceConflictException, "The statement id (...) provided already exists"); a provider that
names statements deterministically relies on that answer to survive duplicate delivery. moto 5.2.5 appends the
duplicate instead, so one RemovePermission later a stale statement survives and a leftovers check would blame the
provider for moto's behaviour. The emulator applies this when it builds its moto application, so every user of the
endpoint sees Lambda's answer.
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy


class StatementIdConflict(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            f"or remove the existing statement.",
        )


def apply() -> None:
    """Idempotent: patch moto's Lambda resource policy to refuse duplicate statement ids."""
    if getattr(Policy.add_statement, "_emulator_faithful", False):
        return
    original = Policy.add_statement

    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        sid = json.loads(raw).get("StatementId")
        if sid and any(statement.get("Sid") == sid for statement in self.statements):
            raise StatementIdConflict(sid)
        return original(self, raw, qualifier)

    add_statement._emulator_faithful = True  # type: ignore[attr-defined]
    Policy.add_statement = add_statement  # type: ignore[method-assign]
