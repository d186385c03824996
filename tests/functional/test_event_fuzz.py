"""Property-based tests: thousands of generated and mutated events through one warm provider.

Every event starts from a real sample (``tests/events/*.json``: jobs and models; Create, Update, Delete) and is
mutated: keys dropped, wrong JSON types at any path, unknown keys, strings up to and past the service model's maximum
lengths, unicode, invalid enum values, wrong request types, broken envelopes, non-object events, property blocks
generated from Bedrock's own input shapes; and crhelper's polls, forged in every field. The properties:

1. the handler returns (never raises, never hangs) and no answer is "Unexpected error";
2. an event with a valid envelope gets exactly one response across its first invocation and its polls, PUT to its own
   ResponseURL and naming its own request (crhelper keeps state between invocations: one warm runtime takes them
   all); an event with an invalid envelope, or a poll altered in any way, gets none and calls nothing;
3. invalid properties are answered FAILED, nothing at all is called (recorded on botocore's hooks, before any
   validation), and the reason names the offending field (the share is reported, and must be at least 95 %);
4. a valid Create starts at most one job or model.

AWS answers through botocore's own hooks (:class:`FakeAws`, after botocore has validated the request): whatever the
provider asks of Bedrock, EventBridge or Lambda is answered as the service would, so a valid mutated event runs to its
end (its polls included) and only the provider's own decisions are tested. Example counts are fixed and there is no
deadline: nothing depends on the machine's speed; ``derandomize`` makes every run (and CI's) the same.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import botocore.model
import pytest
from bedrock_customization_provider import contract, handler, poll_secret, shapes
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EVENTS = Path(__file__).resolve().parent.parent / "events"
ACCOUNT = "123456789012"
STACK_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f"
OPERATIONS = {
    contract.JOB_RESOURCE_TYPE: "CreateModelCustomizationJob",
    contract.MODEL_RESOURCE_TYPE: "CreateCustomModel",
}
SAMPLE_NAMES = ("job_create", "job_update", "job_delete", "model_create", "model_update", "model_delete")
#: Stands for the response URL until an event is sent; then each event gets its own (``&fuzz=<n>``).
URL_MARK = "https://response.mark/"
#: Calls that start, stop, delete or tag something (Bedrock), or schedule polls.
ACTING = frozenset(
    {
        "CreateModelCustomizationJob",
        "CreateCustomModel",
        "StopModelCustomizationJob",
        "DeleteCustomModel",
        "TagResource",
        "UntagResource",
        "PutRule",
        "AddPermission",
        "PutTargets",
        "EnableRule",
    }
)
STARTING = frozenset({"CreateModelCustomizationJob", "CreateCustomModel"})
#: Members the provider fills in when they are absent (so dropping them is valid).
GENERATED = frozenset({"jobName", "customModelName", "modelName", "clientRequestToken"})
#: Members that are required by a rule the shape does not express, and the field the reason names when they are gone.
SEMANTIC_REQUIRED = {
    ("CreateModelCustomizationJob", ("trainingDataConfig", "s3Uri")): "trainingDataConfig",
    ("CreateCustomModel", ("modelSourceConfig",)): "modelSourceConfig",
    ("CreateCustomModel", ("roleArn",)): "roleArn",
}
#: The poll interval the harness sets (1 minute): the shortest ServiceTimeout is one interval plus slack, plus one.
SHORTEST_SERVICE_TIMEOUT = 60 + contract.POLL_SLACK_SECONDS + 1

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}
#: Example counts (the file runs in well under a minute on 2 cores).
MUTATED_EXAMPLES = 3000
GENERATED_EXAMPLES = 200
FORGED_POLL_EXAMPLES = 500


def sample(name: str) -> dict:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event["ResponseURL"] = URL_MARK
    return event


SAMPLES = {name: sample(name) for name in SAMPLE_NAMES}


# --- AWS, answered on botocore's hooks -------------------------------------------------------------------------------
class FakeAws:
    """Bedrock, EventBridge and Lambda answered as the services would (``before-call``, after botocore validated the
    request), so any event the provider accepts runs to its end. Jobs are InProgress on a first invocation and
    Completed on a poll; models are Active; nothing is tagged or listed."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        self.phase = "first"
        self.started: dict[str, dict] = {}
        clients = harness.runtime.clients
        self.clients = (clients.bedrock, clients.events, clients.lambda_, clients.cloudformation)
        self.stubbers = (harness.bedrock, harness.events, harness.lambda_, harness.cloudformation)

    def __enter__(self) -> FakeAws:
        for stubber in self.stubbers:  # the harness's Stubbers answer queued calls only; this answers every call
            stubber.deactivate()
        for client in self.clients:
            client.meta.events.register("before-parameter-build.*.*", self._keep_params, unique_id="fake-aws-params")
            client.meta.events.register("before-call.*.*", self._answer, unique_id="fake-aws-answer")
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-parameter-build.*.*", unique_id="fake-aws-params")
            client.meta.events.unregister("before-call.*.*", unique_id="fake-aws-answer")
        for stubber in self.stubbers:
            stubber.activate()

    @staticmethod
    def _keep_params(params: dict, context: dict, **_: Any) -> None:
        context["fake_aws_params"] = copy.deepcopy(params)

    def _answer(self, model: botocore.model.OperationModel, context: dict, **_: Any) -> tuple[AWSResponse, dict]:
        params = context["fake_aws_params"]
        name = model.name
        h = self.harness
        if name == "CreateModelCustomizationJob":
            arn = h.JOB_ARN.rsplit("/", 1)[0] + "/" + os.urandom(6).hex()
            self.started[arn] = params
            return ok({"jobArn": arn})
        if name == "CreateCustomModel":
            arn = h.IMPORTED_MODEL_ARN.rsplit("/", 1)[0] + "/" + os.urandom(6).hex()
            self.started[arn] = params
            return ok({"modelArn": arn})
        if name == "GetModelCustomizationJob":
            job = params["jobIdentifier"]
            mine = self.started.get(job, {})
            extra = {k: mine[k] for k in ("jobName", "clientRequestToken") if k in mine}
            status = "InProgress" if self.phase == "first" else "Completed"
            return ok(h.job_description(status, arn=job if job.startswith("arn:") else h.JOB_ARN, **extra))
        if name == "GetCustomModel":
            model_id = params["modelIdentifier"]
            arn = model_id if model_id.startswith("arn:") else h.IMPORTED_MODEL_ARN
            return ok(h.model_description("Active", arn=arn))
        answers = {
            "ListTagsForResource": {"tags": []},
            "ListModelCustomizationJobs": {"modelCustomizationJobSummaries": []},
            "ListCustomModels": {"modelSummaries": []},
            "StopModelCustomizationJob": {},
            "DeleteCustomModel": {},
            "TagResource": {},
            "UntagResource": {},
            "PutRule": {"RuleArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{params.get('Name')}"},
            "PutTargets": {"FailedEntryCount": 0, "FailedEntries": []},
            "RemoveTargets": {"FailedEntryCount": 0, "FailedEntries": []},
            "DeleteRule": {},
            "EnableRule": {},
            "AddPermission": {"Statement": "{}"},
            "RemovePermission": {},
        }
        if name in answers:
            return ok(answers[name])
        error = {"Code": "NotAnsweredByTheFake", "Message": name}
        return AWSResponse(None, 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}


