"""``references.bedrock_arn`` / ``ec2_arn`` write the ARN in Python (no round trip to the jsii kernel per ARN): the
string must resolve exactly as ``Stack.format_arn`` with ``ArnFormat.SLASH_RESOURCE_NAME`` would."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import ArnFormat
from aws_cdk import aws_ec2 as ec2
from bedrock_customization.references import bedrock_arn, ec2_arn


@pytest.mark.parametrize(
    "env",
    [None, cdk.Environment(account="111122223333", region="eu-west-1")],
    ids=["environment-agnostic", "explicit-environment"],
)
def test_arns_resolve_as_format_arn_does(env):
    app = cdk.App()
    stack = cdk.Stack(app, "Arns", env=env)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    subnet_id = vpc.public_subnets[0].subnet_id  # a token as the resource name

    def expected(service: str, resource: str, name: str, **kwargs: str) -> str:
        return stack.format_arn(
            service=service, resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME, **kwargs
        )

    pairs = [
        (bedrock_arn(stack, "custom-model"), expected("bedrock", "custom-model", "*")),
        (bedrock_arn(stack, "foundation-model", account=""), expected("bedrock", "foundation-model", "*", account="")),
        (bedrock_arn(vpc, "model-import-job", "x"), expected("bedrock", "model-import-job", "x")),
        (ec2_arn(stack, "subnet", subnet_id), expected("ec2", "subnet", subnet_id)),
        (ec2_arn(stack, "network-interface", "*"), expected("ec2", "network-interface", "*")),
    ]
    for ours, theirs in pairs:
        assert stack.resolve(ours) == stack.resolve(theirs)
    if env is not None:  # the stack's own values, not pseudo parameters
        assert stack.resolve(bedrock_arn(stack, "custom-model")) == {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":bedrock:eu-west-1:111122223333:custom-model/*"]]
        }
