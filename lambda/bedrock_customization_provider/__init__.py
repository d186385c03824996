"""The Lambda-backed CloudFormation provider for Amazon Bedrock customization jobs and custom models.

This package is the provider function's code (its asset). The construct library imports only :mod:`.contract`
and :mod:`.shapes` from it, the way aws-cdk's provider framework shares ``consts.ts`` with its runtime.

Modules, by concern:

- what the resources are: :mod:`.contract` (shared names), :mod:`.shapes` (botocore-model coercion and validation,
  on :mod:`.service_model`, which reads the model as botocore does without importing it),
  :mod:`.rules` (the few rules a shape cannot express), :mod:`.naming` (deterministic names and tokens);
- what we do on Bedrock: :mod:`.jobs`, :mod:`.models`, :mod:`.tagging` (plain API functions), :mod:`.job_resource`,
  :mod:`.model_resource` (Create/Update/Delete of each resource kind, see :mod:`.lifecycle`);
- how we wait: :mod:`.waiting` (the ServiceTimeout budget) and :mod:`.cfn_resource` (crhelper's scheduled polls);
- plumbing: :mod:`.handler` (entry point), :mod:`.clients`, :mod:`.retry`, :mod:`.response`, :mod:`.logs`,
  :mod:`.errors` (our exceptions, and how any error becomes a reason).
"""
