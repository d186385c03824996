"""The response URL in crhelper's poll inputs, encrypted with the stack's own KMS key and bound to its request.

Why: crhelper re-invokes the function for each poll through an EventBridge rule whose target input is the request's
event, presigned response URL included. That URL is a bearer credential (whoever holds it can answer the request:
SUCCESS for a job that never ran, FAILED for one that did), and EventBridge shows a target's input to anyone allowed
``events:ListTargetsByRule``. So a poll input carries the URL only as KMS ciphertext under the stack's key (which only
the provider's role may use), with the request's stack id, logical id and request id as encryption context, and a
digest of every other field of the poll input (:data:`DIGEST_KEY`): a ciphertext moved into another request's poll,
altered or made up does not decrypt, nor does one whose poll was altered in any field (its request type, its
physical id, crhelper's data), and that poll is dropped.

Templates synthesized before the key existed set no :data:`~.contract.ENV_POLL_KEY_ARN`: their polls carry the URL
in the clear, as before, and are accepted that way.

Example::

    secret = PollSecret(kms_client, key_arn)
    sealed = secret.seal(poll)  # no ResponseURL, a ResponseCiphertext instead
    secret.unseal(sealed)  # the poll again, ResponseURL restored; PollSecretError if it does not decrypt
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .errors import PollSecretError, error_code

#: The poll input's field that replaces ``ResponseURL``: base64 of KMS Encrypt's CiphertextBlob.
CIPHERTEXT_KEY = "ResponseCiphertext"
#: The event's fields that make up the encryption context (one request of one resource of one stack).
CONTEXT_KEYS = ("StackId", "LogicalResourceId", "RequestId")
#: The encryption context's member that binds the rest of the poll input: :func:`poll_digest`.
DIGEST_KEY = "PollDigest"
#: Bytes a KMS ciphertext blob adds to its plaintext, at most (a symmetric key's blob carries a header with the key's
#: identity, a nonce and an authentication tag: well under this). The size check before anything starts counts it.
CIPHERTEXT_OVERHEAD_BYTES = 256


def encryption_context(event: Mapping[str, Any]) -> dict[str, str]:
    """The encryption context of the poll ``event``: its request's ids and :func:`poll_digest`; PollSecretError when
    one of its ids is not a string."""
    missing = [key for key in CONTEXT_KEYS if not isinstance(event.get(key), str) or not event.get(key)]
    if missing:
        raise PollSecretError(f"{', '.join(missing)} missing or not a string")
    return {**{key: event[key] for key in CONTEXT_KEYS}, DIGEST_KEY: poll_digest(event)}


def poll_digest(poll: Mapping[str, Any]) -> str:
    """SHA-256 of every field of ``poll`` but the URL and its ciphertext, as canonical JSON: the same for the poll
    sealed and for the poll EventBridge delivers (its input is that poll's JSON), different once anything changed."""
    rest = {key: value for key, value in poll.items() if key not in ("ResponseURL", CIPHERTEXT_KEY)}
    try:
        canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError) as exc:  # not JSON (a delivered poll always is)
        raise PollSecretError("the poll is not plain JSON") from exc
    return hashlib.sha256(canonical.encode()).hexdigest()


def sealed_length(response_url: str) -> int:
    """Characters of the ciphertext field for ``response_url``, at most (base64 of the URL and the KMS overhead)."""
    return 4 * math.ceil((len(response_url.encode()) + CIPHERTEXT_OVERHEAD_BYTES) / 3)


@dataclass(frozen=True)
class PollSecret:
    """Seals and unseals the response URL of poll events with the KMS key ``key_arn``."""

    kms: Any
    key_arn: str

    def seal(self, poll: Mapping[str, Any]) -> dict[str, Any]:
        """``poll`` without its ``ResponseURL``, which it carries as :data:`CIPHERTEXT_KEY` instead."""
        answer = self.kms.encrypt(
            KeyId=self.key_arn,
            Plaintext=str(poll["ResponseURL"]).encode(),
            EncryptionContext=encryption_context(poll),
        )
        sealed = {key: value for key, value in poll.items() if key != "ResponseURL"}
        sealed[CIPHERTEXT_KEY] = base64.b64encode(answer["CiphertextBlob"]).decode()
        return sealed

    def unseal(self, poll: Mapping[str, Any]) -> dict[str, Any]:
        """``poll`` with its ``ResponseURL`` decrypted; PollSecretError (saying why, never what) when it does not
        decrypt with this key for exactly this request, or carries a URL in the clear."""
        if "ResponseURL" in poll:
            raise PollSecretError("it carries a response URL in the clear (this stack's polls carry it encrypted)")
        ciphertext = poll.get(CIPHERTEXT_KEY)
        if not isinstance(ciphertext, str) or not ciphertext:
            raise PollSecretError(f"{CIPHERTEXT_KEY} missing or not a string")
        context = encryption_context(poll)
        try:
            blob = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PollSecretError(f"{CIPHERTEXT_KEY} is not base64") from exc
        if not blob:
            raise PollSecretError(f"{CIPHERTEXT_KEY} is empty")
        try:
            answer = self.kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=self.key_arn)
        except ClientError as exc:  # InvalidCiphertextException: another request's, altered or made up
            raise PollSecretError(f"KMS did not decrypt it for this request ({error_code(exc) or 'error'})") from exc
        try:
            url = answer["Plaintext"].decode()
        except UnicodeDecodeError as exc:
            raise PollSecretError("its decrypted response URL is not text") from exc
        unsealed = {key: value for key, value in poll.items() if key != CIPHERTEXT_KEY}
        unsealed["ResponseURL"] = url
        return unsealed

    @staticmethod
    def stand_in(poll: Mapping[str, Any]) -> dict[str, Any]:
        """``poll`` as :meth:`seal` will shape it, with a ciphertext of the largest size it can have: for the size
        check before anything starts (no KMS call)."""
        stand_in = {key: value for key, value in poll.items() if key != "ResponseURL"}
        stand_in[CIPHERTEXT_KEY] = "A" * sealed_length(str(poll.get("ResponseURL", "")))
        return stand_in
