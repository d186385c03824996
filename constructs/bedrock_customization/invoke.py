"""What invoking a custom model takes in IAM, shared by every construct that holds one.

A Bedrock custom model is never invoked by its own ARN: Bedrock serves it through a custom model deployment
(on-demand) or a provisioned throughput, and the caller names that resource's ARN as the ``modelId`` of
``InvokeModel`` / ``Converse``. IAM authorizes the call on the resource named and on the model behind it, so a caller
needs both: this grant covers the model; the deployment's or throughput's own construct grants on its ARN.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

#: ``Converse`` and ``ConverseStream`` are authorized by these two actions as well.
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


def grant_model_invoke(grantee: iam.IGrantable, model_arn: str) -> iam.Grant:
    """``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` on ``model_arn`` for ``grantee``."""
    return iam.Grant.add_to_principal(grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=[model_arn])
