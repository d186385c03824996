"""Template edits the integration tests share: what a changed app would synthesize, made from the synthesized one."""

from __future__ import annotations

import copy
import json
from typing import Any

from bedrock_customization_provider import contract


def with_hyperparameters(template: dict[str, Any], job_id: str, **hyper: str) -> dict[str, Any]:
    """``template`` with ``job_id``'s hyperparameters changed (a replacing change), and, as the construct renders it
    in the long wait mode, a fresh condition for that job's group and for the group of every job whose properties
    refer to a renamed group's reader (a follow-up job on its model), listed in the WaitStart resource too."""
    changed = copy.deepcopy(template)
    resources = changed["Resources"]
    resources[job_id]["Properties"]["hyperParameters"].update(hyper)
    replaced, renamed_groups = [job_id], set()
    while replaced:
        current = replaced.pop()
        condition = condition_of(resources, current)
        if condition is None or condition in renamed_groups:
            continue
        members, new = _rename_condition(resources, condition)
        renamed_groups.add(new)
        readers = [
            lid
            for lid, r in resources.items()
            if r["Type"] == contract.RESULT_RESOURCE_TYPE
            and r["Properties"].get(contract.RESULT_RESOURCE_ARN) in [{"Ref": m} for m in members]
        ]
        for lid, resource in resources.items():
            text = json.dumps(resource.get("Properties", {}))
            if resource["Type"] == contract.JOB_RESOURCE_TYPE and any(f'"{r}"' in text for r in readers):
                replaced.append(lid)
    return changed


def condition_of(resources: dict[str, Any], logical_id: str) -> str | None:
    """The wait condition whose Metadata lists ``logical_id`` (None: not in the long wait mode)."""
    for lid, resource in resources.items():
        if logical_id in (resource.get("Metadata") or {}).get(contract.WAIT_MEMBERS_METADATA, []):
            return lid
    return None


def _rename_condition(resources: dict[str, Any], old: str) -> tuple[list[str], str]:
    """Rename the group condition ``old`` as a changed digest would: its members and its new logical id."""
    new = old[:-8] + format(int(old[-8:], 16) ^ 0xFFFFFFFF, "08x")
    resources[new] = resources.pop(old)
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list) and old in depends:
            resource["DependsOn"] = [new if d == old else d for d in depends]
        if resource["Type"] == contract.WAIT_START_RESOURCE_TYPE:
            conditions = resource["Properties"][contract.WAIT_START_CONDITIONS]
            resource["Properties"][contract.WAIT_START_CONDITIONS] = [new if c == old else c for c in conditions]
    return list(resources[new]["Metadata"][contract.WAIT_MEMBERS_METADATA]), new
