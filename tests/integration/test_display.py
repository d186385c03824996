"""The live view renders what it is given literally and whole: reasons with brackets, replaced resources, ARNs longer
than the terminal, tags as tables, and plain mode without escape codes.

Rendered into recording consoles (``Console(record=True, width=120)``): what a person would see, without a terminal.
"""

from __future__ import annotations

import io
import re

from bedrock_customization_local.driver.display import (
    ProgressDisplay,
    activity,
    print_mapping,
    print_outputs,
)
from bedrock_customization_local.driver.stack import StackEvent
from rich.console import Console

JOB = "Custom::BedrockModelCustomizationJob"
WIDTH = 120
REASON = (
    "1 validation error detected: Value at 'jobName' failed to satisfy constraint: Member must satisfy regular "
    "expression pattern: bedrock:[a-z0-9-]{1,20}:[bold]x[/bold]"
)
OLD_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0:128k/oldjob0001"
NEW_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0:128k/newjob0002"
#: Longer than the console: rich would wrap it mid-value in a table cell.
LONG_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/" + "x" * 80
ESCAPE = re.compile(r"\x1b\[")


def _rich_console() -> Console:
    """A terminal as rich sees one (live table, colours), recorded."""
    return Console(record=True, width=WIDTH, force_terminal=True, file=io.StringIO())


def _plain_console() -> Console:
    return Console(record=True, width=WIDTH, file=io.StringIO())


def _display(console: Console, plain: bool) -> ProgressDisplay:
    return ProgressDisplay(state=lambda: {"jobs": [], "models": []}, console=console, plain=plain)


def _replacement(display: ProgressDisplay) -> None:
    """An update that replaces FineTune, as the stack runner tells it: the new id's UPDATE_COMPLETE, then the
    cleanup's Delete of the old id."""
    display.begin("update")
    display.stack_status("UPDATE_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "UPDATE_IN_PROGRESS", physical_id=OLD_ARN))
    display.resource_status(StackEvent("FineTune", JOB, "UPDATE_COMPLETE", physical_id=NEW_ARN))
    display.stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "DELETE_IN_PROGRESS", physical_id=OLD_ARN))
    display.resource_status(StackEvent("FineTune", JOB, "DELETE_COMPLETE", physical_id=OLD_ARN))
    display.stack_status("UPDATE_COMPLETE")
    display.end()


def test_a_reason_with_brackets_survives_verbatim_on_a_terminal_and_in_plain_lines():
    for console, plain in ((_rich_console(), False), (_plain_console(), True)):
        display = _display(console, plain)
        display.begin("create")
        display.stack_status("CREATE_IN_PROGRESS")
        display.resource_status(StackEvent("FineTune", JOB, "CREATE_FAILED", REASON, "FineTune-made-up-id"))
        display.stack_status("ROLLBACK_COMPLETE")
        display.end()
        text = console.export_text()
        assert REASON in text, text  # whole, brackets included, in the details (and the plain event line)
        assert "bedrock:{1,20}:" not in text


def test_a_replaced_resource_says_replaced_and_keeps_its_new_physical_id():
    for console, plain in ((_rich_console(), False), (_plain_console(), True)):
        _replacement(_display(console, plain))
        text = console.export_text()
        assert "replaced (old physical id deleted)" in text
        fine_tune_lines = [line for line in text.splitlines() if "FineTune" in line]
        assert not any("DELETE_COMPLETE" in line for line in fine_tune_lines), text
        assert re.search(rf"physical id\s+{re.escape(NEW_ARN)}$", text, re.MULTILINE), text
        assert re.search(rf"replaced id\s+{re.escape(OLD_ARN)}$", text, re.MULTILINE), text


