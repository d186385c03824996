"""The least-privilege service role Bedrock assumes to run a customization job or to create a custom model.

Trust is limited to bedrock.amazonaws.com acting for this account on this kind of resource (``aws:SourceAccount`` +
``aws:SourceArn``, the confused-deputy protection AWS recommends). Permissions are derived from the construct's
inputs: read on exactly the training/validation/log data, write on exactly the output prefix, use of the KMS keys
involved, the VPC permissions AWS documents for customization jobs in a VPC, and invoking the RFT grader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from .lookups import add_statement, bucket_facts
from .nag import acknowledge_wildcard_resources, acknowledge_wildcards
from .references import ResolvedKey, VpcConfig, bedrock_arn, ec2_arn
from .s3_location import ResolvedS3


def create_service_role(scope: Construct, id: str, *, source_arn: str, description: str) -> iam.Role:
    """A role only Bedrock can assume, and only on behalf of this account for resources matching ``source_arn``."""
    principal = iam.ServicePrincipal(
        "bedrock.amazonaws.com",
        conditions={
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": source_arn},
        },
    )
    return iam.Role(scope, id, assumed_by=principal, description=description)


#: What a role needs of a bucket's KMS key to read, or to write, its objects (what ``kms.IKey.grant_decrypt`` and
#: ``grant_encrypt_decrypt`` give), here only through S3 (``kms:ViaService``).
_BUCKET_KEY_READ = ["kms:Decrypt"]
_BUCKET_KEY_WRITE = ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]


def grant_s3_read(role: iam.IRole, locations: Iterable[ResolvedS3]) -> None:
    locations = list(locations)
    if not locations:
        return
    objects = _unique(loc.objects_arn for loc in locations)
    _add(role, ["s3:GetObject"], objects)
    acknowledge_wildcard_resources(
        role,
        objects,
        "The objects of the given S3 locations only: a location is a key prefix (a folder of data "
        "files) or one key, and Bedrock reads every object under it.",
    )
    _grant_list(role, locations)
    for loc in locations:
        _grant_bucket_key(role, loc, _BUCKET_KEY_READ)


def grant_s3_write(role: iam.IRole, location: ResolvedS3) -> None:
    # GetObject too: AWS's documented customization role reads back what it wrote in the output prefix.
    _add(role, ["s3:GetObject", "s3:PutObject"], [location.objects_arn])
    acknowledge_wildcard_resources(
        role,
        [location.objects_arn],
        "The output prefix only: Bedrock writes objects with names it chooses under it.",
    )
    _grant_list(role, [location])
    _grant_bucket_key(role, location, _BUCKET_KEY_WRITE)


def _grant_list(role: iam.IRole, locations: Sequence[ResolvedS3]) -> None:
    """``s3:ListBucket`` on each bucket, only for the key prefixes the role reads or writes there (``s3:prefix``):
    listing shows object names, which may say what other data a bucket holds. A location that is a whole bucket (or
    a URI only CloudFormation knows) lists the whole bucket."""
    prefixes: dict[str, list[str] | None] = {}
    for loc in locations:
        known = prefixes.setdefault(loc.bucket_arn, [])
        if known is None or loc.key_prefix is None:
            prefixes[loc.bucket_arn] = None
        elif f"{loc.key_prefix}*" not in known:
            known.append(f"{loc.key_prefix}*")
    for bucket_arn, bucket_prefixes in prefixes.items():
        conditions = {"StringLike": {"s3:prefix": bucket_prefixes}} if bucket_prefixes else None
        add_statement(
            role, iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket_arn], conditions=conditions)
        )


def _grant_bucket_key(role: iam.IRole, location: ResolvedS3, actions: list[str]) -> None:
    """The bucket's encryption key, for reading or writing its objects through S3 only (``kms:ViaService``): the
    grant exists for S3's sake, so the role cannot use the key directly with KMS."""
    if location.bucket is None:
        return
    key_arn = bucket_facts(location.bucket).key_arn
    if key_arn is None:
        return
    via_s3 = f"s3.{location.bucket.env.region}.amazonaws.com"
    add_statement(
        role,
        iam.PolicyStatement(
            actions=actions,
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_s3}},
        ),
    )


