"""The watch command's errors: each message says what was asked, what went wrong and what to do."""

from __future__ import annotations


class WatchError(Exception):
    """Anything the watch command reports to its user in one line instead of a traceback."""


class WatchExtraMissingError(WatchError, ImportError):
    """matplotlib or rich is missing: the library was installed without the ``watch`` extra."""


class StackNotFoundError(WatchError):
    """CloudFormation has no stack of that name (in this account and region)."""


class NoWatchableResourcesError(WatchError):
    """The stack exists but holds no customization job or custom model of this library."""


class MetricsFormatError(WatchError, ValueError):
    """A metrics CSV whose header has no step column or no loss column: not a file Bedrock writes."""


class MetricsAccessError(WatchError):
    """The job's output bucket or prefix cannot be read with the caller's credentials."""
