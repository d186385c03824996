"""The contract between the constructs (synth time) and the provider (run time).

Custom resource properties mirror the Bedrock API request: the members of ``CreateModelCustomizationJob`` /
``CreateCustomModel`` appear as camelCase top-level properties with the API's own nesting, so the JSON a user already
passes to ``aws bedrock ... --cli-input-json`` is the resource's property block, less ``clientRequestToken``: the
provider derives that token from the CloudFormation request (so a redelivered request starts one job), and refuses a
pasted one rather than ignore it, since a property that does nothing would still replace the job whenever it is
edited. Next to them stand a few provider keys in PascalCase, which never reach Bedrock.

Both sides import these names, so a rename breaks loudly instead of drifting.
"""

from __future__ import annotations

from typing import Final

# --- resource types --------------------------------------------------------------------------------------------------
JOB_RESOURCE_TYPE: Final = "Custom::BedrockModelCustomizationJob"
MODEL_RESOURCE_TYPE: Final = "Custom::BedrockCustomModel"
#: On-demand inference of a custom model (CreateCustomModelDeployment); no EventBridge events: polled.
DEPLOYMENT_RESOURCE_TYPE: Final = "Custom::BedrockCustomModelDeployment"
#: Provisioned throughput for a base or custom model (CreateProvisionedModelThroughput); polled.
THROUGHPUT_RESOURCE_TYPE: Final = "Custom::BedrockProvisionedThroughput"
#: A model import job and the imported model it makes (CreateModelImportJob); polled.
MODEL_IMPORT_RESOURCE_TYPE: Final = "Custom::BedrockModelImportJob"
#: The reader after a long wait: reads the finished job or model named by :data:`RESULT_RESOURCE_ARN` and answers its
#: attributes (SUCCESS) or the service's failure message (FAILED). Deleting it does nothing.
RESULT_RESOURCE_TYPE: Final = "Custom::BedrockCustomizationResult"
#: The reader's property: the ARN of the job or custom model to read (its resource segment says which).
RESULT_RESOURCE_ARN: Final = "ResourceArn"
#: Or, for a group's check: the ARNs of every member; the answer is SUCCESS (no attributes but the count) or FAILED
#: with the first failure, so a failed job fails the stack even when nothing reads its attributes.
RESULT_RESOURCE_ARNS: Final = "ResourceArns"

# --- provider keys (PascalCase; never sent to Bedrock) ---------------------------------------------------------------
SERVICE_TOKEN: Final = "ServiceToken"
#: CloudFormation's own custom-resource wait limit in seconds (1..3600); the provider fails clearly just before it.
SERVICE_TIMEOUT: Final = "ServiceTimeout"
#: What Delete does with the custom model: one of :data:`REMOVAL_POLICIES`.
REMOVAL_POLICY: Final = "RemovalPolicy"
REMOVAL_POLICY_DESTROY: Final = "Destroy"
REMOVAL_POLICY_RETAIN: Final = "Retain"
REMOVAL_POLICIES: Final = frozenset({REMOVAL_POLICY_DESTROY, REMOVAL_POLICY_RETAIN})
#: How the stack waits for a resource to reach its final state: one of :data:`WAIT_MODES` (absent: Short).
WAIT_MODE: Final = "WaitMode"
#: Short: the custom resource answers once the resource is final, within its ServiceTimeout (crhelper's polls).
WAIT_MODE_SHORT: Final = "Short"
#: None: the custom resource answers once the resource has started; only the attributes known then are returned.
WAIT_MODE_NONE: Final = "None"
#: Long: the custom resource answers once the resource has started; a wait condition after it waits up to 12 hours and
#: is signalled when the resource is final (see :data:`WAIT_CONDITION_INFIX`); a reader resource gives the attributes.
WAIT_MODE_LONG: Final = "Long"
WAIT_MODES: Final = frozenset({WAIT_MODE_SHORT, WAIT_MODE_NONE, WAIT_MODE_LONG})
PROVIDER_KEYS: Final = frozenset({SERVICE_TOKEN, SERVICE_TIMEOUT, REMOVAL_POLICY, WAIT_MODE})

#: ServiceTimeout bounds, set by CloudFormation for custom resources.
MAX_SERVICE_TIMEOUT_SECONDS: Final = 3600
MIN_SERVICE_TIMEOUT_SECONDS: Final = 1

