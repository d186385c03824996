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

import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import aws_iam as iam
from bedrock_customization_provider import naming
from constructs import Construct

from .lookups import stack_of
from .references import bedrock_arn
from .service_role import create_service_role

#: Construct id (under the provider) of the stack's shared job roles.
JOB_ROLES_ID = "JobRoles"


class JobRoles(Construct):
    """The stack's created job roles, one per distinct access (use :meth:`of`).

    The roles are also kept on the Python side, by the access as written (before resolving) and by its digest, so
    the jobs of a sweep, which name the same objects, find theirs without a round trip to the jsii kernel.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        #: digest of the resolved access -> the role and its ARN (a token, the same string for every read)
        self._by_digest: dict[str, tuple[iam.Role, str]] = {}
        #: the access as written -> the same
        self._by_access: dict[str, tuple[iam.Role, str]] = {}

    @classmethod
    def of(cls, provider: Any) -> JobRoles:
        """``provider``: the stack's :class:`~.stack_provider.StackProvider`."""
        return provider.shared(cls, JOB_ROLES_ID)  # type: ignore[no-any-return]

    def role_for(self, access: Mapping[str, Any], *, grant: Callable[[iam.Role], None]) -> tuple[iam.Role, str]:
        """The role for ``access`` and its ARN, the role created with ``grant`` applied on first use. ``access`` is
        resolved to compare (tokens of the same resource compare equal), once per distinct written form."""
        try:
            written: str | None = json.dumps(access, sort_keys=True)
        except TypeError:  # something that is not JSON as written: resolve it every time
            written = None
        found = self._by_access.get(written) if written is not None else None
        if found is None:
            digest = naming.properties_digest({"access": stack_of(self).resolve(dict(access))})
            found = self._by_digest.get(digest)
            if found is None:
                role = self._create(f"Role{digest}", grant)
                found = self._by_digest[digest] = (role, role.role_arn)
            if written is not None:
                self._by_access[written] = found
        return found

    def _create(self, id: str, grant: Callable[[iam.Role], None]) -> iam.Role:
        role = create_service_role(
            self,
            id,
            # Bedrock may assume it only for this account's customization jobs
            source_arn=bedrock_arn(self, "model-customization-job"),
            description="Service role Amazon Bedrock assumes to run the stack's customization jobs with this access",
        )
        grant(role)
        return role
