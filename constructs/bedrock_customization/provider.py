"""The one provider function per stack behind every customization job and custom model of that stack.

Constructs call :meth:`BedrockCustomizationProvider.of` and get the stack's single instance, created on first use,
then ask it for the permissions their resource needs (pass a role, use a key, read a model package). Its own role is
least privilege: Bedrock actions on this account's (and region's) jobs and custom models (plus the foundation models
and inference profiles a job names, and ListModelCustomizationJobs, which supports no resource scoping), EventBridge
actions on the rules crhelper creates to poll for this stack only (named with :func:`contract.poll_rule_prefix`:
the prefix and the stack's GUID), and Add/RemovePermission on itself only, for EventBridge only.
``tests/cdk/test_provider_permissions.py`` derives the Bedrock, EventBridge and Lambda operations from the provider's
source and checks each is allowed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from bedrock_customization_provider import contract
from constructs import Construct, IConstruct, IDependable

from .asset import provider_code
from .jsii_interfaces import implements
from .lookups import add_statement, default_policy, stack_of
from .nag import acknowledge_wildcard_resources, acknowledge_wildcards
from .references import ResolvedKey, bedrock_arn
from .service_role import grant_key_use
from .stack_provider import PROVIDER_ID, StackProvider, provider_of

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

    from .provider_stack import BedrockCustomizationProviderStack

__all__ = ["PROVIDER_ID", "BedrockCustomizationProvider"]
#: Name of the provider role's inline policy: the permissions every provider needs, whatever its stack declares.
PROVIDER_POLICY_NAME = "Provider"
#: Construct id (under the provider) of what every long wait of the stack shares: the two rules that invoke it.
LONG_WAIT_TRIGGERS_ID = "LongWaitTriggers"
#: Each invocation only starts, polls once, or stops/deletes; none comes close to this.
FUNCTION_TIMEOUT = Duration.minutes(5)
#: The newest Python runtime Lambda offers (the provider needs 3.11 or later; cdk-nag's L1 asks for the newest): the
#: name of a ``lambda.Runtime`` (aws-cdk's Lambda module, 0.2 s to import, is imported only to build a provider: a
#: stack served by a provider stack never loads it).
RUNTIME = "PYTHON_3_14"
#: Lambda drops an event older than this unanswered: CloudFormation waits at most an hour (ServiceTimeout) anyway.
MAX_EVENT_AGE = Duration.hours(1)


class BedrockCustomizationProvider(StackProvider):
    """The stack's provider function (use :meth:`of`, not the constructor), or, with :meth:`from_provider_stack`,
    the provider of a stack deployed on its own.

    Example::

        provider = BedrockCustomizationProvider.of(stack)
        provider.service_token  # the function ARN custom resources point at
    """

    def __init__(self, scope: Construct, id: str, *, served_stack_name: str | None = None) -> None:
        """``served_stack_name``: serve the live stack of that name (a plain CloudFormation stack, which imports the
        service token) instead of this one; :class:`~.provider_stack.BedrockCustomizationProviderStack` sets it."""
        from aws_cdk import aws_lambda as lambda_
        from aws_cdk import aws_logs as logs

        super().__init__(scope, id)
        stack = stack_of(scope)
        #: What the function serves (``SERVED_STACK``), as an IAM resource too: this stack's id, or
        #: ``arn:...:stack/<name>/*`` (``served_stack.py`` in the provider says why a name).
        self.served_stack_arn = (
            stack.stack_id
            if served_stack_name is None
            else stack.format_arn(service="cloudformation", resource="stack", resource_name=f"{served_stack_name}/*")
        )
        served_environment = {} if served_stack_name is None else {contract.ENV_SERVED_STACK: self.served_stack_arn}
        #: Why a served stack named, not pinned, ends in ``*`` (cdk-nag's IAM5); None when it is this stack.
        self._served_wildcard = (
            None
            if served_stack_name is None
            else "The served plain CloudFormation stack by its name: its id (the GUID after the name) does not exist "
            "until that stack is created, after this provider; a recreated stack of that name is the same user's."
        )
        self._passed_roles: set[str] = set()
        self.long_wait_permissions: list[lambda_.CfnPermission] = []
        self._keys: set[str] = set()
        self._long_wait_triggers: Construct | None = None

        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        # The statements every provider needs go into the role's inline policy, written in one round trip to the jsii
        # kernel (each statement added to a policy is two); what a resource later asks for (PassRole, a key, the
        # long wait's) goes into its default policy.
        fixed = _Statements()
        allow = fixed.allow
        job_arns = bedrock_arn(self, "model-customization-job")
        model_arns = bedrock_arn(self, "custom-model")
        foundation_models = bedrock_arn(self, "foundation-model", account="")
        inference_profiles = bedrock_arn(self, "inference-profile")
        allow(
            # CreateModelCustomizationJob is authorized against the job and the resulting custom model, plus the
            # models it names: the base model (a foundation model, or one of this account's custom models when
            # customizing iteratively) and a distillation teacher (a foundation model or an inference profile).
            ["bedrock:CreateModelCustomizationJob"],
            [job_arns, model_arns, foundation_models, inference_profiles],
            wildcards="Bedrock resources of this account and region only, by type: the job and model ARNs carry names "
            "chosen at deploy time (one provider serves every job of the stack), and a job names any foundation model "
            "or inference profile as its base or teacher; the provider checks ownership itself (owner digest).",
        )
        allow(
            ["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"],
            [job_arns],
            wildcards="This account's customization jobs: names are chosen at deploy time, one provider per stack.",
        )
        # List* actions support no resource-level permissions (Service Authorization Reference): Resource "*".
        # The provider lists its own recent jobs and models to find what a lost, cancelled or failed request started.
        allow(
            ["bedrock:ListModelCustomizationJobs", "bedrock:ListCustomModels"],
            ["*"],
            wildcards="Bedrock List* actions support no resource-level permissions (Service Authorization Reference).",
        )
        # A model that cannot be deleted: the reason names the throughputs and deployments that still use it.
        allow(["bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModelDeployments"], ["*"])
        allow(
            ["bedrock:CreateCustomModel", "bedrock:GetCustomModel", "bedrock:DeleteCustomModel"],
            [model_arns],
            wildcards="This account's custom models: their names are chosen at deploy time, one provider per stack.",
        )
        # Deployments, throughputs and model imports (issue 12): each kind's own ARNs in this account and region.
        deployments = bedrock_arn(self, "custom-model-deployment")
        throughputs = bedrock_arn(self, "provisioned-model")
        import_jobs = bedrock_arn(self, "model-import-job")
        imported_models = bedrock_arn(self, "imported-model")
        serving = (
            "This account's deployments, throughputs, import jobs and imported models: names are chosen at deploy "
        )
        serving += "time, one provider per stack; the provider checks ownership itself (its tag)."
        allow(
            ["bedrock:CreateCustomModelDeployment", "bedrock:UpdateCustomModelDeployment"],
            [deployments, model_arns],
            wildcards=serving,
        )
        allow(
            ["bedrock:GetCustomModelDeployment", "bedrock:DeleteCustomModelDeployment"],
            [deployments],
            wildcards=serving,
        )
        # a throughput serves a foundation model or a custom model, and may move between them (Update)
        allow(
            ["bedrock:CreateProvisionedModelThroughput", "bedrock:UpdateProvisionedModelThroughput"],
            [throughputs, model_arns, foundation_models],
            wildcards=serving,
        )
        allow(
            ["bedrock:GetProvisionedModelThroughput", "bedrock:DeleteProvisionedModelThroughput"],
            [throughputs],
            wildcards=serving,
        )
        allow(["bedrock:CreateModelImportJob"], [import_jobs, imported_models], wildcards=serving)
        allow(["bedrock:GetModelImportJob"], [import_jobs], wildcards=serving)
        allow(["bedrock:DeleteImportedModel"], [imported_models], wildcards=serving)
        allow(
            ["bedrock:ListModelImportJobs"],
            ["*"],
            wildcards="Bedrock List* actions support no resource-level permissions (Service Authorization Reference).",
        )
        tagged = [deployments, throughputs, import_jobs, imported_models]
        # A custom model's tags carry the digest of the properties it was created from (Update reads it); so do the
        # tags of deployments, throughputs, import jobs and imported models, with their owner.
        allow(["bedrock:ListTagsForResource"], [model_arns, *tagged], wildcards=serving)
        # TagResource also authorizes creating a job or model with tags (jobTags, customModelTags, modelTags).
        allow(["bedrock:TagResource", "bedrock:UntagResource"], [job_arns, model_arns, *tagged], wildcards=serving)
        # crhelper's poll rules carry the stack's GUID (contract.poll_rule_prefix): this stack's rules, no other's.
        own_rules = Fn.join("", [contract.POLL_RULE_PREFIX, Fn.select(2, Fn.split("/", stack.stack_id)), "-*"])
        rules = stack.format_arn(service="events", resource="rule", resource_name=own_rules)
        allow(
            ["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
            [rules],
            wildcards="crhelper's poll rules of this stack only (prefix and stack GUID); one rule per request, so its "
            "name ends in the request's digest, unknown at deploy time.",
        )
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Bedrock customization custom resource provider",
            inline_policies={PROVIDER_POLICY_NAME: fixed.document()},
        )
        fixed.acknowledge_wildcards(self.role)
        from .poll_key import add_poll_key

        #: Encrypts the response URL in crhelper's poll inputs; only this role may use it (poll_key.py says why).
        self.poll_key = add_poll_key(self, self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            description="CloudFormation provider for Amazon Bedrock customization jobs and custom models",
            runtime=getattr(lambda_.Runtime, RUNTIME),
            architecture=lambda_.Architecture.ARM_64,
            handler=contract.HANDLER,
            code=provider_code(),
            role=self.role,
            timeout=FUNCTION_TIMEOUT,
            memory_size=256,
            log_group=self.log_group,
            environment={
                "AWS_DATA_PATH": f"/var/task/{contract.BOTOCORE_DATA_DIR}",
                contract.ENV_POLL_INTERVAL_MINUTES: str(contract.POLL_INTERVAL_MINUTES),
                # its own stack (its GUID names its rules) and, unless SERVED_STACK says otherwise, the only stack
                # it serves: requests naming another are dropped, and the long wait reads this one
                contract.ENV_STACK_ID: stack.stack_id,
                **served_environment,
                # the key the response URL in its poll inputs is encrypted with
                contract.ENV_POLL_KEY_ARN: self.poll_key.key_arn,
            },
        )
        self._service_token = self.function.function_arn  # read once: every resource of the stack names it
        #: Answers FAILED for a request the function dropped (see :meth:`_add_on_failure`).
        self.on_failure = self._add_on_failure(rules, served_environment)
        # crhelper lets EventBridge invoke the function for each poll. A statement naming the function cannot live in
        # the role's default policy (the function depends on that policy: a cycle), so it gets its own policy.
        self.self_permissions = iam.Policy(
            self,
            "SelfPermissions",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:AddPermission", "lambda:RemovePermission"],
                    resources=[self._service_token],
                    # Only statements for EventBridge (the poll rules): the role cannot open the function to anyone
                    # else. Both actions support lambda:Principal (Service Authorization Reference, AWS Lambda).
                    conditions={"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
                )
            ],
        )

    def _add_on_failure(self, poll_rules_arn: str, served_environment: dict[str, str]) -> lambda_.Function:
        """The function's on-failure destination: a second function (same asset) that answers FAILED for a request
        the provider dropped after every attempt failed (crash, out of memory, import error, too long in the queue),
        so CloudFormation does not wait out the resource's ServiceTimeout. It answers only a request CloudFormation
        still waits for and no poll will answer (``on_failure.py`` says how it knows); a Create as CREATE_UNCERTAIN, so
        the rollback's Delete finds and removes what the request may have started.

        A second function, not the provider itself: a destination that fails must not feed records of records back
        into the function that failed. Its role may read this stack's resources' status, see whether a request's poll
        rule has a target, and write its own log, nothing else; Lambda delivers the record with the provider's role,
        which may invoke this function only.
        """
        from aws_cdk import aws_lambda as lambda_
        from aws_cdk import aws_logs as logs

        stack = Stack.of(self)
        log_group = logs.LogGroup(
            self, "OnFailureLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        statements = [
            iam.PolicyStatement(actions=["cloudformation:DescribeStackResource"], resources=[self.served_stack_arn]),
            iam.PolicyStatement(actions=["events:ListTargetsByRule"], resources=[poll_rules_arn]),
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
        ]
        role = iam.Role(
            self,
            "OnFailureRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Bedrock customization provider's on-failure destination",
            # inline: the permissions exist as soon as the role does, before the function can run
            inline_policies={"OnFailure": iam.PolicyDocument(statements=statements)},
        )
        wildcards = {
            "crhelper's poll rules of this stack only (prefix and stack GUID), read-only: one rule per request, named "
            "after the request's digest, unknown at deploy time.": [poll_rules_arn]
        }
        if self._served_wildcard is not None:
            wildcards[self._served_wildcard] = [self.served_stack_arn]
        acknowledge_wildcards(role, wildcards, inline=True)
        function = lambda_.Function(
            self,
            "OnFailure",
            description="Answers FAILED for a CloudFormation request the Bedrock customization provider dropped",
            runtime=getattr(lambda_.Runtime, RUNTIME),
            architecture=lambda_.Architecture.ARM_64,
            handler=contract.ON_FAILURE_HANDLER,
            code=provider_code(),
            role=role,
            timeout=Duration.minutes(2),  # two AWS reads and one bounded response PUT
            memory_size=256,
            log_group=log_group,
            environment={contract.ENV_STACK_ID: stack.stack_id, **served_environment},
        )
        # Lambda delivers the record with the provider's role: it may invoke this function only (not its versions).
        self._allow(["lambda:InvokeFunction"], [function.function_arn])
        lambda_.EventInvokeConfig(
            self,
            "AsyncInvoke",
            function=self.function,
            on_failure=_FunctionDestination(function.function_arn),
            retry_attempts=2,  # Lambda's default: a crash may be passing, and every request is idempotent
            max_event_age=MAX_EVENT_AGE,
        )
        return function

    @classmethod
    def of(cls, scope: IConstruct) -> StackProvider:
        """The provider of ``scope``'s stack: the one :meth:`from_provider_stack` imported, or the stack's own,
        created on first use (then found on the Python side: no round trip)."""
        return provider_of(scope)

    @staticmethod
    def from_provider_stack(
        stack: Stack,
        *,
        export_name: str | None = None,
        service_role_name_prefix: str | None = None,
        provider_stack: BedrockCustomizationProviderStack | None = None,
    ) -> StackProvider:
        """Serve ``stack``'s resources with the provider of a stack deployed on its own (a
        :class:`~.provider_stack.BedrockCustomizationProviderStack` serving ``stack``'s name), imported by its
        exported service token, instead of building one in ``stack``: no function, role or rule in ``stack``, and
        its synth skips the provider (docs/provider-stack.md). Call it before declaring any job or model in
        ``stack``.

        ``export_name``: the provider stack's export (default ``<stack name>-BedrockCustomizationServiceToken``, the
        provider stack's default). ``service_role_name_prefix``: the role names the provider stack may pass to
        Bedrock (default ``<stack name>-``, its default: the roles CloudFormation names in ``stack``).
        ``provider_stack``: the provider stack, when it is in the same app: both come from it, ``stack`` depends on it
        (deployed after it), and the keys and model packages it lists need no warning.

        Example::

            stack = Stack(app, "MlJobs", stack_name="ml-jobs")
            BedrockCustomizationProvider.from_provider_stack(stack)
            CustomizationJob(stack, "FineTune", ...)
        """
        from .imported_provider import ImportedProvider

        return ImportedProvider.of_stack(
            stack,
            export_name=export_name,
            service_role_name_prefix=service_role_name_prefix,
            provider_stack=provider_stack,
        )

    @property
    def service_token(self) -> str:
        return self._service_token

    def long_wait_triggers(self) -> Construct:
        """What invokes the provider while long waits wait, created once per stack on first use (docs/long-wait.md).

        Two rules: Bedrock's job state-change events for ended jobs (seconds after the end, best effort), and a
        one-minute poll, the fallback for lost events and the only way to see a custom model end; the poll rule has
        a fixed name per stack (``bedrock-cr-wait-<stack GUID>``) and starts DISABLED: a long wait's Create enables
        it, the provider disables it when nothing waits. Each rule has one Lambda permission: the function's resource
        policy does not grow with the number of jobs. The provider may read and signal this stack only, and enable
        or disable this poll rule only.
        """
        if self._long_wait_triggers is not None:
            return self._long_wait_triggers
        from aws_cdk import aws_events as events
        from aws_cdk import aws_events_targets as targets
        from aws_cdk import aws_lambda as lambda_

        stack = stack_of(self)
        triggers = Construct(self, LONG_WAIT_TRIGGERS_ID)
        self._long_wait_triggers = triggers
        target = targets.LambdaFunction(self.function)
        events.Rule(
            triggers,
            "JobEvents",
            description="Bedrock customization jobs that ended: the provider signals the stack's long waits",
            event_pattern=events.EventPattern(
                source=[contract.JOB_EVENT_SOURCE],
                detail_type=[contract.JOB_EVENT_DETAIL_TYPE],
                detail={"jobStatus": list(contract.TERMINAL_JOB_STATUSES)},
            ),
            targets=[target],
        )
        poll_rule_name = Fn.join("", [contract.WAIT_RULE_PREFIX, Fn.select(2, Fn.split("/", stack.stack_id))])
        events.Rule(
            triggers,
            "Poll",
            rule_name=poll_rule_name,
            description="Polls the stack's long waits while any waits (enabled and disabled by the provider)",
            schedule=events.Schedule.rate(Duration.minutes(contract.POLL_INTERVAL_MINUTES)),
            enabled=False,
            targets=[target],
        )
        #: The rules' Lambda permissions (children of the function): a long wait's Create must come after them.
        self.long_wait_permissions = [c for c in self.function.node.children if isinstance(c, lambda_.CfnPermission)]
        self._allow(
            [
                "cloudformation:ListStackResources",
                "cloudformation:DescribeStackResource",
                "cloudformation:DescribeStacks",
                "cloudformation:SignalResource",
            ],
            [self.served_stack_arn],
            wildcards=self._served_wildcard,
        )
        # The rule's ARN from its name, not GetAtt: the function's policy cannot depend on a rule targeting it.
        poll_rule_arn = stack.format_arn(service="events", resource="rule", resource_name=poll_rule_name)
        self._allow(["events:EnableRule", "events:DisableRule"], [poll_rule_arn])
        return triggers

    def own_permissions(self) -> list[IDependable]:
        """What a resource served by this provider is created after: the provider's self-permissions and its role's
        policy (the function already depends on the latter; a resource must say so too)."""
        provider_policy = default_policy(self.role)
        return [self.self_permissions] if provider_policy is None else [self.self_permissions, provider_policy]

    def wait_start_dependencies(self) -> list[IDependable]:
        """The long wait's rules and their Lambda permissions: the WaitStart's Create enables the poll rule."""
        return [self.long_wait_triggers(), *self.long_wait_permissions]

    def grant_pass_role(self, role_arn: str, requester: IConstruct | None = None) -> None:
        """Let the provider hand ``role_arn`` to Bedrock (and to nothing else)."""
        if role_arn in self._passed_roles:
            return
        self._passed_roles.add(role_arn)
        add_statement(
            self.role,
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            ),
        )

    def grant_key_use(self, key: ResolvedKey, requester: IConstruct | None = None) -> None:
        """Bedrock checks the caller's access to a customer-managed key when a job or model names it."""
        if key.resource_arn in self._keys:
            return
        self._keys.add(key.resource_arn)
        grant_key_use(self.role, self, key)

    def grant_model_package_read(self, model_package_arn: str, requester: IConstruct | None = None) -> None:
        """CreateCustomModel from a SageMaker AI model package: the caller needs ``sagemaker:DescribeModelPackage``
        and access to the package's data on the package. Bedrock's API reference (ModelPackageArnDataSource) names
        the latter ``sagemaker:AccessModelPackageData``; the Service Authorization Reference, which IAM and cfn-lint
        (W3037) follow, defines it as ``sagemaker:AccessModelPackage``, so that is what is granted."""
        add_statement(
            self.role,
            iam.PolicyStatement(
                actions=["sagemaker:DescribeModelPackage", "sagemaker:AccessModelPackage"],
                resources=[model_package_arn],
            ),
        )

    def grant(self, statement: iam.PolicyStatement) -> None:
        add_statement(self.role, statement)

    def _allow(self, actions: list[str], resources: list[str], *, wildcards: str | None = None) -> None:
        """``wildcards``: why the ``*`` in ``resources`` is needed (acknowledged for cdk-nag's IAM5, exactly those)."""
        add_statement(self.role, iam.PolicyStatement(actions=actions, resources=resources))
        if wildcards is not None:
            acknowledge_wildcard_resources(self.role, resources, wildcards)


