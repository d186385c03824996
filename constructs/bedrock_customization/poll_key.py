"""The stack's KMS key for the response URLs in the provider's poll inputs.

Why a key: crhelper polls through an EventBridge rule whose target input is the CloudFormation request, presigned
response URL included, and anyone allowed ``events:ListTargetsByRule`` reads a target's input. The provider puts the
URL there only encrypted with this key, bound to its request (``lambda/bedrock_customization_provider/poll_secret.py``).
Only the provider's role may use the key, for ``kms:Encrypt`` and ``kms:Decrypt`` only; its key policy is CDK's
default (the account's root, so IAM policies decide), and nothing else in the stack is given it.

The cost: a customer managed key is about 1 USD a month per stack, plus one request per poll setup and per poll.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .lookups import add_statement

#: Construct id of the key under the provider.
POLL_KEY_ID = "PollKey"
#: A deleted stack's key waits this long before KMS deletes it (the shortest KMS allows).
PENDING_WINDOW = Duration.days(7)


def add_poll_key(scope: Construct, role: iam.IRole) -> kms.Key:
    """The key (child ``PollKey`` of ``scope``), which ``role`` alone may Encrypt and Decrypt with."""
    key = kms.Key(
        scope,
        POLL_KEY_ID,
        description=(
            "Encrypts the CloudFormation response URLs in the Bedrock customization provider's EventBridge poll "
            "inputs (readable with events:ListTargetsByRule); only the provider's role may use it"
        ),
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=PENDING_WINDOW,
    )
    add_statement(role, iam.PolicyStatement(actions=["kms:Encrypt", "kms:Decrypt"], resources=[key.key_arn]))
    return key
