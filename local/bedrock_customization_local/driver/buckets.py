"""A stack's ``AWS::S3::Bucket`` resources, made in moto's S3 under the name their ``Ref`` resolves to.

Why the driver makes these and no other plain resource: a customization job writes into its output bucket (Bedrock's
training metric CSVs, which the emulator puts into moto's S3 as the job trains, and which
``bedrock-customization watch`` reads), so a stack whose bucket does not exist shows no loss curve. Only the bucket is
made, under :func:`~.intrinsics.local_ref`'s name: none of its properties (encryption, versioning, policies, public
access block) is applied, and the resource gets no events of its own; ListStackResources shows it as before.

When, following the stack's status (:func:`follow_stack_status`, called by :class:`~.stack.StackRunner` whenever the
stack's status changes):

- ``CREATE_IN_PROGRESS`` / ``UPDATE_IN_PROGRESS``: every bucket of the template the operation plays is made, before
  any driven resource starts (CloudFormation would make it when its dependencies are done; a bucket's name depending
  on a driven resource, e.g. a custom resource's attribute, cannot be known then, so such a bucket is not made). A
  bucket that already exists (a retained one from an earlier stack of the session) is used as it is.
- ``DELETE_COMPLETE`` / ``ROLLBACK_COMPLETE``: every bucket of the stack's template is deleted with its objects (every
  version and delete marker), after the resources that used it; one whose ``DeletionPolicy`` is ``Retain`` is kept
  (``RetainExceptOnCreate``: kept on delete, deleted when its create rolls back).

Not played: a bucket an update removes, or one a rolled-back update added, stays until the emulator is reset.
CloudFormation refuses to delete a bucket that still holds objects (``BucketNotEmpty``); the driver empties it, as
``autoDeleteObjects`` would, since the emulator writes the job's files into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .errors import DriverError
from .intrinsics import Resolver, local_ref
from .template import StackTemplate

BUCKET = "AWS::S3::Bucket"
#: Stack statuses at which the template's buckets are made, and at which they are deleted.
MAKE_AT = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")
DELETE_AT = ("DELETE_COMPLETE", "ROLLBACK_COMPLETE")
#: Emptying a bucket again when an object arrived meanwhile (the emulator writes a job's files on any S3 request).
EMPTY_ATTEMPTS = 3


@dataclass(frozen=True)
class StackBucket:
    logical_id: str
    name: str
    deletion_policy: str


def stack_buckets(template: StackTemplate, resolver: Resolver) -> list[StackBucket]:
    """The template's buckets whose name is known before any driven resource exists, in template order."""
    return [
        StackBucket(lid, str(local_ref(lid, resource, resolver)), str(resource.get("DeletionPolicy", "Delete")))
        for lid, resource in template.resources.items()
        if resource.get("Type") == BUCKET and not template.driven_dependencies(lid)
    ]


def follow_stack_status(status: str, template: StackTemplate | None, resolver: Resolver, s3: Callable[[], Any]) -> None:
    """Make or delete ``template``'s buckets as the stack's new ``status`` asks (nothing at other statuses);
    ``s3`` gives the S3 client of the session."""
    if template is None or status not in (*MAKE_AT, *DELETE_AT):
        return
    buckets = stack_buckets(template, resolver)
    if not buckets:
        return
    client = s3()
    for bucket in buckets:
        if status in MAKE_AT:
            make_bucket(client, bucket, resolver.env.region)
        elif not _retained(bucket, rolled_back=status == "ROLLBACK_COMPLETE"):
            delete_bucket(client, bucket)


def make_bucket(s3: Any, bucket: StackBucket, region: str) -> None:
    """CreateBucket; one that exists and is the account's own is fine (us-east-1 answers 200 for it anyway)."""
    options: dict[str, Any] = {"Bucket": bucket.name}
    if region != "us-east-1":  # S3 refuses a LocationConstraint of us-east-1 and needs one everywhere else
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**options)
    except ClientError as exc:
        if _code(exc) != "BucketAlreadyOwnedByYou":
            raise _error("CreateBucket", bucket, exc) from exc


def delete_bucket(s3: Any, bucket: StackBucket) -> None:
    """Delete every object version and delete marker, then the bucket; a bucket already gone is fine."""
    for attempt in range(EMPTY_ATTEMPTS):
        try:
            _empty(s3, bucket.name)
            s3.delete_bucket(Bucket=bucket.name)
            return
        except ClientError as exc:
            code = _code(exc)
            if code == "NoSuchBucket":
                return
            if code != "BucketNotEmpty" or attempt == EMPTY_ATTEMPTS - 1:
                raise _error("DeleteBucket", bucket, exc) from exc


def _empty(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
        ]
        if doomed:  # a page holds at most 1,000 keys, DeleteObjects' limit
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})


def _retained(bucket: StackBucket, *, rolled_back: bool) -> bool:
    return bucket.deletion_policy == "Retain" or (bucket.deletion_policy == "RetainExceptOnCreate" and not rolled_back)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _error(action: str, bucket: StackBucket, exc: ClientError) -> DriverError:
    message = exc.response.get("Error", {}).get("Message", "")
    return DriverError(f"{action} {bucket.name} ({bucket.logical_id}, {BUCKET}) failed: {_code(exc)}: {message}")
