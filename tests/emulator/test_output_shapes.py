"""Every answer carries the members its botocore output shape marks required, at every depth, for every kind of
resource: a client generated from the model (or a strict deserializer) may rely on them."""

from __future__ import annotations

from typing import Any

from bedrock_customization_local.emulator import JobScenario
from bedrock_customization_local.emulator.service_model import operation_model
from botocore.model import Shape

HOURS = 3600


def _missing_required(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Paths of required members absent from ``value`` (a parsed response) under ``shape``."""
    if shape.type_name == "structure" and isinstance(value, dict):
        missing = [f"{path}.{name}".lstrip(".") for name in shape.required_members if name not in value]
        for name, member in shape.members.items():
            if name in value:
                missing += _missing_required(member, value[name], f"{path}.{name}")
        return missing
    if shape.type_name == "list" and isinstance(value, list):
        return [
            m for index, item in enumerate(value) for m in _missing_required(shape.member, item, f"{path}[{index}]")
        ]
    if shape.type_name == "map" and isinstance(value, dict):
        return [m for key, item in value.items() for m in _missing_required(shape.value, item, f"{path}.{key}")]
    return []


def test_every_read_answer_has_its_required_members_for_every_kind_of_resource(emu, bedrock, new_job, new_model):
    # GIVEN an account with every kind of job and model the emulator makes
    emu.controls.add_job_scenario(JobScenario(outcome="fail", fail_phase="validation"), prefix="failed-")
    emu.controls.add_job_scenario(JobScenario(outcome="run_forever"), prefix="stopped-")
    emu.controls.add_job_scenario(JobScenario(outcome="run_forever"), prefix="running-")
    without_validation = new_job("plain-job", "plain-model")
    del without_validation["validationDataConfig"]
    jobs = [
        bedrock.create_model_customization_job(**new_job())["jobArn"],
        bedrock.create_model_customization_job(**without_validation)["jobArn"],
        bedrock.create_model_customization_job(**new_job("failed-job", "failed-model"))["jobArn"],
        bedrock.create_model_customization_job(**new_job("stopped-job", "stopped-model"))["jobArn"],
        bedrock.create_model_customization_job(**new_job("running-job", "running-model"))["jobArn"],
    ]
    bedrock.stop_model_customization_job(jobIdentifier="stopped-job")
    imported = bedrock.create_custom_model(**new_model())["modelArn"]
    emu.controls.advance(7 * HOURS)
    parent = bedrock.get_custom_model(modelIdentifier="model-1")["modelArn"]
    jobs.append(
        bedrock.create_model_customization_job(**new_job("child-job", "child-model", baseModelIdentifier=parent))[
            "jobArn"
        ]
    )
    emu.controls.advance(7 * HOURS)
    models = [summary["modelArn"] for summary in bedrock.list_custom_models()["modelSummaries"]]
    assert imported in models and len(models) == 4
    for model in models:
        emu.controls.set_model_in_use(model, by=f"provisioned-model/{model.rsplit('/', 1)[-1]}")
    emu.controls.set_model_in_use(imported, by="custom-model-deployment/dep1")

    # WHEN every read operation is asked about every resource
    answers: list[tuple[str, dict]] = [
        ("ListModelCustomizationJobs", bedrock.list_model_customization_jobs()),
        ("ListCustomModels", bedrock.list_custom_models()),
        ("ListProvisionedModelThroughputs", bedrock.list_provisioned_model_throughputs()),
        ("ListCustomModelDeployments", bedrock.list_custom_model_deployments()),
    ]
    answers += [("GetModelCustomizationJob", bedrock.get_model_customization_job(jobIdentifier=j)) for j in jobs]
    answers += [("GetCustomModel", bedrock.get_custom_model(modelIdentifier=m)) for m in models]
    answers += [("ListTagsForResource", bedrock.list_tags_for_resource(resourceARN=r)) for r in jobs + models]

    # THEN none lacks a member its output shape marks required
    missing = {
        f"{operation} #{index}": gaps
        for index, (operation, answer) in enumerate(answers)
        if (gaps := _missing_required(operation_model(operation).output_shape, answer))
    }
    assert missing == {}
