"""The ``local`` extra's check: the emulator and driver say what to install instead of failing on a missing module."""

from __future__ import annotations

import importlib.util

#: Import name -> the distribution the ``local`` extra installs for it.
LOCAL_EXTRA_MODULES = {
    "moto": "moto[server]",
    "werkzeug": "moto[server]",
    "cryptography": "cryptography",
    "rich": "rich",
}
INSTALL_HINT = "pip install 'cdk-bedrock-customization[local]'"


class LocalExtraMissingError(ImportError):
    """The local tools were imported without the ``local`` extra."""


def require_local_extra(tool: str) -> None:
    """Raise :class:`LocalExtraMissingError` naming what is missing and how to install it, before ``tool`` imports."""
    missing = sorted({dist for name, dist in LOCAL_EXTRA_MODULES.items() if importlib.util.find_spec(name) is None})
    if missing:
        raise LocalExtraMissingError(
            f"{tool} needs the 'local' extra of cdk-bedrock-customization (missing: {', '.join(missing)}): "
            f"{INSTALL_HINT}"
        )
