"""``python -m bedrock_customization <command>`` and the ``bedrock-customization`` console script.

One command so far: ``watch STACK`` (see :mod:`bedrock_customization.watch.command`). Importing this module, or the
package, starts nothing heavy: the constructs (and aws-cdk-lib's jsii runtime) load only when a construct is used.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

COMMANDS = {"watch": "watch a deployed stack's customization jobs and plot their loss"}
USAGE = "usage: bedrock-customization {watch} ...\n" + "".join(f"  {n:<8} {h}\n" for n, h in COMMANDS.items())


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="", file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] == "watch":
        from .watch.command import main as watch

        return watch(args[1:])
    print(f"bedrock-customization: unknown command {args[0]!r}\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
