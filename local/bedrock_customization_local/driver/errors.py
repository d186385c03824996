"""The driver's exceptions, in one place so callers can catch the family (:class:`DriverError`) or one kind."""

from __future__ import annotations


class DriverError(Exception):
    """Anything the driver itself cannot do (as opposed to a resource that failed)."""


class AssemblyError(DriverError):
    """The cloud assembly is missing, malformed, or lacks something the driver needs (a stack, an asset)."""


class IntrinsicError(DriverError):
    """An intrinsic function or reference the driver cannot resolve to a local value."""


class InvocationError(DriverError):
    """The Lambda-like worker could not run the handler (it kept crashing, timed out, or the import failed)."""


class StackOperationError(DriverError):
    """A stack operation ended in a failed state; ``status`` is CloudFormation's word for it."""

    def __init__(self, status: str, failures: list[tuple[str, str]]) -> None:
        self.status = status
        self.failures = failures
        detail = "; ".join(f"{logical_id}: {reason}" for logical_id, reason in failures) or "no resource reported why"
        super().__init__(f"{status}: {detail}")


class LeftoversError(DriverError):
    """Something outlived the stack: a poll rule, a Lambda permission, a running job, an unowned model."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("left behind: " + "; ".join(problems))
