"""Like Lambda (and unlike plain moto), a function's resource-based policy is capped at 20 KB: AddPermission past it
is refused with PolicyLengthExceededException and leaves the policy as it was."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from bedrock_customization_local.emulator.moto_fidelity import POLICY_SIZE_LIMIT
from botocore.config import Config

FUNCTION = "quota-provider"
# One request per call: a refused AddPermission is not retried.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def lam(emu: Any) -> Any:
    kwargs = {"endpoint_url": emu.endpoint_url, "region_name": "us-east-1", "config": NO_RETRY}
    iam = boto3.client("iam", **kwargs)
    role_arn = iam.create_role(RoleName="quota-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"][
        "Arn"
    ]
    client = boto3.client("lambda", **kwargs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "placeholder\n")
    client.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.13",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    yield client
    client.delete_function(FunctionName=FUNCTION)
    iam.delete_role(RoleName="quota-role")


def _add(lam: Any, index: int) -> None:
    # A poll-rule statement like crhelper's: a long-ish id and a source ARN condition (~300 bytes each).
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId=f"bedrock-cr-poll-rule-{index:04d}",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:us-east-1:123456789012:rule/bedrock-customization-poll-{index:04d}-abcdef",
    )


def _policy(lam: Any) -> tuple[str, dict[str, Any]]:
    response = lam.get_policy(FunctionName=FUNCTION)
    return response["Policy"], response


def test_add_permission_past_20_kb_is_refused_and_removing_one_lets_another_in(lam):
    # GIVEN a function whose policy is filled with statements until Lambda's quota refuses the next one
    added: list[int] = []
    refused = None
    for index in range(200):  # 200 statements of ~300 bytes would be ~60 KB: the quota must stop this loop
        try:
            _add(lam, index)
        except lam.exceptions.PolicyLengthExceededException as exc:
            refused = exc
            break
        added.append(index)
    # THEN the refusal is Lambda's: 400 PolicyLengthExceededException naming the final size and the limit
    assert refused is not None, "the 20 KB policy quota was never enforced"
    assert refused.response["Error"]["Code"] == "PolicyLengthExceededException"
    assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = refused.response["Error"]["Message"]
    assert message.startswith("The final policy size (") and message.endswith(
        f") is bigger than the limit ({POLICY_SIZE_LIMIT})."
    )
    final_size = int(message.split("(")[1].split(")")[0])
    assert final_size > POLICY_SIZE_LIMIT
    # the policy kept every accepted statement, not the refused one, and stays within the quota
    document, response = _policy(lam)
    assert len(document.encode("utf-8")) <= POLICY_SIZE_LIMIT
    sids = [statement["Sid"] for statement in json.loads(document)["Statement"]]
    assert sids == [f"bedrock-cr-poll-rule-{index:04d}" for index in added]
    assert len(added) > 10  # the quota is 20 KB, not a statement count
    revision = response["RevisionId"]
    # the refused id is free: it was not half-added
    with pytest.raises(lam.exceptions.PolicyLengthExceededException):
        _add(lam, len(added))
    assert _policy(lam)[1]["RevisionId"] == revision

    # WHEN one statement is removed
    lam.remove_permission(FunctionName=FUNCTION, StatementId=f"bedrock-cr-poll-rule-{added[0]:04d}")
    # THEN another of the same size fits again, and the policy is still within the quota
    _add(lam, len(added))
    document, _ = _policy(lam)
    assert len(document.encode("utf-8")) <= POLICY_SIZE_LIMIT
    sids = [statement["Sid"] for statement in json.loads(document)["Statement"]]
    assert sids == [f"bedrock-cr-poll-rule-{index:04d}" for index in [*added[1:], len(added)]]


def test_a_duplicate_statement_id_is_still_a_conflict_not_a_size_error(lam):
    # GIVEN a function with one statement
    _add(lam, 0)
    # WHEN the same id is added again
    with pytest.raises(lam.exceptions.ResourceConflictException, match="already exists"):
        _add(lam, 0)
    # THEN the policy holds it once
    document, _ = _policy(lam)
    assert len(json.loads(document)["Statement"]) == 1
