"""``python -m bedrock_customization_local.emulator``: run the emulator standalone until interrupted.

Prints the endpoint URL (first line of stdout, flushed) so a parent process can read it and export
``AWS_ENDPOINT_URL``; ``--url-file`` writes it to a file as well.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bedrock_customization_local.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--speed", type=float, default=1.0, help="virtual seconds per wall second (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed for resource ids and rate-based faults")
    parser.add_argument("--url-file", type=Path, help="also write the endpoint URL to this file")
    parser.add_argument("--log-requests", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)

    emulator = Emulator(
        host=args.host, port=args.port, speed=args.speed, seed=args.seed, log_requests=args.log_requests
    ).start()
    url = emulator.endpoint_url
    print(url, flush=True)
    if args.url_file:
        args.url_file.write_text(url + "\n")

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