class _Statements:
    """Allow statements collected in Python, then written as one policy document (one round trip to the jsii
    kernel) and their cdk-nag IAM5 wildcards acknowledged in one more."""

    def __init__(self) -> None:
        self._statements: list[dict[str, Any]] = []
        self._wildcards: dict[str, list[str]] = {}  # reason -> the resources it is about

    def allow(self, actions: list[str], resources: list[str], *, wildcards: str | None = None) -> None:
        """``wildcards``: why the ``*`` in ``resources`` is needed (acknowledged for cdk-nag's IAM5, exactly those)."""
        self._statements.append(
            {
                "Effect": "Allow",
                "Action": actions[0] if len(actions) == 1 else actions,
                "Resource": resources[0] if len(resources) == 1 else resources,
            }
        )
        if wildcards is not None:
            self._wildcards.setdefault(wildcards, []).extend(resources)

    def document(self) -> iam.PolicyDocument:
        return iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": self._statements})

    def acknowledge_wildcards(self, role: iam.IRole) -> None:
        acknowledge_wildcards(role, self._wildcards, inline=True)


@implements("aws_cdk.aws_lambda.IDestination")
class _FunctionDestination:
    """An on-failure destination by function ARN, granting nothing itself: aws-cdk's ``LambdaDestination`` grants
    the role ``lambda:InvokeFunction`` on every version too (``arn:*``); the provider grants the function only."""

    def __init__(self, function_arn: str) -> None:
        self._arn = function_arn

    def bind(
        self, _scope: Construct, _fn: lambda_.IFunction, *, type: lambda_.DestinationType
    ) -> lambda_.DestinationConfig:
        from aws_cdk import aws_lambda as lambda_

        return lambda_.DestinationConfig(destination=self._arn)