# --- API members that change in place (everything else replaces the resource) ---------------------------------------
JOB_TAG_MEMBERS: Final = frozenset({"jobTags", "customModelTags"})
MODEL_TAG_MEMBERS: Final = frozenset({"modelTags"})
#: A deployment swaps its model in place (UpdateCustomModelDeployment); its name and description replace it.
DEPLOYMENT_IN_PLACE_MEMBERS: Final = frozenset({"tags", "modelArn"})
#: A throughput changes its name and model in place (UpdateProvisionedModelThroughput: desiredProvisionedModelName,
#: desiredModelId); modelUnits and commitmentDuration cannot change after purchase: they replace it.
THROUGHPUT_IN_PLACE_MEMBERS: Final = frozenset({"tags", "modelId", "provisionedModelName"})
MODEL_IMPORT_TAG_MEMBERS: Final = frozenset({"jobTags", "importedModelTags"})

# --- tags: Bedrock's limit, and the provider's own tag (never part of a user's tag list) ---------------------------
#: Bedrock's limit of tags on one resource, existing and requested together (its TooManyTagsException: "50 tags per
#: resource"); the API's list shapes allow up to 200 in one request.
MAX_TAGS_PER_RESOURCE: Final = 50
#: Tag the provider adds to every custom model it creates: the digest of the properties the model was created from
#: (GetCustomModel returns neither the token nor the source). An Update asking for exactly those properties describes
#: the model that exists (CloudFormation rolling back a refused replacement): it is kept, not replaced. Users' tag
#: lists may not use this key, and a CustomModel's ``modelTags`` leave its slot free (:data:`MAX_TAGS`).
MODEL_PROPERTIES_TAG_KEY: Final = "cdk-bedrock-customization:properties"
RESERVED_TAG_KEYS: Final = frozenset({MODEL_PROPERTIES_TAG_KEY})
#: How many tags a user may give per tag member: the resource's limit less the provider's own tags on it.
MAX_TAGS: Final = {
    "jobTags": MAX_TAGS_PER_RESOURCE,
    "customModelTags": MAX_TAGS_PER_RESOURCE,
    "modelTags": MAX_TAGS_PER_RESOURCE - 1,
    # deployments and throughputs carry the provider's tag too: it says which stack and logical id own them
    "tags": MAX_TAGS_PER_RESOURCE - 1,
    "importedModelTags": MAX_TAGS_PER_RESOURCE - 1,
}
#: Where one operation's tag member differs from :data:`MAX_TAGS`: a model import job and its imported model both
#: carry the provider's tag (a customization job's ``jobTags`` do not: its token names its owner).
MAX_TAGS_BY_OPERATION: Final = {
    "CreateModelImportJob": {"jobTags": MAX_TAGS_PER_RESOURCE - 1},
}

# --- attributes (Fn::GetAtt names) -----------------------------------------------------------------------------------
ATTR_JOB_ARN: Final = "JobArn"
ATTR_JOB_NAME: Final = "JobName"
ATTR_CUSTOM_MODEL_ARN: Final = "CustomModelArn"
ATTR_CUSTOM_MODEL_NAME: Final = "CustomModelName"
ATTR_STATUS: Final = "Status"
ATTR_TRAINING_LOSS: Final = "TrainingLoss"
ATTR_VALIDATION_LOSS: Final = "ValidationLoss"
ATTR_OUTPUT_S3_URI: Final = "OutputS3Uri"
JOB_ATTRIBUTES: Final = (
    ATTR_JOB_ARN,
    ATTR_JOB_NAME,
    ATTR_CUSTOM_MODEL_ARN,
    ATTR_CUSTOM_MODEL_NAME,
    ATTR_STATUS,
    ATTR_TRAINING_LOSS,
    ATTR_VALIDATION_LOSS,
    ATTR_OUTPUT_S3_URI,
)

#: What a job's resource answers in the None wait mode: all that exists once the job has started.
JOB_STARTED_ATTRIBUTES: Final = (ATTR_JOB_ARN, ATTR_JOB_NAME)

ATTR_MODEL_ARN: Final = "ModelArn"
ATTR_MODEL_NAME: Final = "ModelName"
ATTR_CUSTOMIZATION_TYPE: Final = "CustomizationType"
MODEL_ATTRIBUTES: Final = (ATTR_MODEL_ARN, ATTR_MODEL_NAME, ATTR_STATUS, ATTR_CUSTOMIZATION_TYPE)

ATTR_DEPLOYMENT_ARN: Final = "DeploymentArn"
ATTR_DEPLOYMENT_NAME: Final = "DeploymentName"
#: ModelArn: the custom model the deployment serves now.
DEPLOYMENT_ATTRIBUTES: Final = (ATTR_DEPLOYMENT_ARN, ATTR_DEPLOYMENT_NAME, ATTR_MODEL_ARN, ATTR_STATUS)
DEPLOYMENT_STARTED_ATTRIBUTES: Final = (ATTR_DEPLOYMENT_ARN, ATTR_DEPLOYMENT_NAME)

