"""Amazon Bedrock's "Model Customization Job State Change" EventBridge events, derived rather than scheduled.

Bedrock publishes an event to the account's default event bus whenever a customization job changes state, with
``source`` ``aws.bedrock`` and delivery on a best-effort basis. Shape, after the sample event in the Bedrock user
guide (https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html) and the
EventBridge reference (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-bedrock.html)::

    {"version": "0", "id": <uuid>, "detail-type": "Model Customization Job State Change", "source": "aws.bedrock",
     "account": <account>, "time": <the change, YYYY-MM-DDTHH:MM:SSZ>, "region": <region>, "resources": [<jobArn>],
     "detail": {"version": "0.0", "jobName", "jobArn", "outputModelName", "outputModelArn" (Completed only),
                "roleArn", "jobStatus", "failureMessage" (Failed only), "creationTime", "lastModifiedTime",
                "endTime" (once ended), "baseModelArn", "customizationType", "hyperParameters",
                "trainingDataConfig", "validationDataConfig", "outputDataConfig"}}

Like the lifecycle (see :mod:`lifecycle`), nothing runs in the background: a job's transitions follow from its record
(creation time, scenario, stop request) and are computed whenever someone drains them. Each job emits InProgress at
its creation, Stopping at a stop request, and its terminal status (Completed, Failed or Stopped) at the virtual time it
is reached. The store remembers which (job, status) pairs were drained or dropped, so each is handed out once.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from .faults import FaultInjector
from .lifecycle import _at, natural_end
from .state import JobRecord, Store

DETAIL_TYPE = "Model Customization Job State Change"
SOURCE = "aws.bedrock"
#: Order of a job's transitions when two fall on the same instant (a zero-length scenario).
_RANK = {"InProgress": 0, "Stopping": 1, "Completed": 2, "Failed": 2, "Stopped": 2}


def event_time(value: datetime) -> str:
    """EventBridge's ``time`` form, whole seconds with ``Z`` (as in the documented sample)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def transitions(job: JobRecord) -> list[tuple[datetime, str]]:
    """Every status change of ``job`` with the virtual time it happens (future ones included; never = omitted)."""
    changes = [(job.created, "InProgress")]
    end = natural_end(job.created, job.scenario)
    if job.stop_at is not None and job.stop_at < end:
        changes.append((job.stop_at, "Stopping"))
        changes.append((_at(job.stop_at, job.scenario.stop_seconds), "Stopped"))
    elif end != datetime.max.replace(tzinfo=end.tzinfo):
        changes.append((end, "Failed" if job.scenario.outcome == "fail" else "Completed"))
    return changes


def _event_id(seed: int, arn: str, status: str) -> str:
    """A UUID4-shaped id that depends only on the store's seed and the event, so runs (and re-drains) repeat."""
    bits = random.Random(f"{seed}|{arn}|{status}").getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


def job_event(job: JobRecord, status: str, at: datetime, seed: int) -> dict[str, Any]:
    """The full EventBridge envelope for ``job`` entering ``status`` at ``at``."""
    view = job.view(at)
    request = job.request
    detail: dict[str, Any] = {
        "version": "0.0",
        "jobName": job.name,
        "jobArn": job.arn,
        "outputModelName": request["customModelName"],
    }
    if status == "Completed" and job.output_model_arn:
        detail["outputModelArn"] = job.output_model_arn
    detail["roleArn"] = request["roleArn"]
    detail["jobStatus"] = status
    if status == "Failed" and view.failure_message:
        detail["failureMessage"] = view.failure_message
    detail["creationTime"] = event_time(job.created)
    detail["lastModifiedTime"] = event_time(at if status in ("InProgress", "Stopping") else view.last_modified)
    if status in ("Completed", "Failed", "Stopped") and view.end_time is not None:
        detail["endTime"] = event_time(view.end_time)
    detail["baseModelArn"] = job.base_model_arn
    detail["customizationType"] = request.get("customizationType", "FINE_TUNING")
    for member in ("hyperParameters", "trainingDataConfig", "validationDataConfig", "outputDataConfig"):
        if member in request:
            detail[member] = request[member]
    return {
        "version": "0",
        "id": _event_id(seed, job.arn, status),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": job.arn.split(":")[4],
        "time": event_time(at),
        "region": job.region,
        "resources": [job.arn],
        "detail": detail,
    }


def drain(store: Store, faults: FaultInjector, now: datetime, region: str | None = None) -> list[dict[str, Any]]:
    """Events of every change at or before ``now`` not handed out before (in ``region``, or all), oldest first.

    A ``drop_events`` fault decides, once per event and in time order, whether it is lost: a lost event is counted in
    ``store.events_dropped`` and never returned."""
    with store.lock:
        store.settle(now)  # a completed job's outputModelArn exists before its Completed event is built
        due: list[tuple[datetime, int, int, JobRecord, str]] = []
        for index, job in enumerate(store.jobs.values()):
            if region is not None and job.region != region:
                continue
            for at, status in transitions(job):
                if at <= now and (job.arn, status) not in store.events_seen:
                    due.append((at, index, _RANK[status], job, status))
        due.sort(key=lambda item: item[:3])
        delivered = []
        for at, _, _, job, status in due:
            store.events_seen.add((job.arn, status))
            if faults.decide(status, "events"):
                store.events_dropped.append({"jobArn": job.arn, "jobStatus": status, "time": event_time(at)})
                continue
            delivered.append(job_event(job, status, at, store.seed))
            store.events_delivered += 1
        return delivered
