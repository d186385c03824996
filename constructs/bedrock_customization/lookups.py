"""Facts read from the jsii kernel once per object and kept on the Python side.

Every read of a CDK object's property, and every call of its methods, is a round trip to the node process (about
0.5 to 1 ms), and a sweep of jobs repeats the same reads for every job: the same stack, the same bucket, the same
timeouts. What never changes for an object (a construct's stack, a bucket's name and ARN, a duration's length) is
read once here and kept, keyed weakly by the Python object, so nothing is kept alive by the cache.

jsii hands back the very Python object for what was created in Python (stacks, constructs) and for the objects a
user passes around (the bucket of a sweep); an object only the kernel holds may come back as a fresh proxy, which
merely misses the cache. An object that cannot be a weak key (or is not hashable) is simply not cached.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import IConstruct, Node

from .validation import is_unresolved

T = TypeVar("T")

_stacks: weakref.WeakKeyDictionary[Any, Stack] = weakref.WeakKeyDictionary()
_durations: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_buckets: weakref.WeakKeyDictionary[Any, BucketFacts] = weakref.WeakKeyDictionary()
_object_arns: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def cached(cache: weakref.WeakKeyDictionary[Any, T], key: object, compute: Callable[[], T]) -> T:
    """``cache[key]``, computed on first use; computed every time for a key that cannot be weakly referenced."""
    try:
        return cache[key]
    except KeyError:
        value = compute()
        cache[key] = value
        return value
    except TypeError:  # not hashable or not weakly referenceable: read it every time
        return compute()


def stack_of(scope: IConstruct) -> Stack:
    """``Stack.of(scope)``: a construct's stack never changes, and a stack is its own."""
    if isinstance(scope, Stack):
        return scope
    return cached(_stacks, scope, lambda: Stack.of(scope))


_arn_parts: weakref.WeakKeyDictionary[Any, tuple[str, str, str]] = weakref.WeakKeyDictionary()


def arn_parts(stack: Stack) -> tuple[str, str, str]:
    """The stack's partition, region and account (tokens, or its own values), as ``format_arn`` joins them."""
    return cached(_arn_parts, stack, lambda: (stack.partition, stack.region, stack.account))


def _duration_facts(duration: Duration) -> dict[str, Any]:
    return cached(_durations, duration, dict)


def duration_is_unresolved(duration: Duration) -> bool:
    """``is_unresolved(duration)``, asked once per duration."""
    facts = _duration_facts(duration)
    if "unresolved" not in facts:
        facts["unresolved"] = is_unresolved(duration)
    return bool(facts["unresolved"])


def duration_seconds(duration: Duration) -> float:
    """``duration.to_seconds(integral=False)``, asked once per duration (raises as it does for a token)."""
    facts = _duration_facts(duration)
    if "seconds" not in facts:
        facts["seconds"] = duration.to_seconds(integral=False)
    return float(facts["seconds"])


@dataclass(frozen=True)
class BucketFacts:
    """What the constructs read of a bucket: all of it fixed when the bucket is defined."""

    name: str
    arn: str
    #: The name is a token (a bucket of this stack, or a name given as a parameter).
    name_is_unresolved: bool
    encryption_key: kms.IKey | None
    #: The encryption key's ARN (None without a key).
    key_arn: str | None


def bucket_facts(bucket: s3.IBucket) -> BucketFacts:
    def read() -> BucketFacts:
        name = bucket.bucket_name
        key = bucket.encryption_key
        return BucketFacts(
            name=name,
            arn=bucket.bucket_arn,
            name_is_unresolved=is_unresolved(name),
            encryption_key=key,
            key_arn=key.key_arn if key is not None else None,
        )

    return cached(_buckets, bucket, read)


def objects_arn(bucket: s3.IBucket, key_pattern: str) -> str:
    """``bucket.arn_for_objects(key_pattern)``, asked once per bucket and pattern."""
    arns = cached(_object_arns, bucket, dict)
    if key_pattern not in arns:
        arns[key_pattern] = bucket.arn_for_objects(key_pattern)
    return arns[key_pattern]


_default_policies: weakref.WeakKeyDictionary[Any, IConstruct | None] = weakref.WeakKeyDictionary()


def default_policy(role: IConstruct) -> IConstruct | None:
    """The role's ``DefaultPolicy`` child (what grants on it create), or None while it has none: once found, kept
    (it is never removed)."""
    policy = cached(_default_policies, role, lambda: role.node.try_find_child("DefaultPolicy"))
    if policy is None:  # not there yet: ask again next time
        with contextlib.suppress(TypeError):
            _default_policies.pop(role, None)
    return policy


_nodes: weakref.WeakKeyDictionary[Any, Node] = weakref.WeakKeyDictionary()


def node_of(construct: IConstruct) -> Node:
    """``construct.node``, read once per construct (jsii hands back a new proxy of the same node at every read)."""
    return cached(_nodes, construct, lambda: construct.node)


_default_children: weakref.WeakKeyDictionary[Any, IConstruct | None] = weakref.WeakKeyDictionary()


def default_child(construct: IConstruct) -> IConstruct | None:
    """``construct.node.default_child`` (a role's CfnRole, a policy's CfnPolicy), read once per construct: an L2's
    resource is created with it and never replaced."""
    return cached(_default_children, construct, lambda: node_of(construct).default_child)


def add_statement(role: iam.IRole, statement: iam.PolicyStatement) -> None:
    """``role.add_to_principal_policy(statement)``, in one round trip for a role created in the app: that method
    answers a struct whose two fields jsii then reads one round trip each; ``Role.add_to_policy`` does the same and
    answers a boolean (an imported role has only the former)."""
    if isinstance(role, iam.Role):
        role.add_to_policy(statement)
    else:
        role.add_to_principal_policy(statement)
