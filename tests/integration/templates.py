"""Template edits the integration tests share: what a changed app would synthesize, made from the synthesized one."""

from __future__ import annotations

import copy
import json
from typing import Any

from bedrock_customization_provider import contract


def with_hyperparameters(template: dict[str, Any], job_id: str, **hyper: str) -> dict[str, Any]:
    """``template`` with ``job_id``'s hyperparameters changed (a replacing change), and, as the construct renders it
    in the long wait mode, a fresh condition for that job and for every job whose properties refer to a renamed one's
    reader (a follow-up job on its model)."""
    changed = copy.deepcopy(template)
    resources = changed["Resources"]
    resources[job_id]["Properties"]["hyperParameters"].update(hyper)
    replaced = [job_id]
    while replaced:
        current = replaced.pop()
        readers = [
            lid
            for lid, r in resources.items()
            if r["Type"] == contract.RESULT_RESOURCE_TYPE
            and r["Properties"].get(contract.RESULT_RESOURCE_ARN) == {"Ref": current}
        ]
        if _rename_condition(resources, current):
            for lid, resource in resources.items():
                text = json.dumps(resource.get("Properties", {}))
                if resource["Type"] == contract.JOB_RESOURCE_TYPE and any(f'"{r}"' in text for r in readers):
                    replaced.append(lid)
    return changed


def _rename_condition(resources: dict[str, Any], job_id: str) -> bool:
    old = next((lid for lid in resources if contract.watched_logical_id(lid) == job_id), None)
    if old is None:  # not in the long wait mode
        return False
    new = contract.wait_condition_id(job_id, format(int(old[-8:], 16) ^ 0xFFFFFFFF, "08x"))
    resources[new] = resources.pop(old)
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list) and old in depends:
            resource["DependsOn"] = [new if d == old else d for d in depends]
    return True
