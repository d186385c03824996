"""The ``watch`` extra's check: say what to install instead of failing on a missing module (as
``bedrock_customization_local`` does for its ``local`` extra)."""

from __future__ import annotations

import importlib.util

from .errors import WatchExtraMissingError

#: Import name -> the distribution the ``watch`` extra installs for it.
WATCH_EXTRA_MODULES = {"matplotlib": "matplotlib", "rich": "rich"}
INSTALL_HINT = "pip install 'cdk-bedrock-customization[watch]'"
MISSING_MESSAGE = f"bedrock-customization watch needs the watch extra: {INSTALL_HINT}"


def missing_watch_modules() -> list[str]:
    """The distributions of the extra that cannot be imported, sorted (empty: all there)."""
    return sorted({dist for name, dist in WATCH_EXTRA_MODULES.items() if importlib.util.find_spec(name) is None})


def require_watch_extra() -> None:
    """Raise :class:`WatchExtraMissingError` with :data:`MISSING_MESSAGE` when matplotlib or rich is missing."""
    if missing_watch_modules():
        raise WatchExtraMissingError(MISSING_MESSAGE)