def test_a_rolled_back_replacement_is_not_called_replaced():
    console = _plain_console()
    display = _display(console, True)
    display.begin("update")
    display.stack_status("UPDATE_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "UPDATE_COMPLETE", physical_id=NEW_ARN))
    display.resource_status(StackEvent("Other", JOB, "UPDATE_FAILED", "it broke"))
    display.stack_status("UPDATE_ROLLBACK_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "UPDATE_COMPLETE", physical_id=OLD_ARN))
    display.stack_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "DELETE_COMPLETE", physical_id=NEW_ARN))
    display.end()
    text = console.export_text()
    assert "rolled back (replacement deleted)" in text
    assert "replaced (old" not in text
    assert re.search(rf"physical id\s+{re.escape(OLD_ARN)}$", text, re.MULTILINE), text


def test_an_arn_longer_than_the_console_appears_whole():
    assert len(LONG_ARN) > WIDTH
    for console, plain in ((_rich_console(), False), (_plain_console(), True)):
        display = _display(console, plain)
        display.begin("create")
        display.resource_status(StackEvent("Model", "Custom::BedrockCustomModel", "CREATE_COMPLETE", "", LONG_ARN))
        display.end({"Model": {"ModelArn": LONG_ARN}})
        print_outputs(console, {"ModelArn": LONG_ARN}, plain=plain)
        text = console.export_text()
        assert text.count(LONG_ARN) == 3, text  # physical id, attribute, output: never cut


def test_a_presigned_url_is_not_printed_in_the_details():
    url = "https://localhost:1234/cloudformation-waitcondition-us-east-1/x?X-Amz-Signature=0123abcd"
    console = _plain_console()
    display = _display(console, True)
    display.begin("create")
    display.resource_status(
        StackEvent("Handle", "AWS::CloudFormation::WaitConditionHandle", "CREATE_COMPLETE", "", url)
    )
    display.end()
    text = console.export_text()
    assert "X-Amz-Signature" not in text
    assert "wait condition handle URL, not shown" in text


def test_tags_render_as_a_table_and_as_aligned_lines_in_plain_mode():
    tags = {"team": "ml", "demo-revision": "2", "pattern": "[a-z]+"}
    console = _rich_console()
    print_mapping(console, "FineTune: tags", tags, plain=False, columns=("tag", "value"))
    text = console.export_text()
    assert "{" not in text  # no Python dict
    lines = text.splitlines()
    header = next(line for line in lines if "┃" in line)
    assert [cell.strip() for cell in header.split("┃")] == ["tag", "value"]
    rows = [line for line in lines if "│" in line]
    assert {tuple(cell.strip() for cell in row.split("│")) for row in rows} == set(tags.items())
    assert len({row.index("│") for row in rows} | {header.index("┃")}) == 1  # one column rule: aligned

    plain = _plain_console()
    print_mapping(plain, "FineTune: tags", tags, plain=True)
    plain_lines = plain.export_text().splitlines()
    assert plain_lines[0] == "   FineTune: tags"
    assert [line.split() for line in plain_lines[1:]] == [[k, v] for k, v in tags.items()]
    assert (
        len({line.index(v, line.index(k) + len(k)) for line, (k, v) in zip(plain_lines[1:], tags.items(), strict=True)})
        == 1
    )


def test_plain_mode_stays_plain_even_on_a_terminal():
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, force_terminal=True)  # a terminal, but --plain asked for lines
    display = _display(console, True)
    _replacement(display)
    display.begin("create")
    display.resource_status(StackEvent("FineTune", JOB, "CREATE_FAILED", REASON, "made-up"))
    display.end({"FineTune": {"JobArn": LONG_ARN}})
    print_mapping(console, "Bedrock calls", {"CreateModelCustomizationJob": 2}, plain=True)
    print_outputs(console, {"JobArn": LONG_ARN}, plain=True)
    with activity(console, "cdk synth", plain=True):
        pass
    printed = out.getvalue()
    assert not ESCAPE.search(printed), repr(printed[:400])
    assert "== update" in printed and "   cdk synth ..." in printed
    assert re.search(r"   cdk synth: done in \d+\.\d s", printed)
