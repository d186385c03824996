"""Settings every test tier shares: no real AWS account, credentials or network is ever used."""

from __future__ import annotations

import os

# Fake credentials and a fixed region: botocore signs requests but they only ever reach a Stubber or 127.0.0.1.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
# jsii prints a Node end-of-life banner on every CDK import unless the major version is listed; it hides real output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
