"""The registry of resource kinds: every resource type maps to its kind, built and imported on first lookup only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from bedrock_customization_provider import contract, registry

PROVIDER_DIR = Path(registry.__file__).resolve().parent.parent
RESOURCE_TYPES = [value for name, value in vars(contract).items() if name.endswith("_RESOURCE_TYPE")]


class FakeClients:
    """What a kind is built from, recording which client was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @property
    def bedrock(self) -> object:
        self.asked.append("bedrock")
        return SimpleNamespace(meta=SimpleNamespace(method_to_api_mapping={}))

    @property
    def events(self) -> object:
        self.asked.append("events")
        return object()


CONTEXT = SimpleNamespace(get_remaining_time_in_millis=lambda: 900_000)


def test_every_resource_type_of_the_contract_has_a_kind_and_nothing_else_does():
    assert sorted(RESOURCE_TYPES) == sorted(registry.KINDS)


@pytest.mark.parametrize("resource_type", sorted(registry.KINDS))
def test_each_type_maps_to_a_kind_class_of_that_type(resource_type):
    # GIVEN the registry's entry WHEN its class is loaded and built THEN it is the kind of that resource type
    target, _ = registry.KINDS[resource_type]
    kind = registry.Kinds(FakeClients(), CONTEXT)[resource_type]
    assert type(kind) is registry.load(target)
    assert kind.resource_type == resource_type
    for method in ("create", "update", "check", "read", "give_up", "delete"):
        assert callable(getattr(kind, method))


def test_an_unknown_resource_type_is_not_a_kind_and_builds_nothing():
    clients = FakeClients()
    kinds = registry.Kinds(clients, CONTEXT)
    assert "Custom::Other" not in kinds
    with pytest.raises(KeyError):
        kinds["Custom::Other"]
    assert clients.asked == []
    assert list(kinds) == list(registry.KINDS)  # the order an "Unsupported resource type" reason lists them in


def test_waited_kinds_are_the_kinds_over_bedrock_only():
    kinds = registry.Kinds(FakeClients(), CONTEXT, registry.WAITED)
    assert list(kinds) == [
        contract.JOB_RESOURCE_TYPE,
        contract.MODEL_RESOURCE_TYPE,
        contract.DEPLOYMENT_RESOURCE_TYPE,
        contract.THROUGHPUT_RESOURCE_TYPE,
        contract.MODEL_IMPORT_RESOURCE_TYPE,
    ]
    assert contract.RESULT_RESOURCE_TYPE not in kinds
    assert contract.WAIT_START_RESOURCE_TYPE not in kinds


def test_one_invocations_kinds_share_one_bedrock_client_and_the_reader_reads_them():
    # GIVEN the kinds of one invocation
    clients = FakeClients()
    kinds = registry.Kinds(clients, CONTEXT)
    # WHEN a job kind, a model kind and the result reader are looked up (twice)
    job, model = kinds[contract.JOB_RESOURCE_TYPE], kinds[contract.MODEL_RESOURCE_TYPE]
    reader = kinds[contract.RESULT_RESOURCE_TYPE]
    # THEN each is built once, over one retried Bedrock client, and the reader reads the same kinds
    assert kinds[contract.JOB_RESOURCE_TYPE] is job
    assert job.bedrock is model.bedrock
    assert clients.asked == ["bedrock"]
    assert reader.readable[contract.JOB_RESOURCE_TYPE] is job
    assert list(reader.readable) == list(registry.WAITED)


def test_the_wait_start_kind_is_built_over_eventbridge():
    clients = FakeClients()
    registry.Kinds(clients, CONTEXT)[contract.WAIT_START_RESOURCE_TYPE]
    assert clients.asked == ["events"]


def test_importing_the_handler_and_building_its_runtime_imports_no_resource_kind():
    # GIVEN a fresh interpreter WHEN the handler is imported and its runtime built (a cold start)
    code = (
        "import sys\n"
        "from bedrock_customization_provider import handler\n"
        "handler.runtime()\n"
        "print(' '.join(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith('bedrock_customization_'))))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(PROVIDER_DIR)}
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert answer.returncode == 0, answer.stderr[-2000:]
    imported = set(answer.stdout.split())
    # THEN no kind's module, nor the reconciler, the on-failure answer, the retries or the validation, is imported
    lazy = {target.partition(":")[0] for target, _ in registry.KINDS.values()}
    lazy |= {"reconcile", "on_failure", "retry", "rules", "shapes", "hyperparameters", "linear_regex"}
    assert "handler" in imported
    assert not imported & lazy
