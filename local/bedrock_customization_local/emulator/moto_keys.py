"""KMS keys in moto under an id chosen by the caller, so that a locally resolved template and moto agree on a key.

Why: moto's CreateKey draws a random key id (moto 5.2.5 offers no custom-id tag for KMS). A CloudFormation driver
gives a template's ``AWS::KMS::Key`` its id (``Ref``, and the ``Arn`` attribute) before anything runs, and the
provider it runs encrypts with that ARN (the response URL of its poll inputs): the key must exist in moto under that
very id, with moto's real Encrypt and Decrypt behind it (AES-GCM with the encryption context as authenticated data,
so a wrong context or a tampered ciphertext fails as in KMS). The key is made by moto's own CreateKey and then filed
under the chosen id.
"""

from __future__ import annotations

import re
from typing import Any

from .state import ACCOUNT_ID

_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def ensure_key(
    key_id: str,
    *,
    region: str,
    description: str = "",
    policy: str | None = None,
    rotation: bool = False,
    account: str = ACCOUNT_ID,
) -> dict[str, Any]:
    """A symmetric ENCRYPT_DECRYPT key ``key_id`` (a UUID, as KMS ids are) in moto; one that exists is kept as it is.

    Returns ``{"KeyId", "Arn", "Created"}``."""
    from moto.kms.models import kms_backends

    if not _KEY_ID.match(key_id):
        raise ValueError(f"key id {key_id!r} is not a KMS key id (a lowercase UUID)")
    backend = kms_backends[account][region]
    existing = backend.keys.get(key_id)
    if existing is not None:
        return {"KeyId": key_id, "Arn": existing.arn, "Created": False}
    key = backend.create_key(policy, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", description, None)
    del backend.keys[key.id]
    key.id = key_id
    key.arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    backend.keys[key_id] = key
    if rotation:
        backend.enable_key_rotation(key_id)
    return {"KeyId": key_id, "Arn": key.arn, "Created": True}
