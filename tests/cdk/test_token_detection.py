"""``validation.is_unresolved`` decides plain Python values without the jsii kernel; it must agree with CDK's own
``Token.is_unresolved`` on every kind of value a construct's props can hold (tokens of each encoding, plain values).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from bedrock_customization.validation import is_unresolved


def values() -> list[object]:
    stack = cdk.Stack(cdk.App(), "Tokens")
    bucket = s3.Bucket(stack, "Bucket")
    name = bucket.bucket_name
    return [
        "plain",
        "",
        "Token[",  # the marker alone is not a token
        "${Token[not.a.number]}x",
        name,
        f"s3://{name}/prefix/",
        bucket.bucket_arn,
        stack.account,
        cdk.Aws.REGION,
        cdk.Fn.ref("Other"),
        cdk.Token.as_number(name),
        cdk.Token.as_string(cdk.Token.as_number(name)),  # a stringified number token
        cdk.Token.as_list(name),
        [cdk.Token.as_list(name)[0]],
        [name],
        [name, "b"],
        ["a"],
        {"key": name},
        cdk.Token.as_any(name),
        cdk.Duration.hours(1),
        0,
        1,
        -1,
        2.5,
        2**53,
        True,
        False,
        None,
    ]


@pytest.mark.parametrize("index", range(len(values())))
def test_is_unresolved_agrees_with_cdk_on_every_kind_of_value(index):
    # GIVEN one value of a kind props can hold
    value = values()[index]
    # WHEN both decide whether it is a token THEN they agree
    assert is_unresolved(value) is bool(cdk.Token.is_unresolved(value))


def test_numbers_jsii_cannot_carry_are_plain_values():
    # GIVEN numbers JSON (and so the jsii kernel) cannot encode; WHEN checked THEN they are not tokens, no kernel call
    for value in (10**400, float("inf"), float("-inf"), 1e308):
        assert is_unresolved(value) is False
