"""Bedrock's string patterns, explained in words for the values users type most.

A regular expression of 400 characters tells a user little about their job name. aws-cdk's ``Bucket`` answers an
invalid bucket name with the value and one line per broken rule (``Invalid S3 bucket name (value: My_Bucket)`` then
``Bucket name must only contain lowercase characters...``); this module does the same for the members of
``CreateModelCustomizationJob`` and ``CreateCustomModel`` whose values users write by hand: job and model names, S3
URIs, KMS keys, role ARNs and base model identifiers (keyed by the botocore shape name, so every member of that
shape is explained). The pattern itself stays in the message as a secondary hint; for other shapes it is the hint.

Every check is a plain string test on a value already known not to match the pattern: no regular expression that
could backtrack on a hostile value.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable

_LOWER_DIGITS = frozenset(string.ascii_lowercase + string.digits)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_KEY_CHARS = _ALNUM | frozenset("-!_*'().")
#: Longest value shown as it is; longer ones show their start and end (a value's end is often where it went wrong).
_SHOW_LIMIT = 80


def show(value: str) -> str:
    """``value`` quoted, cut to its start and end when long, with its length."""
    if len(value) <= _SHOW_LIMIT:
        return repr(value)
    return f"{value[:55]!r}...{value[-20:]!r} ({len(value)} characters)"


def _found(chars: Iterable[str]) -> str:
    unique = sorted(set(chars))
    shown = ", ".join(repr(c) for c in unique[:6])
    return f"found {shown}{', ...' if len(unique) > 6 else ''}"


def _outside(value: str, allowed: frozenset[str]) -> list[str]:
    return [c for c in value if c not in allowed]


def _job_name(value: str) -> list[str]:
    rules = []
    if value[:1] not in _ALNUM:
        rules.append(f"must start with a letter or digit (starts with {value[:1]!r})")
    if bad := _outside(value[1:], _ALNUM | frozenset("+-.")):
        rules.append(f"may contain only letters, digits, '+', '-' and '.' ({_found(bad)})")
    return rules


def _model_name(value: str) -> list[str]:
    rules = []
    if value[:1] not in _ALNUM:
        rules.append(f"must start with a letter or digit (starts with {value[:1]!r})")
    if bad := _outside(value, _ALNUM | frozenset("_-")):
        rules.append(f"may contain only letters, digits, '_' and '-' ({_found(bad)})")
    doubled = [value[i : i + 2] for i in range(len(value) - 1) if value[i] in "_-" and value[i + 1] in "_-"]
    if doubled:
        rules.append(f"must not have two '_' or '-' in a row ({_found(doubled)})")
    return rules


def _s3_uri(value: str) -> list[str]:
    if not value.startswith("s3://"):
        return [f"must start with s3:// followed by the bucket name (starts with {value[:8]!r})"]
    bucket, _, key = value[5:].partition("/")
    rules = []
    if not 3 <= len(bucket) <= 63:
        rules.append(f"bucket name must be 3 to 63 characters (got {len(bucket)})")
    if bad := _outside(bucket, _LOWER_DIGITS | frozenset(".-")):
        rules.append(f"bucket name may contain only lowercase letters, digits, '.' and '-' ({_found(bad)})")
    if bucket and (bucket[0] not in _LOWER_DIGITS or bucket[-1] not in _LOWER_DIGITS):
        rules.append("bucket name must start and end with a lowercase letter or digit")
    if bad := _outside(key.replace("/", ""), _KEY_CHARS):
        rules.append(f"key may contain only letters, digits and - ! _ * ' ( ) . between '/' ({_found(bad)})")
    if "//" in key or key.startswith("/"):
        rules.append("key must not have an empty part between two '/'")
    return rules


def _role_arn(value: str) -> list[str]:
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[1].startswith("aws") or parts[2] != "iam":
        return ["must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"]
    rules = []
    if parts[3]:
        rules.append(f"IAM ARNs have no region (got {parts[3]!r} between 'iam:' and the account)")
    if parts[4] and not (len(parts[4]) == 12 and parts[4].isdigit()):
        rules.append(f"the account must be 12 digits (got {parts[4]!r})")
    if not parts[5].startswith("role/") or len(parts[5]) == len("role/"):
        rules.append(f"the resource must be role/<name> (got {parts[5]!r})")
    return rules or ["must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"]


_KEY_FORMS = (
    "a key ARN (arn:aws:kms:<region>:<account>:key/<36-character key id>), an alias ARN, a 36-character key id, "
    "or alias/<name> (letters, digits, '-', '_' and '/')"
)


def _kms_key_id(value: str) -> list[str]:
    name = value.partition("alias/")[2] if "alias/" in value else None
    if name is not None and (bad := _outside(name, _ALNUM | frozenset("-_/"))):
        return [f"an alias name may contain only letters, digits, '-', '_' and '/' ({_found(bad)})"]
    return [f"must be {_KEY_FORMS}"]


def _kms_key_arn(value: str) -> list[str]:
    if "alias/" in value or not value.startswith("arn:"):
        return ["must be a key ARN, arn:aws:kms:<region>:<account>:key/<36-character key id> (not an alias or key id)"]
    return ["must be arn:aws:kms:<region>:<12-digit account>:key/<36-character key id>"]


#: What a customization job can start from, in the words of the message that refuses anything else.
BASE_MODEL_FORMS = (
    "a foundation model id (provider.model[:version], e.g. amazon.nova-micro-v1:0:128k) or its foundation-model ARN, "
    "or a model an earlier customization job produced (a job's .model, its custom-model/<base model id>/<id> ARN, or "
    "its name)"
)


def _base_model(value: str) -> list[str]:
    if "custom-model/imported/" in value:
        return [
            "a custom model registered from model artifacts (custom-model/imported/...) cannot be customized further; "
            f"use {BASE_MODEL_FORMS}"
        ]
    rules = [f"must be {BASE_MODEL_FORMS}"]
    if bad := _outside(value, _LOWER_DIGITS | frozenset(string.ascii_uppercase + "-._:/")):
        rules.insert(0, f"may contain only letters, digits, '-', '.', '_', ':' and '/' ({_found(bad)})")
    return rules


#: botocore shape name -> (what the value should be, the rules it breaks).
EXPLAINED: dict[str, tuple[str, Callable[[str], list[str]]]] = {
    "JobName": ("a valid job name", _job_name),
    "CustomModelName": ("a valid custom model name", _model_name),
    "S3Uri": ("a valid S3 URI", _s3_uri),
    "RoleArn": ("a valid IAM role ARN", _role_arn),
    "KmsKeyId": ("a valid KMS key", _kms_key_id),
    "KmsKeyArn": ("a valid KMS key ARN", _kms_key_arn),
    "BaseModelIdentifier": ("a valid base model identifier", _base_model),
}


def explain(shape_name: str, value: str) -> tuple[str, list[str]] | None:
    """(what ``value`` should be, one line per rule it breaks) for a shape explained here, else None."""
    entry = EXPLAINED.get(shape_name)
    if entry is None:
        return None
    what, rules = entry
    return what, rules(value) or [f"must be {what}"]
