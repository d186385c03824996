"""The Lambda-backed CloudFormation provider for Amazon Bedrock customization jobs and custom models.

This package is the provider function's code (its asset). The construct library imports only :mod:`.contract`
and :mod:`.shapes` from it, the way aws-cdk's provider framework shares ``consts.ts`` with its runtime.
"""
