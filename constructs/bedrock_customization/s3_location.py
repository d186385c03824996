"""S3 locations given either as an ``s3.IBucket`` plus key or as an ``s3://`` URI string.

Bedrock takes S3 URIs; IAM wants ARNs. :class:`S3Location` is what a user writes; :func:`resolve_s3` turns either
form into both, so the service role can be scoped to exactly the data a job reads and the prefix it writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Aws, Fn
from aws_cdk import aws_s3 as s3

from .lookups import bucket_facts, objects_arn
from .validation import is_unresolved

#: Stands in for a bucket name only CloudFormation knows, so the key part of a URI is still checked at synth time.
PLACEHOLDER_BUCKET = "unresolved-bucket"
_URI = re.compile(r"^s3://([^/]+)(?:/(.*))?$")


@dataclass(frozen=True)
class S3Location:
    """An object or prefix in a bucket of your stack (or imported with ``s3.Bucket.from_bucket_name``).

    Example::

        S3Location(bucket, "train/data.jsonl")   # one object
        S3Location(bucket, "output/")            # a prefix
    """

    bucket: s3.IBucket
    #: Object key or prefix; empty means the whole bucket.
    key: str = ""


S3Input = S3Location | str


@dataclass(frozen=True)
class ResolvedS3:
    """An S3 location in the forms the API, the validator and IAM need."""

    #: The ``s3://`` URI rendered into the template (may contain tokens).
    uri: str
    #: The URI the synth-time validator sees: unresolved bucket names are replaced so the key is still checked.
    validation_uri: str
    #: ARN of the bucket (for ``s3:ListBucket``).
    bucket_arn: str
    #: ARN pattern of the objects under the key (for ``s3:GetObject`` / ``s3:PutObject``).
    objects_arn: str
    #: The bucket when given as a construct (its encryption key gets grants too).
    bucket: s3.IBucket | None = None
    #: The key (or key prefix) every object of the location starts with: ``s3:ListBucket`` is conditioned on it
    #: (``s3:prefix``). None: the whole bucket, or a URI only CloudFormation knows.
    key_prefix: str | None = None


def resolve_s3(location: S3Input) -> ResolvedS3:
    """Resolve either input form; never raises (a malformed URI is reported by the shape validator)."""
    if isinstance(location, S3Location):
        return _from_bucket(location.bucket, location.key)
    return _from_uri(location)


def _from_bucket(bucket: s3.IBucket, key: str) -> ResolvedS3:
    # The bucket's facts are read once per bucket: a sweep names the same bucket in every job (lookups.py).
    facts = bucket_facts(bucket)
    uri = f"s3://{facts.name}/{key}"
    validation_uri = f"s3://{PLACEHOLDER_BUCKET}/{key}" if facts.name_is_unresolved else uri
    return ResolvedS3(
        uri=uri,
        validation_uri=validation_uri,
        bucket_arn=facts.arn,
        objects_arn=objects_arn(bucket, f"{key}*"),
        bucket=bucket,
        key_prefix=key or None,
    )


def _from_uri(uri: str) -> ResolvedS3:
    match = None if is_unresolved(uri) else _URI.match(uri)
    if match is None:
        # A token URI (or a malformed one, reported elsewhere): take the bucket from the third "/" field at deploy
        # time and grant on all its objects, the narrowest scope that is still correct.
        bucket_name = Fn.select(2, Fn.split("/", uri)) if is_unresolved(uri) else PLACEHOLDER_BUCKET
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{bucket_name}"
        return ResolvedS3(uri=uri, validation_uri=uri, bucket_arn=bucket_arn, objects_arn=f"{bucket_arn}/*")
    bucket_name, key = match.group(1), match.group(2) or ""
    bucket_arn = f"arn:{Aws.PARTITION}:s3:::{bucket_name}"
    return ResolvedS3(
        uri=uri, validation_uri=uri, bucket_arn=bucket_arn, objects_arn=f"{bucket_arn}/{key}*", key_prefix=key or None
    )