ATTR_PROVISIONED_MODEL_ARN: Final = "ProvisionedModelArn"
ATTR_PROVISIONED_MODEL_NAME: Final = "ProvisionedModelName"
ATTR_MODEL_UNITS: Final = "ModelUnits"
ATTR_COMMITMENT_EXPIRATION_TIME: Final = "CommitmentExpirationTime"
#: ModelArn: the model the throughput serves now; CommitmentExpirationTime: ISO 8601, empty without a commitment.
THROUGHPUT_ATTRIBUTES: Final = (
    ATTR_PROVISIONED_MODEL_ARN,
    ATTR_PROVISIONED_MODEL_NAME,
    ATTR_MODEL_ARN,
    ATTR_MODEL_UNITS,
    ATTR_COMMITMENT_EXPIRATION_TIME,
    ATTR_STATUS,
)
THROUGHPUT_STARTED_ATTRIBUTES: Final = (ATTR_PROVISIONED_MODEL_ARN, ATTR_PROVISIONED_MODEL_NAME)

ATTR_IMPORTED_MODEL_ARN: Final = "ImportedModelArn"
ATTR_IMPORTED_MODEL_NAME: Final = "ImportedModelName"
#: JobArn / JobName: the import job's; ImportedModelArn exists once the job completed.
MODEL_IMPORT_ATTRIBUTES: Final = (
    ATTR_JOB_ARN,
    ATTR_JOB_NAME,
    ATTR_IMPORTED_MODEL_ARN,
    ATTR_IMPORTED_MODEL_NAME,
    ATTR_STATUS,
)
MODEL_IMPORT_STARTED_ATTRIBUTES: Final = (ATTR_JOB_ARN, ATTR_JOB_NAME, ATTR_IMPORTED_MODEL_NAME)

# --- physical ids ----------------------------------------------------------------------------------------------------
#: The physical id of a Create that failed with nothing left to clean up: the Delete that follows calls nothing.
FAILED_CREATE_PHYSICAL_ID: Final = "BedrockCustomization::CREATE_FAILED"
#: The physical id of a Create whose outcome is unknown: the function timed out, or Bedrock stayed unreachable after
#: it may have accepted the request. Not an ARN, so the Delete that follows searches for what this request may have
#: started (by name and by the token of its properties) and stops or deletes it, as for a cancelled Create.
UNCERTAIN_CREATE_PHYSICAL_ID: Final = "BedrockCustomization::CREATE_UNCERTAIN"

# --- the long wait (docs/long-wait.md) -------------------------------------------------------------------------------
#: CloudFormation's limit for a wait condition's Timeout (12 hours).
MAX_WAIT_SECONDS: Final = 43200
#: Long waits are gathered in groups (docs/long-wait.md): one condition waits for up to this many resources, one
#: SUCCESS signal each (UniqueId: the resource's id), so a stack of hundreds of jobs needs a handful of conditions.
MAX_WAIT_GROUP_MEMBERS: Final = 100
#: A group's condition declares the logical ids it waits for in its ``Metadata`` under this key (the provider reads
#: them with DescribeStackResource: ListStackResources gives no properties or metadata).
WAIT_MEMBERS_METADATA: Final = "BedrockCustomizationWaitsFor"
#: A group's condition is named ``BedrockCustomizationWait<level>x<index>D<digest>``: the digest of its members'
#: replacing properties gives a group with a replaced member a fresh condition (one cannot be waited on twice).
WAIT_CONDITION_PREFIX: Final = "BedrockCustomizationWait"
WAIT_CONDITION_DIGEST_LENGTH: Final = 8
#: Arms the stack's long waits: its Create or Update (whenever any condition is new) enables the poll rule, so a
#: condition made fresh without any job starting (a member removed from its group) is still polled. Delete: nothing.
WAIT_START_RESOURCE_TYPE: Final = "Custom::BedrockCustomizationWaitStart"
#: Its property: the stack's condition ids (only so that it is updated when they change).
WAIT_START_CONDITIONS: Final = "Conditions"
#: The per-stack scheduled rule that polls long waits (events are best effort): DISABLED until a long wait starts.
WAIT_RULE_PREFIX: Final = "bedrock-cr-wait-"
#: Bedrock's job state-change events, and the statuses after which a job never changes by itself.
JOB_EVENT_SOURCE: Final = "aws.bedrock"
JOB_EVENT_DETAIL_TYPE: Final = "Model Customization Job State Change"
TERMINAL_JOB_STATUSES: Final = ("Completed", "Failed", "Stopped")
#: Environment variable: the id of the stack holding the function (``Ref AWS::StackId``). Its GUID names the rules
#: the function puts and enables; unless ``SERVED_STACK`` says otherwise, it is also the only stack the function
#: serves: a request naming another stack is dropped, and the long wait reads and signals this one only.
ENV_STACK_ID: Final = "STACK_ID"
#: Environment variable of a provider stack serving a plain CloudFormation stack: that stack's id or
#: ``arn:...:stack/<name>/*`` (:mod:`.served_stack`).
ENV_SERVED_STACK: Final = "SERVED_STACK"


