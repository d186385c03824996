"""The README's Python examples run: every ```python block, in order, in one stack, synthesizes (cfn-lint clean).

The blocks are fragments of a user's stack (``self`` is the stack; ``bucket``, ``key``, ``vpc``, ``chat_function``...
are the user's own resources, made here), and some elide what an earlier example showed with ``...``
(``training_data=...``): each such placeholder is filled with the value the first example gives it, so a changed
signature or a renamed class in the README fails here instead of in a reader's app.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from .conftest import synth

README = Path(__file__).resolve().parents[2] / "README.md"
#: What an elided argument stands for (the first example's values).
PLACEHOLDERS = {
    "base_model=...": 'base_model="amazon.nova-micro-v1:0:128k"',
    "training_data=...": 'training_data=S3Location(bucket, "train/data.jsonl")',
    "output_data=...": 'output_data=S3Location(bucket, "output/")',
}


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def filled(block: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        block = block.replace(placeholder, value)
    assert "..." not in block.replace('"...', "").replace('..."', ""), f"an unfilled placeholder in:\n{block}"
    return block


def user_namespace(stack: cdk.Stack) -> dict[str, Any]:
    """What the examples take as given: the stack (``self``) and the user's own resources."""
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)  # private subnets, as VpcConfig.from_vpc selects

    def function(name: str) -> lambda_.Function:
        return lambda_.Function(
            stack,
            name,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        )

    return {
        "self": stack,
        "stack": stack,
        "cdk": cdk,
        "CfnOutput": cdk.CfnOutput,
        "RemovalPolicy": cdk.RemovalPolicy,
        "Duration": cdk.Duration,
        "bucket": s3.Bucket(stack, "Data", enforce_ssl=True),
        "weights": s3.Bucket(stack, "Weights", enforce_ssl=True),
        "key": kms.Key(stack, "Key", enable_key_rotation=True),
        "vpc": vpc,
        "sg": ec2.SecurityGroup(stack, "Sg", vpc=vpc),
        "chat_function": function("Chat"),
        "grader_fn": function("Grader"),
    }


def test_the_readme_has_the_examples_this_test_runs():
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 5
    assert blocks[1].lstrip().startswith("from bedrock_customization import ("), "the import block comes second"


def test_every_readme_example_synthesizes_in_one_stack(make_stack):
    blocks = python_blocks(README.read_text())
    stack = make_stack("ReadmeExamples")
    namespace = user_namespace(stack)
    # the import line first: every name an example uses must come from it (or from the user's own stack above)
    ordered = [blocks[1], *(b for i, b in enumerate(blocks) if i != 1)]
    for block in ordered:
        try:
            exec(compile(filled(block), "README.md", "exec"), namespace)
        except Exception as exc:  # say which example broke
            pytest.fail(f"README example failed: {type(exc).__name__}: {exc}\n---\n{block}")
    synth(stack)
