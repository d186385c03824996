"""``CustomizationJob``: an Amazon Bedrock model customization job (and the custom model it produces) as a stack
resource, rendered as a ``Custom::BedrockModelCustomizationJob`` whose properties mirror
``CreateModelCustomizationJob``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import jsii
from aws_cdk import CustomResource, Duration, ITaggable, RemovalPolicy, TagManager
from aws_cdk import aws_iam as iam
from bedrock_customization_provider import contract
from constructs import Construct

from .arguments import check_job_arguments
from .custom_model import CustomModel, registered_model
from .errors import AttributeUnavailableError
from .fixed_names import check_unique, register
from .invoke import grant_model_invoke
from .job_request import HyperParameterValue, JobInputs, JobRequest
from .job_rules import check_job_rules
from .long_wait import LongWait, add_waited_resource, check_wait
from .lookups import bucket_facts
from .models import CustomModelReference
from .options import CustomizationType, DistillationConfig, InvocationLogsConfig, RftConfig
from .pattern_words import BASE_MODEL_FORMS
from .references import KeyInput, ModelInput, RoleInput, VpcConfig, model_identifier, resolve_key, role_arn
from .resource_rules import (
    DEFAULT_SERVICE_TIMEOUT,
    check_removal_policy,
    check_service_timeout,
)
from .s3_location import ResolvedS3, S3Input
from .service_role import (
    grant_invoke,
    grant_key_use,
    grant_s3_read,
    grant_s3_write,
    grant_vpc,
)
from .shared_roles import JobRoles
from .stack_provider import StackProvider, provider_of
from .tagging import attach_tag_manager
from .validation import ProblemCollector
from .wait_mode import WaitMode

if TYPE_CHECKING:  # imported when a rule is made (on_state_change): a job that makes none does not load it
    from aws_cdk import aws_events as events

OPERATION = "CreateModelCustomizationJob"
#: API member -> the argument that sets it, so a shape problem names what the user actually typed.
_ARGUMENTS = {
    "jobName": "job_name",
    "customModelName": "custom_model_name",
    "roleArn": "role",
    "baseModelIdentifier": "base_model",
    "customizationType": "customization_type",
    "customModelKmsKeyId": "custom_model_kms_key",
    "jobTags": "job_tags",
    "customModelTags": "custom_model_tags",
    "trainingDataConfig": "training_data or invocation_logs",
    "trainingDataConfig.s3Uri": "training_data",
    "trainingDataConfig.invocationLogsConfig": "invocation_logs",
    "validationDataConfig": "validation_data",
    "outputDataConfig": "output_data",
    "hyperParameters": "hyper_parameters",
    "vpcConfig": "vpc_config",
    "customizationConfig.distillationConfig": "distillation",
    "customizationConfig.rftConfig": "reinforcement_fine_tuning",
}


def _check_base_model(problems: ProblemCollector, base_model: ModelInput) -> None:
    """Refuse a ``CustomModel`` (registered from model artifacts) as the base of a job, given as the construct or as
    its ``model_arn`` / ``model_name``.

    Bedrock's ``baseModelIdentifier`` takes a foundation model, a custom model ARN of the form
    ``custom-model/<base model id>/<id>`` (what a customization job produces), or a custom model's name; an imported
    model's ARN (``custom-model/imported/<id>``) matches none of its ARN forms, and Bedrock documents further
    customization (iterative fine-tuning) only for models it customized itself; models registered with
    CreateCustomModel are documented for inference only. Its name would pass the pattern and fail at deploy instead.
    """
    model = None
    if isinstance(base_model, CustomModel):
        model = base_model
    elif isinstance(base_model, str | CustomModelReference):  # Python objects: no round trip to the jsii kernel
        model = registered_model(model_identifier(base_model))
    if model is not None:
        problems.add(
            f"base_model is the CustomModel {model.node.path}, a model registered from model artifacts: Bedrock can "
            f"serve it but not customize it further. Use {BASE_MODEL_FORMS}"
        )


@jsii.implements(ITaggable)
class CustomizationJob(Construct):
    """An Amazon Bedrock model customization job; the stack deploys when the job has completed.

    The job's output model is available as :attr:`model` (an ``ICustomModel`` / ``aws_bedrock.IModel``). Deleting the
    resource stops the job if it still runs and, unless ``removal_policy`` is ``RETAIN``, deletes the custom model.

    Example::

        job = CustomizationJob(
            stack, "Job",
            base_model="amazon.nova-micro-v1:0:128k",
            training_data=S3Location(bucket, "train/data.jsonl"),
            validation_data=[S3Location(bucket, "validation/data.jsonl")],
            output_data=S3Location(bucket, "output/"),
            hyper_parameters={"epochCount": 2, "learningRate": 0.00001},
            job_tags={"project": "support-bot"},
        )
        CfnOutput(stack, "ModelArn", value=job.custom_model_arn)

    Args (keyword-only):
        base_model: model to customize: a model id/ARN string, an ``aws_bedrock.IModel`` (e.g. ``FoundationModel``)
            or another job's ``model`` / a ``CustomModel`` for iterative customization.
        output_data: where Bedrock writes metrics and outputs: ``S3Location`` or ``s3://`` URI.
        training_data: the training dataset: ``S3Location`` or ``s3://`` URI. Exactly one of ``training_data`` and
            ``invocation_logs`` is required.
        invocation_logs: train on Bedrock's model invocation logs (``InvocationLogsConfig``), as distillation and
            reinforcement fine-tuning jobs can.
        customization_type: default: DISTILLATION when ``distillation`` is set, REINFORCEMENT_FINE_TUNING when
            ``reinforcement_fine_tuning`` is set, else FINE_TUNING.
        job_name: default: generated by the provider from the stack and resource (unique and idempotent). A fixed
            name must change whenever another property changes (the replacement job is created before the old
            one is deleted).
        custom_model_name: default: generated like ``job_name``; the same rule applies.
        validation_data: 1 to 10 validation datasets. Default: none.
        hyper_parameters: name -> value; numbers and booleans are rendered as the strings Bedrock expects.
        distillation: the teacher of a DISTILLATION job (required for it, rejected otherwise).
        reinforcement_fine_tuning: grader and hyperparameters of a REINFORCEMENT_FINE_TUNING job (required for
            it, rejected otherwise).
        custom_model_kms_key: key encrypting the custom model: ``kms.IKey``, key ARN/id or alias. Default: AWS owned.
        job_tags / custom_model_tags: at most 50 each; changed in place without retraining.
        vpc_config: run the job in a VPC (``VpcConfig``). Default: no VPC.
        role: service role Bedrock assumes: ``iam.IRole`` or role ARN, used as given. Default: a least-privilege
            role for exactly this job's data, key, VPC and grader (:attr:`role`), shared by the stack's jobs that
            have exactly the same access (what is added to it is added for all of them).
        service_timeout: how long CloudFormation waits for each request of the custom resource (91 s to 1 hour):
            in SHORT mode the whole job, else its start, stop and reading. Default: 1 hour.
        wait_mode: what the stack waits for (:class:`WaitMode`): LONG (default) until the job has ended, up to
            ``wait_timeout``; SHORT until it has completed within ``service_timeout``; NONE until it has started
            (then only ``job_arn`` and ``job_name`` exist: reading another attribute or ``model`` raises
            ``AttributeUnavailableError`` at synth).
        wait_timeout: LONG mode only: how long the stack waits for the job to end (1 minute to 12 hours). Default:
            12 hours. A job still running then is stopped and the stack rolls back.
        removal_policy: DESTROY (default) deletes the custom model with the resource; RETAIN keeps it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        base_model: ModelInput,
        output_data: S3Input,
        training_data: S3Input | None = None,
        invocation_logs: InvocationLogsConfig | None = None,
        customization_type: CustomizationType | str | None = None,
        job_name: str | None = None,
        custom_model_name: str | None = None,
        validation_data: Sequence[S3Input] | None = None,
        hyper_parameters: Mapping[str, HyperParameterValue] | None = None,
        distillation: DistillationConfig | None = None,
        reinforcement_fine_tuning: RftConfig | None = None,
        custom_model_kms_key: KeyInput | None = None,
        job_tags: Mapping[str, str] | None = None,
        custom_model_tags: Mapping[str, str] | None = None,
        vpc_config: VpcConfig | None = None,
        role: RoleInput | None = None,
        service_timeout: Duration | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        wait_mode: WaitMode = WaitMode.LONG,
        wait_timeout: Duration | None = None,
    ) -> None:
        super().__init__(scope, id)
        problems = ProblemCollector("CustomizationJob", self)
        # Types first: a value of the wrong type cannot be rendered as a request (see :mod:`.arguments`).
        check_job_arguments(
            problems,
            {
                "base_model": base_model,
                "output_data": output_data,
                "training_data": training_data,
                "invocation_logs": invocation_logs,
                "customization_type": customization_type,
                "job_name": job_name,
                "custom_model_name": custom_model_name,
                "validation_data": validation_data,
                "hyper_parameters": hyper_parameters,
                "distillation": distillation,
                "reinforcement_fine_tuning": reinforcement_fine_tuning,
                "custom_model_kms_key": custom_model_kms_key,
                "job_tags": job_tags,
                "custom_model_tags": custom_model_tags,
                "vpc_config": vpc_config,
                "role": role,
                "service_timeout": service_timeout,
                "wait_timeout": wait_timeout,
            },
        )
        problems.raise_if_any()
        timeout = service_timeout if service_timeout is not None else DEFAULT_SERVICE_TIMEOUT
        inputs = JobInputs(
            base_model=base_model,
            output_data=output_data,
            training_data=training_data,
            invocation_logs=invocation_logs,
            customization_type=customization_type,
            job_name=job_name,
            custom_model_name=custom_model_name,
            validation_data=validation_data,
            hyper_parameters=hyper_parameters,
            distillation=distillation,
            reinforcement_fine_tuning=reinforcement_fine_tuning,
            key=resolve_key(scope, custom_model_kms_key) if custom_model_kms_key is not None else None,
            job_tags=job_tags,
            custom_model_tags=custom_model_tags,
            vpc_config=vpc_config,
        )
        request = JobRequest(inputs)
        given_role_arn = role_arn(role) if role is not None else None

        # Validate everything before creating any child, and raise once.
        _check_base_model(problems, base_model)
        ignore = request.provider_filled_members() | ({"roleArn"} if given_role_arn is None else set())
        rendered = request.render(given_role_arn, for_validation=True)
        problems.check_request(OPERATION, rendered, ignore=ignore, arguments=_ARGUMENTS)
        check_job_rules(problems, inputs, rendered, _ARGUMENTS)
        # Tags applied with cdk.Tags.of(...) join the explicit ones on both the job and its model (see :attr:`tags`).
        self._tags: TagManager | None = None
        self._explicit_tags = {
            "jobTags": ("job_tags", job_tags),
            "customModelTags": ("custom_model_tags", custom_model_tags),
        }
        check_service_timeout(problems, timeout)
        check_removal_policy(problems, removal_policy)
        check_wait(problems, wait_mode, wait_timeout)
        fixed_names = {"job_name": job_name, "custom_model_name": custom_model_name}
        check_unique(problems, scope, fixed_names)
        problems.raise_if_any()
        register(scope, self, fixed_names)
        #: How the stack waits for the job (see :class:`WaitMode`).
        self.wait_mode = wait_mode

        # The stack's provider, from the scope given: its stack is ours, and a stack passed as the scope is known
        # without asking the jsii kernel (the jobs of a sweep find the provider, roles and waits on the Python side).
        provider = provider_of(scope)
        #: The service role: the one given (None when given as an ARN string) or the one created.
        self.role: iam.IRole | None = None if role is None or isinstance(role, str) else role
        created_role: iam.Role | None = None
        final_role_arn = given_role_arn
        if role is None:
            created_role, final_role_arn = self._create_role(request, provider)
            self.role = created_role
        assert final_role_arn is not None

        provider.grant_pass_role(final_role_arn, self)
        if inputs.key is not None:
            provider.grant_key_use(inputs.key, self)
        properties = request.render(final_role_arn)
        #: LONG mode: the wait condition and the reader that follow the job (None in the other modes).
        self.long_wait: LongWait | None
        self._resource, self.long_wait = add_waited_resource(
            self,
            provider,
            resource_type=contract.JOB_RESOURCE_TYPE,
            properties=properties,
            in_place=contract.JOB_TAG_MEMBERS,
            wait_mode=wait_mode,
            wait_timeout=wait_timeout,
            service_timeout=timeout,
            removal_policy=removal_policy,
            service_role=created_role,
        )
        #: The customization type the job runs (as given or implied).
        self.customization_type = CustomizationType(inputs.kind)

    @property
    def model(self) -> CustomModelReference:
        """The custom model the job produces, for use wherever a model is expected (e.g. another job's base)."""
        return CustomModelReference(self.custom_model_arn, self.custom_model_name)

    def _create_role(self, request: JobRequest, provider: StackProvider) -> tuple[iam.Role, str]:
        """The least-privilege service role for exactly this job's data, key, VPC and grader, shared with the jobs
        of the stack that have exactly the same (see :mod:`.shared_roles`), and its ARN."""
        inputs = request.inputs

        def key_arn(location: ResolvedS3) -> str | None:
            return bucket_facts(location.bucket).key_arn if location.bucket is not None else None

        rft = inputs.reinforcement_fine_tuning
        access = {
            "reads": [[loc.objects_arn, loc.bucket_arn, key_arn(loc)] for loc in request.reads],
            "writes": [request.output.objects_arn, request.output.bucket_arn, key_arn(request.output)],
            "key": [inputs.key.resource_arn, inputs.key.conditions] if inputs.key is not None else None,
            "vpc": [inputs.vpc_config.subnet_ids(), inputs.vpc_config.security_group_ids()]
            if inputs.vpc_config is not None
            else None,
            "grader": rft.grader_arn() if rft is not None else None,
        }

        def grant(role: iam.Role) -> None:
            scope = role.node.scope
            assert isinstance(scope, Construct)
            grant_s3_read(role, request.reads)
            grant_s3_write(role, request.output)
            if inputs.key is not None:
                grant_key_use(role, scope, inputs.key)
            if inputs.vpc_config is not None:
                grant_vpc(role, scope, inputs.vpc_config)
            if rft is not None:
                grant_invoke(role, [rft.grader_arn()])

        return JobRoles.of(provider).role_for(access, grant=grant)

    @property
    def tags(self) -> TagManager:
        """Tags applied with ``cdk.Tags.of(...)``; rendered on the job and its custom model.

        Created on first read (the Tags aspect reads it when tags are applied): see :mod:`.tagging`."""
        if self._tags is None:
            resource = getattr(self, "_resource", None)  # absent when the arguments were refused
            self._tags = attach_tag_manager(self, resource, contract.JOB_RESOURCE_TYPE, OPERATION, self._explicit_tags)
        return self._tags

    # --- attributes (tokens) ----------------------------------------------------------------------------------------
    @property
    def job_arn(self) -> str:
        return self._resource.get_att_string(contract.ATTR_JOB_ARN)

    @property
    def job_name(self) -> str:
        return self._resource.get_att_string(contract.ATTR_JOB_NAME)

    @property
    def custom_model_arn(self) -> str:
        return self._finished_attribute("custom_model_arn", contract.ATTR_CUSTOM_MODEL_ARN)

    @property
    def custom_model_name(self) -> str:
        return self._finished_attribute("custom_model_name", contract.ATTR_CUSTOM_MODEL_NAME)

    @property
    def status(self) -> str:
        return self._finished_attribute("status", contract.ATTR_STATUS)

    @property
    def training_loss(self) -> str:
        """Final training loss as a string (empty when Bedrock reports none)."""
        return self._finished_attribute("training_loss", contract.ATTR_TRAINING_LOSS)

    @property
    def validation_loss(self) -> str:
        """Final validation loss as a string (empty when Bedrock reports none)."""
        return self._finished_attribute("validation_loss", contract.ATTR_VALIDATION_LOSS)

    @property
    def output_s3_uri(self) -> str:
        return self._finished_attribute("output_s3_uri", contract.ATTR_OUTPUT_S3_URI)

    def _finished_attribute(self, name: str, attribute: str) -> str:
        """An attribute that exists once the job has ended: refused at synth when the stack does not wait for that."""
        if attribute not in contract.JOB_STARTED_ATTRIBUTES and self.wait_mode is WaitMode.NONE:
            raise AttributeUnavailableError(
                "CustomizationJob",
                self.node.path,
                name,
                "with wait_mode=WaitMode.NONE the stack completes when the job has started, before it has results; "
                "only job_arn and job_name exist then. Use WaitMode.LONG to wait for the job, or read the job "
                "later (GetModelCustomizationJob).",
            )
        return self.completion.get_att_string(attribute)

    @property
    def resource(self) -> CustomResource:
        """The job's custom resource (for dependencies and overrides)."""
        return self._resource

    @property
    def completion(self) -> CustomResource:
        """The resource that completes when the stack has stopped waiting for the job: the reader after the wait
        (LONG), else the job's own resource. Depend on it to order something after training."""
        return self.long_wait.result if self.long_wait is not None else self._resource

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` describe this job and the custom model it produced (and list their tags): what a
        dashboard, a report or a later pipeline step needs to read the job's status, metrics and model.

        With ``WaitMode.NONE`` the model's ARN is unknown to the stack: the grant covers the job only.

        Example::

            job.grant_read(report_function)   # GetModelCustomizationJob, GetCustomModel, ListTagsForResource
        """
        if self.wait_mode is WaitMode.NONE:
            return iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["bedrock:GetModelCustomizationJob", "bedrock:ListTagsForResource"],
                resource_arns=[self.job_arn],
            )
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:GetModelCustomizationJob", "bedrock:GetCustomModel", "bedrock:ListTagsForResource"],
            resource_arns=[self.job_arn, self.custom_model_arn],
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run inference on the custom model this job produces (see :func:`.invoke.grant_model_invoke`
        for what that covers: a custom model is invoked through a deployment or a provisioned throughput, whose own
        ARN the caller names and whose constructs grant on it).

        Refused at synth with ``WaitMode.NONE`` (the model does not exist when the stack completes).

        Example::

            job.grant_invoke(chat_function)
            deployment.grant_invoke(chat_function)   # the ARN the function calls InvokeModel/Converse with
        """
        return grant_model_invoke(grantee, self.custom_model_arn)

    def on_state_change(
        self,
        id: str,
        *,
        target: events.IRuleTarget | None = None,
        description: str | None = None,
        rule_name: str | None = None,
        event_pattern: events.EventPattern | None = None,
        statuses: Sequence[str] | None = None,
    ) -> events.Rule:
        """An EventBridge rule for this job's state changes, in the style of aws-cdk's ``onStateChange`` helpers.

        Bedrock sends a "Model Customization Job State Change" event (source ``aws.bedrock``) to the default bus when
        a job changes status; the rule matches this job's (``detail.jobArn``). ``statuses`` narrows it (e.g.
        ``["Completed", "Failed", "Stopped"]`` for the end only). ``event_pattern`` adds fields (its ``detail`` is
        merged, the job's ARN always kept). Works in every wait mode: the job's ARN exists once it has started.

        Example::

            topic = sns.Topic(stack, "TrainingDone")
            job.on_state_change("Ended", target=targets.SnsTopic(topic), statuses=["Completed", "Failed", "Stopped"])
        """
        from aws_cdk import aws_events as events

        extra = event_pattern
        detail: dict[str, object] = dict(extra.detail or {}) if extra is not None else {}
        detail["jobArn"] = [self.job_arn]
        if statuses is not None:
            detail["jobStatus"] = list(statuses)
        fields = ("account", "id", "region", "resources", "time", "version")
        pattern = events.EventPattern(
            source=[contract.JOB_EVENT_SOURCE],
            detail_type=[contract.JOB_EVENT_DETAIL_TYPE],
            detail=detail,
            **({name: getattr(extra, name) for name in fields if getattr(extra, name) is not None} if extra else {}),
        )
        return events.Rule(
            self,
            id,
            description=description or "State changes of a Bedrock model customization job",
            rule_name=rule_name,
            event_pattern=pattern,
            targets=[target] if target is not None else None,
        )
