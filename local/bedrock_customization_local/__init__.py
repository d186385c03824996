"""Test your own stack offline: a local Amazon Bedrock emulator and a CloudFormation driver for synthesized apps.

- :mod:`bedrock_customization_local.emulator`: Bedrock's model-customization control plane on 127.0.0.1 (real ARNs,
  errors, validation, lifecycles on a virtual clock, faults, job events), with moto behind it for other services.
- :mod:`bedrock_customization_local.driver`: plays CloudFormation for a ``cdk.out`` against it: custom resources
  (the provider runs from its asset), wait conditions, EventBridge rules, Lambda permissions; then checks that nothing
  was left behind. ``bedrock-customization-local run cdk.out`` (or ``python -m bedrock_customization_local.driver``).

They need the ``local`` extra (``pip install 'cdk-bedrock-customization[local]'``); the construct library does not,
and importing this package alone imports nothing heavy.
"""

from __future__ import annotations

from ._extras import require_local_extra

__all__ = ["require_local_extra"]