def key_use_statements(scope: Construct, key: ResolvedKey) -> list[iam.PolicyStatement]:
    """Use of a customer-managed key, only through Bedrock (``kms:ViaService``), as Bedrock's encryption guide asks;
    grants only for AWS resources (``kms:GrantIsForAWSResource``): Bedrock creates them for the job or model, and
    nothing else may use this permission to hand the key to another principal."""
    via_bedrock: dict = {"StringEquals": {"kms:ViaService": f"bedrock.{Stack.of(scope).region}.amazonaws.com"}}
    via_bedrock.update(key.conditions)
    return [
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[key.resource_arn],
            conditions=via_bedrock,
        ),
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[key.resource_arn],
            conditions={**via_bedrock, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def grant_key_use(role: iam.IRole, scope: Construct, key: ResolvedKey) -> None:
    for statement in key_use_statements(scope, key):
        add_statement(role, statement)


#: The ARN tag Bedrock puts on the network interfaces it creates, by the kind of job that runs in the VPC (the user
#: guide's "Protect your model customization jobs using a VPC" and "Protect custom model import jobs using a VPC").
_ENI_JOB_TAG = {
    "model-customization-job": "BedrockModelCustomizationJobArn",
    "model-import-job": "BedrockModelImportJobArn",
}


def grant_vpc(role: iam.IRole, scope: Construct, vpc: VpcConfig, *, job_kind: str = "model-customization-job") -> None:
    """The statements of AWS's VPC guide for ``job_kind`` (a customization or a model import job), scoped to this
    VPC config."""
    job_arns = [bedrock_arn(scope, job_kind)]
    job_tag = _ENI_JOB_TAG[job_kind]
    eni_arn = ec2_arn(scope, "network-interface", "*")
    subnet_arns = [ec2_arn(scope, "subnet", subnet_id) for subnet_id in vpc.subnet_ids()]
    group_arns = [ec2_arn(scope, "security-group", group_id) for group_id in vpc.security_group_ids()]
    add_statement(
        role,
        iam.PolicyStatement(
            actions=[
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            resources=["*"],  # Describe* supports no resource-level permissions
        ),
    )
    acknowledge_wildcards(
        role,
        {
            "ec2:Describe* supports no resource-level permissions; the ENI actions on '*' are limited by "
            "conditions to Bedrock-managed ENIs of this account's jobs in the given subnets (AWS's VPC guide).": ["*"],
            "Network interfaces Bedrock creates for a job have no id before they exist; creating and "
            "tagging them is limited by request-tag conditions to Bedrock-managed ENIs of this account's jobs.": [
                eni_arn
            ],
        },
    )
    add_statement(
        role,
        iam.PolicyStatement(
            actions=["ec2:CreateNetworkInterface"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"aws:RequestTag/BedrockManaged": ["true"]},
                "ArnLike": {f"aws:RequestTag/{job_tag}": job_arns},
            },
        ),
    )
    _add(role, ["ec2:CreateNetworkInterface"], [*subnet_arns, *group_arns])
    add_statement(
        role,
        iam.PolicyStatement(
            actions=[
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            resources=["*"],
            conditions={
                "ArnEquals": {"ec2:Subnet": subnet_arns},
                "ArnLike": {f"ec2:ResourceTag/{job_tag}": job_arns},
                "StringEquals": {"ec2:ResourceTag/BedrockManaged": "true"},
            },
        ),
    )
    add_statement(
        role,
        iam.PolicyStatement(
            actions=["ec2:CreateTags"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"ec2:CreateAction": ["CreateNetworkInterface"]},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["BedrockManaged", job_tag]},
            },
        ),
    )


def grant_invoke(role: iam.IRole, function_arns: Sequence[str]) -> None:
    _add(role, ["lambda:InvokeFunction"], list(function_arns))


def _add(role: iam.IRole, actions: list[str], resources: list[str]) -> None:
    add_statement(role, iam.PolicyStatement(actions=actions, resources=resources))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
