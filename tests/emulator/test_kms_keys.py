"""KMS keys under a chosen id (``ensure_kms_key``): moto's own Encrypt and Decrypt behind the id a template names."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

CONTEXT = {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "RequestId": "r-1"}


@pytest.fixture
def kms(emu):
    return boto3.client("kms", endpoint_url=emu.endpoint_url, region_name="us-east-1")


def test_a_key_made_under_a_chosen_id_encrypts_and_decrypts_with_its_context_only(emu, kms):
    key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "kms/test/PollKey"))
    made = emu.controls.ensure_kms_key(key_id, description="poll key", rotation=True)

    arn = f"arn:aws:kms:us-east-1:123456789012:key/{key_id}"
    assert made == {"KeyId": key_id, "Arn": arn, "Created": True}
    described = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert described["KeyId"] == key_id and described["Description"] == "poll key"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    blob = kms.encrypt(KeyId=arn, Plaintext=b"https://x/y", EncryptionContext=CONTEXT)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT, KeyId=arn)["Plaintext"] == b"https://x/y"
    with pytest.raises(ClientError, match="InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={**CONTEXT, "RequestId": "r-2"}, KeyId=arn)


def test_ensuring_an_existing_key_keeps_it_and_what_it_encrypted(emu, kms):
    key_id = str(uuid.uuid4())
    emu.controls.ensure_kms_key(key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]

    assert emu.controls.ensure_kms_key(key_id)["Created"] is False
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_a_key_id_that_kms_would_not_make_is_refused(emu):
    with pytest.raises(ValueError, match="not a KMS key id"):
        emu.controls.ensure_kms_key("PollKey")