def ok(body: dict) -> tuple[AWSResponse, dict]:
    return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}


# --- what a case expects --------------------------------------------------------------------------------------------
INVALID = "invalid"  # FAILED, nothing called, the reason names `field`
DROPPED = "dropped"  # no response at all, nothing called
ANY = "any"  # valid or not: the general properties only


@dataclass
class Case:
    event: Any
    expect: str
    field: str = ""
    what: str = ""


@dataclass
class Tally:
    """What a run saw: cases by expectation and mutation, answers, and invalid cases whose reason named the field."""

    cases: Counter
    statuses: Counter
    named: int = 0
    invalid: int = 0
    unnamed: list[tuple[str, str, str]] | None = None

    @classmethod
    def new(cls) -> Tally:
        return cls(Counter(), Counter(), unnamed=[])

    @property
    def share(self) -> float:
        return self.named / self.invalid if self.invalid else 1.0


# --- JSON values -----------------------------------------------------------------------------------------------------
#: Any text JSON can carry (lone surrogates cannot be encoded as UTF-8, so CloudFormation never sends them).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
UNICODE = st.text(st.characters(exclude_categories=("Cs",), min_codepoint=0x80), min_size=1, max_size=40)
NUMBERS = st.integers(min_value=-(2**63), max_value=2**64) | st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6
)
NOT_OBJECTS = JSON.filter(lambda v: not isinstance(v, dict))
WRONG_FOR = {
    "string": st.booleans() | NUMBERS | st.lists(SCALARS, max_size=2) | st.dictionaries(TEXT, SCALARS, max_size=2),
    "structure": st.booleans() | NUMBERS | TEXT | st.lists(SCALARS, max_size=2),
    "map": st.booleans() | NUMBERS | TEXT | st.lists(SCALARS, max_size=2),
    "list": st.booleans() | NUMBERS | TEXT | st.dictionaries(TEXT, SCALARS, max_size=2),
}
#: Names no shape and no provider key has (unknown keys); never "source" (that would make a long-wait trigger).
UNKNOWN_NAMES = st.sampled_from(["foo", "Foo", "jobname", "roleARN", "s3uri", "extra", "__proto__", "ñandú", "🙂"])
UNKNOWN_NAMES = UNKNOWN_NAMES | TEXT


