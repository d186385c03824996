"""Service roles shared by the jobs of a stack that have exactly the same access.

A role per job costs two resources (the role and its policy) and CloudFormation allows 500 per stack; a sweep of
hyperparameters or a model per tenant repeats the same data again and again. So the role a ``CustomizationJob``
creates is one per distinct *access*: the objects it reads, the prefix it writes, the KMS key, the VPC and the grader.
Two jobs share a role only when all of these are the same, so no job gains access to data another reads or writes;
the role's logical id is a digest of that access (not the first job's path), so adding, removing or reordering jobs
never replaces a role another job uses.

What a user adds to ``job.role`` is added for every job sharing it: pass ``role=`` to give one job more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from bedrock_customization_provider import naming
from constructs import Construct

from .service_role import create_service_role

#: Construct id (under the provider) of the stack's shared job roles.
JOB_ROLES_ID = "JobRoles"


class JobRoles(Construct):
    """The stack's created job roles, one per distinct access (use :meth:`of`)."""

    @classmethod
    def of(cls, provider: Construct) -> JobRoles:
        existing = provider.node.try_find_child(JOB_ROLES_ID)
        return existing if existing is not None else cls(provider, JOB_ROLES_ID)  # type: ignore[return-value]

    def role_for(self, access: Mapping[str, Any], *, source_arn: str, grant: Callable[[iam.Role], None]) -> iam.Role:
        """The role for ``access`` (resolved to compare; tokens of the same resource compare equal), created with
        ``grant`` applied on first use."""
        digest = naming.properties_digest({"access": Stack.of(self).resolve(dict(access))})
        id = f"Role{digest}"
        existing = self.node.try_find_child(id)
        if existing is not None:
            return existing  # type: ignore[return-value]
        role = create_service_role(
            self,
            id,
            source_arn=source_arn,
            description="Service role Amazon Bedrock assumes to run the stack's customization jobs with this access",
        )
        grant(role)
        return role