def wait_condition_id(level: int, index: int, digest: str) -> str:
    """The logical id of group ``index`` of depth ``level`` (``digest``: hex, any length)."""
    return f"{WAIT_CONDITION_PREFIX}{level}x{index}D{digest[:WAIT_CONDITION_DIGEST_LENGTH]}"


def stack_guid(stack_id: str) -> str:
    """The last part of a stack id (``arn:...:stack/<name>/<guid>``): what CloudFormation makes unique per stack."""
    return stack_id.rsplit("/", 1)[-1]


def wait_rule_name(stack_id: str) -> str:
    """The name of the stack's long-wait poll rule (<= 64 characters: the prefix and a 36-character GUID)."""
    return f"{WAIT_RULE_PREFIX}{stack_guid(stack_id)}"


def poll_rule_prefix(stack_id: str) -> str:
    """What every crhelper poll rule of the stack's provider is named with: ``bedrock-cr-poll-<stack GUID>-``.

    The GUID is what CloudFormation makes unique per stack, and the template can compute it (``Fn::Select`` 2 of the
    stack id split on ``/``), so each provider's ``events:*`` permissions name its own stack's rules only. 53
    characters, which leaves 11 of EventBridge's 64 for the request's digest.
    """
    return f"{POLL_RULE_PREFIX}{stack_guid(stack_id)}-"


# --- the provider function -------------------------------------------------------------------------------------------
#: Handler path inside the asset.
HANDLER: Final = "bedrock_customization_provider.handler.main"
#: Handler path of the provider's on-failure destination (same asset): answers FAILED for a request the provider
#: dropped after every attempt failed, so CloudFormation does not wait out the ServiceTimeout (``on_failure.py``).
ON_FAILURE_HANDLER: Final = "bedrock_customization_provider.handler.on_failure_destination"
#: Folder inside the asset holding Bedrock's botocore service model; AWS_DATA_PATH points at it so an older
#: runtime boto3 still knows the newest Bedrock operations and fields.
BOTOCORE_DATA_DIR: Final = "botocore-data"
#: Environment variable: minutes between crhelper's scheduled polls (EventBridge rate, at least 1).
ENV_POLL_INTERVAL_MINUTES: Final = "POLL_INTERVAL_MINUTES"
#: The poll interval the constructs configure, and the provider's default.
POLL_INTERVAL_MINUTES: Final = 1
#: Seconds the provider keeps before CloudFormation's limit beyond one poll interval (EventBridge schedules are not
#: exact, and a poll takes time): a ServiceTimeout must exceed interval + slack for even one poll to fit.
POLL_SLACK_SECONDS: Final = 30
#: Prefix of every EventBridge rule the provider creates to poll; each stack's rules continue it with the stack's GUID
#: (:func:`poll_rule_prefix`), and its provider's IAM policy is scoped to that (names are <= 64 chars).
POLL_RULE_PREFIX: Final = "bedrock-cr-poll-"
#: Environment variable: a CA bundle file that verifies the HTTPS response URL (crhelper's ssl_verify). Unset in AWS;
#: the local CloudFormation driver serves the response URL with a self-signed certificate and sets it.
ENV_RESPONSE_CA_BUNDLE: Final = "CFN_RESPONSE_CA_BUNDLE"
#: Environment variable: first backoff delay in seconds for retried Bedrock calls (default 1; tests and the local
#: driver shorten it). Retries are always bounded by the Lambda's remaining time.
ENV_RETRY_BASE_DELAY_SECONDS: Final = "RETRY_BASE_DELAY_SECONDS"
#: Environment variable: the ARN of the stack's KMS key for poll inputs. crhelper's polls carry the request's
#: presigned response URL in an EventBridge target's input; the provider encrypts it with this key (encryption
#: context: stack id, logical id, request id) and drops a poll whose URL does not decrypt. Unset (a template from
#: before the key): polls carry the URL in the clear, as before.
ENV_POLL_KEY_ARN: Final = "POLL_KEY_ARN"