# --- paths into a sample's properties along Bedrock's input shape ----------------------------------------------------
@dataclass(frozen=True)
class ShapePath:
    path: tuple  # keys and list indexes from ResourceProperties
    shape: botocore.model.Shape
    notation: str  # as the provider names it: a.b[0].c, m["key"]
    parent: botocore.model.Shape | None


def shape_paths(operation: str, properties: dict) -> list[ShapePath]:
    """Every value of ``properties`` that is a member of ``operation``'s input, with its shape."""
    found: list[ShapePath] = []

    def walk(shape: botocore.model.Shape, value: Any, path: tuple, notation: str, parent: Any) -> None:
        if path:
            found.append(ShapePath(path, shape, notation, parent))
        if shape.type_name == "structure" and isinstance(value, dict):
            for key, item in value.items():
                if key in shape.members:
                    walk(shape.members[key], item, (*path, key), f"{notation}.{key}" if notation else key, shape)
        elif shape.type_name == "list" and isinstance(value, list):
            for index, item in enumerate(value):
                walk(shape.member, item, (*path, index), f"{notation}[{index}]", shape)
        elif shape.type_name == "map" and isinstance(value, dict):
            for key, item in value.items():
                walk(shape.value, item, (*path, key), f'{notation}["{key}"]', shape)

    walk(shapes.input_shape(operation), properties, (), "", None)
    return found


def get_at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def set_at(value: Any, path: tuple, new: Any) -> None:
    get_at(value, path[:-1])[path[-1]] = new


def drop_at(value: Any, path: tuple) -> None:
    del get_at(value, path[:-1])[path[-1]]


def json_paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every path in a JSON value (the root excluded)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from json_paths(item, (*path, index))


def envelope_fine(event: Any) -> bool:
    """The envelope CloudFormation always sends (the oracle, written from its documentation, not from the provider)."""
    if not isinstance(event, dict):
        return False
    if any(not isinstance(event.get(k), str) or not event[k] for k in ENVELOPE_KEYS):
        return False
    if event["ResponseURL"] != URL_MARK or event["StackId"] != STACK_ID:
        return False
    return all(isinstance(event[k], dict) for k in ("ResourceProperties", "OldResourceProperties") if k in event)


# --- mutations -------------------------------------------------------------------------------------------------------
ENVELOPE_KEYS = ("ResponseURL", "StackId", "RequestType", "RequestId", "LogicalResourceId", "ResourceType")
Draw = Callable[[st.SearchStrategy], Any]


def properties_case(draw: Draw, name: str, event: dict) -> tuple[str, dict, list[ShapePath]] | None:
    """The operation and new properties of a Create or Update (None for a Delete: its properties are not checked)."""
    if event["RequestType"] == "Delete":
        return None
    operation = OPERATIONS[event["ResourceType"]]
    properties = event["ResourceProperties"]
    return operation, properties, shape_paths(operation, properties)


