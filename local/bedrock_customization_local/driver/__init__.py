"""A local stand-in for CloudFormation and Lambda that runs a synthesized CDK app's custom resources.

Why it exists: the project's main job (and its integration tests) must exercise the provider exactly as AWS would,
on a machine with no AWS account. So the driver reads the *synthesized* cloud assembly, runs the provider from its
asset directory in a Lambda-like worker process, plays CloudFormation's custom-resource protocol (events in, HTTPS
PUT to a presigned-looking response URL back), delivers crhelper's EventBridge polls on an accelerated clock, and
checks at the end that nothing was left behind. Bedrock and the other services are the local emulator's job.

Modules, one job each:

- :mod:`.assembly`      find stacks, templates and asset directories in ``cdk.out``
- :mod:`.template`      the resource graph: custom resources, dependencies, the provider function's spec
- :mod:`.intrinsics`    Ref / Fn::GetAtt / Fn::Join / Fn::Sub ... resolved to deterministic local values
- :mod:`.tls`           a throwaway self-signed certificate for the response endpoint
- :mod:`.responses`     the HTTPS endpoint that receives custom-resource responses
- :mod:`.runtime`       warm Lambda-like worker processes running the handler from the asset (``_bootstrap``)
- :mod:`.cfn_events`    CloudFormation's request events (stringified properties)
- :mod:`.polls`         EventBridge: scheduled and event-pattern rules read back from moto, delivered on the clock
- :mod:`.native`        the native resources the driver plays: wait conditions, EventBridge rules, Lambda permissions
- :mod:`.cloudformation_api`  ListStackResources / DescribeStacks / SignalResource for the driver's own stacks
- :mod:`.stack`         deploy / update / destroy with rollback and cleanup phases
- :mod:`.leftovers`     the end-of-run check: no rules, permissions, running jobs or unowned models
- :mod:`.emulator`      starting and steering the local Bedrock emulator
- :mod:`.display`       live progress (rich) or plain lines
- :mod:`.demo`          the main job behind ``make demo``
"""

from __future__ import annotations

from .._extras import require_local_extra

require_local_extra("bedrock_customization_local.driver")
