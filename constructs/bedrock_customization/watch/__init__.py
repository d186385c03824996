"""``bedrock-customization watch STACK``: a deployed stack's customization jobs and custom models, live, and each
job's loss curve as PNG and SVG next to a Markdown report.

Why a command of its own: a job trains for hours while CloudFormation only says ``CREATE_IN_PROGRESS``; its owner
wants to see the phase it is in and whether the loss falls, without the console. Everything it calls is read-only
(docs/watch.md lists the IAM policy).

Needs the ``watch`` extra (matplotlib, rich): ``pip install 'cdk-bedrock-customization[watch]'``. The modules import
neither at module level, so the library installs and imports without it:

- :mod:`.stack_resources`: the stack's jobs and custom models from CloudFormation (ListStackResources).
- :mod:`.job_state`: GetModelCustomizationJob / GetCustomModel as typed snapshots.
- :mod:`.training_metrics`: Bedrock's metric CSVs parsed, tolerant of a file being written.
- :mod:`.metric_files`: where those CSVs are in S3, and reading them (AccessDenied named with the permission).
- :mod:`.snapshot`: one look at everything above.
- :mod:`.loss_plot`, :mod:`.report`, :mod:`.live_view`: the pictures, the report, the terminal.
- :mod:`.command`: the command line.
"""