def mutate_drop(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None:
        return mutate_anywhere(draw, name, event)
    operation, properties, paths = found
    required = []
    for p in paths:
        key = p.path[-1]
        if (operation, p.path) in SEMANTIC_REQUIRED:
            required.append((p, SEMANTIC_REQUIRED[operation, p.path]))
        elif p.parent is not None and p.parent.type_name == "structure" and p.parent.metadata.get("union"):
            required.append((p, p.notation.rsplit(".", 1)[0]))  # the union's only member: the union is named
        elif (
            isinstance(key, str)
            and p.parent is not None
            and p.parent.type_name == "structure"
            and key in p.parent.required_members
            and not (len(p.path) == 1 and key in GENERATED)
        ):
            required.append((p, p.notation))
    chosen, field = draw(st.sampled_from(required))
    if draw(st.booleans()):
        drop_at(properties, chosen.path)
        what = "drop required"
    else:
        set_at(properties, chosen.path, None)
        what = "null required"
    return Case(event, INVALID, field, what)


def mutate_wrong_type(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None:
        return mutate_anywhere(draw, name, event)
    _, properties, paths = found
    chosen = draw(st.sampled_from([p for p in paths if p.shape.type_name in WRONG_FOR]))
    set_at(properties, chosen.path, draw(WRONG_FOR[chosen.shape.type_name]))
    return Case(event, INVALID, chosen.notation, f"wrong type for {chosen.shape.type_name}")


def mutate_unknown_key(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None:
        return mutate_anywhere(draw, name, event)
    operation, properties, paths = found
    top = ShapePath((), shapes.input_shape(operation), "", None)
    structures = [top, *(p for p in paths if p.shape.type_name == "structure")]
    chosen = draw(st.sampled_from(structures))
    taken = set(chosen.shape.members) | (contract.PROVIDER_KEYS if not chosen.path else set())
    key = draw(UNKNOWN_NAMES.filter(lambda k: k not in taken))
    get_at(properties, chosen.path)[key] = draw(JSON.filter(lambda v: v is not None))
    return Case(event, INVALID, f"{chosen.notation}.{key}" if chosen.notation else key, "unknown key")


def mutate_oversize(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None:
        return mutate_anywhere(draw, name, event)
    _, properties, paths = found
    bounded = [p for p in paths if p.shape.type_name in ("string", "list") and p.shape.metadata.get("max") is not None]
    chosen = draw(st.sampled_from(bounded))
    limit = chosen.shape.metadata["max"]
    if chosen.path[-1] in contract.MAX_TAGS:
        limit = contract.MAX_TAGS[chosen.path[-1]]  # Bedrock's 50 per resource, below the shape's 200
    length = draw(st.integers(limit + 1, limit * 3 + 10) | st.integers(limit * 3 + 10, 100_000))
    if chosen.shape.type_name == "list":
        item = get_at(properties, chosen.path)[0]
        value: Any = [copy.deepcopy(item) for _ in range(min(length, 2_000))]
    else:
        value = draw(st.sampled_from(["a", "0", "-", "é", "\u4e2d", "🙂"])) * length
    set_at(properties, chosen.path, value)
    return Case(event, INVALID, chosen.notation, f"oversized {chosen.shape.type_name}")


def mutate_enum(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None or "customizationType" not in found[1]:
        return mutate_wrong_type(draw, name, event)
    enum = shapes.input_shape(found[0]).members["customizationType"].enum
    value = draw(st.sampled_from(["fine_tuning", "FINE_TUNING ", "DISTILATION", ""]) | TEXT)
    if value in enum or value == "":
        value = "NOT_A_TYPE"
    found[1]["customizationType"] = value
    return Case(event, INVALID, "customizationType", "invalid enum")


def mutate_provider_key(draw: Draw, name: str, event: dict) -> Case:
    if event["RequestType"] == "Delete":
        return mutate_anywhere(draw, name, event)
    key = draw(st.sampled_from([contract.SERVICE_TIMEOUT, contract.REMOVAL_POLICY, contract.WAIT_MODE]))
    value = draw(
        st.sampled_from(["destroy", "RETAIN", "", "long", "0", "-5", "90", "3601", "1e3", "60s"]) | JSON | UNICODE
    )
    properties = event["ResourceProperties"]
    properties[key] = value
    if key == contract.SERVICE_TIMEOUT:
        try:
            seconds = int(str(value))
            fine = SHORTEST_SERVICE_TIMEOUT <= seconds <= contract.MAX_SERVICE_TIMEOUT_SECONDS
        except ValueError:
            fine = False
    elif key == contract.REMOVAL_POLICY:
        fine = value in ("Destroy", "Retain")
    else:
        fine = value in ("Short", "None", "Long")
    return Case(event, ANY if fine else INVALID, key, f"provider key {key}")


def mutate_unicode(draw: Draw, name: str, event: dict) -> Case:
    found = properties_case(draw, name, event)
    if found is None:
        return mutate_anywhere(draw, name, event)
    _, properties, paths = found
    chosen = draw(st.sampled_from([p for p in paths if p.shape.type_name == "string"]))
    set_at(properties, chosen.path, draw(UNICODE))
    return Case(event, ANY, what="unicode value")


def mutate_request_type(draw: Draw, name: str, event: dict) -> Case:
    value = draw(
        st.sampled_from(["create", "UPDATE", "DELETE", "Delete ", "Remove", "Créer"])
        | TEXT.filter(lambda t: t not in ("Create", "Update", "Delete"))
        | JSON.filter(lambda v: not isinstance(v, str))
    )
    event["RequestType"] = value
    if not isinstance(value, str) or not value:
        return Case(event, DROPPED, what="request type not a string")
    return Case(event, INVALID, "RequestType", "wrong request type")


def mutate_envelope(draw: Draw, name: str, event: dict) -> Case:
    key = draw(st.sampled_from(ENVELOPE_KEYS))
    how = draw(st.sampled_from(["drop", "wrong type", "empty", "other"]))
    if how == "drop":
        del event[key]
    elif how == "wrong type":
        event[key] = draw(JSON.filter(lambda v: not isinstance(v, str)))
    elif how == "empty":
        event[key] = ""
    elif key == "ResponseURL":
        event[key] = draw(st.sampled_from(["http://127.0.0.1:1/r", "ftp://x/y", "file:///etc/passwd", "HTTPS://x/"]))
    elif key == "StackId":
        event[key] = STACK_ID.replace("demo-stack", "other-stack")
    else:
        del event[key]
    return Case(event, DROPPED if not envelope_fine(event) else ANY, what=f"envelope {key} {how}")


def mutate_physical_id(draw: Draw, name: str, event: dict) -> Case:
    if event["RequestType"] == "Create":
        return mutate_anywhere(draw, name, event)
    if draw(st.booleans()):
        del event["PhysicalResourceId"]
    else:
        event["PhysicalResourceId"] = draw(JSON.filter(lambda v: not isinstance(v, str)) | st.just(""))
    return Case(event, INVALID, "PhysicalResourceId", "physical id missing or not a string")


def mutate_properties_object(draw: Draw, name: str, event: dict) -> Case:
    key = draw(st.sampled_from([k for k in ("ResourceProperties", "OldResourceProperties") if k in event]))
    event[key] = draw(JSON.filter(lambda v: not isinstance(v, dict)))
    return Case(event, DROPPED, what=f"{key} not an object")


def mutate_anywhere(draw: Draw, name: str, event: dict) -> Case:
    """One to three blind mutations anywhere in the event (its response URL excepted: no answer may leave the host)."""
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in json_paths(event) if p != ("ResponseURL",)]
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["drop", "replace", "add", "unicode", "long"]))
        target = get_at(event, path)
        if how == "drop":
            drop_at(event, path)
        elif how == "replace":
            set_at(event, path, draw(JSON))
        elif how == "add" and isinstance(target, dict):
            target[draw(UNKNOWN_NAMES.filter(lambda k: k != "source"))] = draw(JSON)
        elif how == "unicode":
            set_at(event, path, draw(UNICODE))
        else:
            set_at(event, path, draw(st.sampled_from(["x", "é", "🙂"])) * draw(st.integers(100, 20_000)))
    return Case(event, ANY if envelope_fine(event) else DROPPED, what="blind")


def mutate_top_key(draw: Draw, name: str, event: dict) -> Case:
    key = draw(UNKNOWN_NAMES.filter(lambda k: k not in event and k != "source"))
    event[key] = draw(JSON)
    return Case(event, ANY, what="unknown top-level key")


MUTATIONS: dict[str, Callable[[Draw, str, dict], Case]] = {
    "drop": mutate_drop,
    "wrong type": mutate_wrong_type,
    "unknown key": mutate_unknown_key,
    "oversize": mutate_oversize,
    "enum": mutate_enum,
    "provider key": mutate_provider_key,
    "unicode": mutate_unicode,
    "request type": mutate_request_type,
    "envelope": mutate_envelope,
    "physical id": mutate_physical_id,
    "properties object": mutate_properties_object,
    "anywhere": mutate_anywhere,
    "top key": mutate_top_key,
    "non-object": lambda draw, name, event: Case(draw(NOT_OBJECTS), DROPPED, what="not an object"),
}


@st.composite
def mutated_events(draw: Draw) -> Case:
    name = draw(st.sampled_from(SAMPLE_NAMES))
    mutation = draw(st.sampled_from(sorted(MUTATIONS)))
    return MUTATIONS[mutation](draw, name, copy.deepcopy(SAMPLES[name]))


# --- property blocks generated from the input shape ------------------------------------------------------------------
def from_shape(shape: botocore.model.Shape, depth: int = 0) -> st.SearchStrategy:
    """Values for ``shape``: mostly of the right type and length, not necessarily of the right pattern."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        if depth > 4:
            return st.fixed_dictionaries({})
        members = {
            name: from_shape(member, depth + 1) for name, member in shape.members.items() if name not in GENERATED
        }
        required = {name: s for name, s in members.items() if name in shape.required_members}
        optional = {name: s for name, s in members.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(from_shape(shape.member, depth + 1), max_size=min(meta.get("max", 3), 3))
    if kind == "map":
        return st.dictionaries(TEXT, from_shape(shape.value, depth + 1), max_size=2)
    if kind == "string":
        if shape.enum:
            return st.sampled_from([*shape.enum, "NOT_IN_ENUM"])
        low, high = meta.get("min", 0), meta.get("max", 80)
        plausible = ["s3://demo-bucket/data/", f"arn:aws:iam::{ACCOUNT}:role/demo", "amazon.titan-text-express-v1"]
        text = st.text(st.characters(exclude_categories=("Cs",)), min_size=low, max_size=min(high, 80))
        return text | st.sampled_from(plausible)
    if kind in ("integer", "long"):
        return st.integers(meta.get("min", -5) - 2, meta.get("max", 10_000) + 2)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    return JSON


@st.composite
def generated_events(draw: Draw) -> Case:
    name = draw(st.sampled_from(["job_create", "model_create", "job_update", "model_update"]))
    event = copy.deepcopy(SAMPLES[name])
    operation = OPERATIONS[event["ResourceType"]]
    block = draw(from_shape(shapes.input_shape(operation)))
    # CloudFormation passes scalars as strings: half the time, as it would
    if draw(st.booleans()):
        block = json.loads(json.dumps(block), parse_int=str, parse_float=str, parse_constant=str)
    event["ResourceProperties"] = {"ServiceToken": "x", "ServiceTimeout": "3600", **block}
    return Case(event, ANY, what="generated from the shape")


# --- running a case --------------------------------------------------------------------------------------------------
def path_of(url: str) -> str:
    return urlunsplit(("", "", *urlsplit(url)[2:]))


class Runner:
    """Sends cases through one warm runtime and checks the properties every case must have."""

    def __init__(self, harness: Any, aws: FakeAws, tally: Tally) -> None:
        self.harness = harness
        self.aws = aws
        self.tally = tally
        self.numbers = itertools.count()

    def run(self, case: Case) -> None:
        h = self.harness
        event = case.event
        url = f"{h.server.url}&fuzz={next(self.numbers)}"
        if isinstance(event, dict) and event.get("ResponseURL") == URL_MARK:
            event["ResponseURL"] = url
        received = h.server.received
        before = len(received)
        h.calls.clear()
        self.aws.phase = "first"
        # 1. it returns (an exception here fails the test)
        assert handler.main(copy.deepcopy(event), h.context) is None
        polls = 0
        while len(received) == before and "PutTargets" in h.calls and polls < 3:
            poll = json.loads(h.calls.pop("PutTargets")[-1]["Targets"][0]["Input"])
            self.aws.phase = "poll"
            handler.main(poll, h.context)
            polls += 1
        started = sum(len(h.calls.get(op, ())) for op in STARTING)  # the first invocation's and its polls'
        answers = received[before:]
        self.tally.cases[(case.expect, case.what)] += 1
        where = f"{case.what}: {json.dumps(event, default=str)[:600]}"
        if case.expect == DROPPED:
            assert not answers, f"an event with a broken envelope was answered ({where}): {answers}"
            assert not h.calls, f"an event with a broken envelope called {sorted(h.calls)} ({where})"
            self.tally.statuses["dropped"] += 1
            return
        # 2. exactly one answer, to its own URL, naming its own request
        assert len(answers) == 1, f"{len(answers)} answers ({where}): {answers}"
        (answer,) = answers
        body = answer["body"]
        assert answer["path"] == path_of(url), f"answered another URL ({where})"
        for key in ("StackId", "RequestId", "LogicalResourceId"):
            assert body[key] == event[key], f"the answer names another request's {key} ({where})"
        assert body["Status"] in ("SUCCESS", "FAILED")
        assert not body["Reason"].startswith("Unexpected error"), f"{body['Reason']} ({where})"
        self.tally.statuses[body["Status"]] += 1
        # 4. at most one job or model started
        assert started <= 1, f"{started} jobs or models started ({where})"
        # 3. invalid input: FAILED, nothing called, the field named
        if case.expect == INVALID:
            assert body["Status"] == "FAILED", f"invalid input answered {body} ({where})"
            assert not h.calls, f"invalid input called {sorted(h.calls)} ({where})"
            self.tally.invalid += 1
            if " ".join(case.field.split()) in body["Reason"]:  # reasons are on one line: whitespace collapsed
                self.tally.named += 1
            else:
                assert self.tally.unnamed is not None
                self.tally.unnamed.append((case.what, case.field, body["Reason"]))


def report(title: str, tally: Tally) -> str:
    lines = [f"{title}: {sum(tally.cases.values())} cases, answers {dict(tally.statuses)}"]
    if tally.invalid:
        lines.append(f"invalid input: {tally.invalid}, reason names the field in {tally.named} ({tally.share:.1%})")
    lines += [f"  {expect:8} {what}: {count}" for (expect, what), count in sorted(tally.cases.items())]
    lines += [f"  unnamed: {what} / {field!r}: {reason}" for what, field, reason in (tally.unnamed or [])[:10]]
    return "\n".join(lines)


@pytest.fixture
def runner(harness: Any) -> Iterator[Runner]:
    with FakeAws(harness) as aws:
        yield Runner(harness, aws, Tally.new())


# --- the tests -------------------------------------------------------------------------------------------------------
def test_mutated_events(runner: Runner) -> None:
    @settings(max_examples=MUTATED_EXAMPLES, **SETTINGS)
    @given(mutated_events())
    def run(case: Case) -> None:
        runner.run(case)

    run()
    print(report("mutated events", runner.tally))
    assert runner.tally.invalid >= MUTATED_EXAMPLES // 5, report("mutated events", runner.tally)
    assert runner.tally.share >= 0.95, report("mutated events", runner.tally)


def test_property_blocks_generated_from_the_input_shapes(runner: Runner) -> None:
    @settings(max_examples=GENERATED_EXAMPLES, **SETTINGS)
    @given(generated_events())
    def run(case: Case) -> None:
        runner.run(case)

    run()
    print(report("generated property blocks", runner.tally))


def test_the_unmutated_samples_run_to_their_end(runner: Runner) -> None:
    # the fuzzer's baseline: every sample is valid, answered once, SUCCESS, after at most one started job or model
    for name in SAMPLE_NAMES:
        runner.run(Case(copy.deepcopy(SAMPLES[name]), ANY, what=name))
    assert runner.tally.statuses == {"SUCCESS": len(SAMPLE_NAMES)}, report("samples", runner.tally)


# --- forged polls ----------------------------------------------------------------------------------------------------
def real_poll(runner: Runner, name: str) -> tuple[dict, str]:
    """A Create started and its polls scheduled; the poll input EventBridge would deliver, and the request's URL."""
    h = runner.harness
    event = copy.deepcopy(SAMPLES[name])
    url = event["ResponseURL"] = f"{h.server.url}&request={name}"
    h.calls.clear()
    runner.aws.phase = "first"
    handler.main(event, h.context)
    return json.loads(h.calls["PutTargets"][-1]["Targets"][0]["Input"]), url


@st.composite
def forged_polls(draw: Draw, polls: list[dict]) -> dict:
    poll = copy.deepcopy(draw(st.sampled_from(polls)))
    for _ in range(draw(st.integers(1, 2))):
        paths = list(json_paths(poll))
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["drop", "replace", "add", "request type", "rule", "ciphertext", "other poll"]))
        if how == "drop":
            drop_at(poll, path)
        elif how == "replace":
            set_at(poll, path, draw(JSON | UNICODE))
        elif how == "add":
            poll[draw(UNKNOWN_NAMES.filter(lambda k: k != "source"))] = draw(JSON)
        elif how == "request type":
            poll["RequestType"] = draw(st.sampled_from(["Create", "Update", "Delete", "delete"]))
            model = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/x"
            poll["PhysicalResourceId"] = draw(st.sampled_from([model, "x"]))
        elif how == "rule":
            other = "bedrock-cr-poll-Other-0123456789abcdef"
            poll["CrHelperRule"] = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{other}"
            poll["CrHelperPermission"] = other
        elif how == "ciphertext":
            try:
                blob = bytearray(base64.b64decode(poll[poll_secret.CIPHERTEXT_KEY], validate=True)) or bytearray(1)
            except (KeyError, TypeError, ValueError):  # an earlier step dropped or replaced it
                blob = bytearray(draw(st.binary(min_size=1, max_size=80)))
            blob[draw(st.integers(0, len(blob) - 1))] ^= draw(st.integers(1, 255))
            poll[poll_secret.CIPHERTEXT_KEY] = base64.b64encode(bytes(blob)).decode()
        else:  # the other resource's ciphertext, or its ids
            other = draw(st.sampled_from(polls))
            key = draw(st.sampled_from([poll_secret.CIPHERTEXT_KEY, "RequestId", "LogicalResourceId", "CrHelperData"]))
            poll[key] = copy.deepcopy(other[key])
    return poll


def test_forged_polls_are_dropped_and_the_real_ones_still_answer_once(runner: Runner) -> None:
    h = runner.harness
    job_poll, job_url = real_poll(runner, "job_create")
    model_poll, model_url = real_poll(runner, "model_create")
    polls = [job_poll, model_poll]
    forged_count = Counter()

    @settings(max_examples=FORGED_POLL_EXAMPLES, **SETTINGS)
    @given(forged_polls(polls))
    def run(forged: dict) -> None:
        if forged in polls:
            return  # not altered after all (a value replaced by itself)
        before = len(h.server.received)
        h.calls.clear()
        runner.aws.phase = "poll"
        assert handler.main(copy.deepcopy(forged), h.context) is None
        what = json.dumps(forged, default=str)[:800]
        assert len(h.server.received) == before, f"a forged poll was answered: {what}"
        assert set(h.calls) <= {"Decrypt"}, f"a forged poll called {sorted(h.calls)}: {what}"
        forged_count["dropped"] += 1

    run()
    print(f"forged polls: {dict(forged_count)}")
    # THEN the real polls still answer, once each, to their own request's URL
    for poll, url in ((job_poll, job_url), (model_poll, model_url)):
        before = len(h.server.received)
        handler.main(copy.deepcopy(poll), h.context)
        answers = h.server.received[before:]
        assert [a["path"] for a in answers] == [path_of(url)]
        assert answers[0]["body"]["Status"] == "SUCCESS", answers[0]["body"]
        assert answers[0]["body"]["RequestId"] == poll["RequestId"]
