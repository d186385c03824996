"""Benchmark of synth and start-up: our constructs against the floor and the peer, the asset, the provider's cold start.

Figures (issue "Scale and speed"), ratios first:
- synth time and template bytes of N jobs in one stack (1, 10, 100, 400) for ``ours`` (CustomizationJob, long wait,
  the stack's own provider), ``imported`` (the same jobs served by a provider stack deployed on its own), the
  ``floor`` (N plain custom resources) and the ``peer`` (CDK provider framework with isComplete), each case in a
  fresh Python process, timed from the app's construction to the end of ``app.synth()`` (the imports every case
  makes, ``aws_cdk`` and ``aws_s3``, and the jsii runtime's start excluded; what one case alone imports is counted:
  our package in ours, aws-cdk's Lambda and custom-resources modules in the peer's), from compiled bytecode as an
  installed package has it (``synth_env``); cases are interleaved, the median of ``--repeat`` runs is kept, so a
  machine that slows down slows them all;
- the provider's asset: files, bytes, zipped bytes (goal: at most 200 KB zipped);
- the provider's cold start (its handler imported, its runtime built and its Bedrock client, as on a Lambda cold
  start; the other clients are built when a request first needs them) against the floor ``import boto3, crhelper``
  plus one Bedrock client, in a fresh virtual environment that has only boto3 (as Lambda's
  Python runtime), the asset on ``sys.path`` and ``AWS_DATA_PATH`` set as in the function; interleaved, median.

Run: ``.venv/bin/python bench/synth.py [--jobs 1 10 100 400] [--repeat 3] [--cold-repeat 21]``. Prints figures and
asserts nothing. Goals: synth of 100 jobs at most 1.15x the floor; at most 2,048 template bytes per job; cold start at
most 1.10x the floor. ``--start-only``: the asset and the cold start only (no synth); ``--venv DIR``: keep the
boto3-only environment there between runs (default: a new one in the temporary folder).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "synth_apps.py"
CASES = ("floor", "peer", "ours", "imported")
ENV = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}


def synth_env(workdir: Path) -> dict[str, str]:
    """The environment of the synth processes: with compiled bytecode, as an installed package has it.

    ``pip install`` compiles every module, so a user's synth loads ours and aws-cdk-lib's from ``.pyc``; an
    editable checkout under ``PYTHONDONTWRITEBYTECODE`` (set on some machines) would compile our modules in every
    process instead, a cost (50-60 ms) no user pays. Bytecode goes to a folder of the run (``PYTHONPYCACHEPREFIX``),
    the source tree stays clean, and :func:`synth_figures` warms it before timing anything.
    """
    env = {key: value for key, value in ENV.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}


def synth_once(case: str, jobs: int, workdir: Path) -> dict:
    outdir = Path(tempfile.mkdtemp(prefix=f"{case}-{jobs}-", dir=workdir))
    answer = subprocess.run(
        [sys.executable, str(APPS), case, str(jobs), str(outdir)],
        capture_output=True,
        text=True,
        env=synth_env(workdir),
        cwd=ROOT,
        check=False,
    )
    if answer.returncode:
        raise SystemExit(f"{case} with {jobs} jobs failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def synth_figures(sizes: list[int], repeat: int, workdir: Path) -> list[dict]:
    rows = []
    for case in CASES:  # compiles every module each case loads (synth_env), untimed
        synth_once(case, 1, workdir)
    for jobs in sizes:
        runs: dict[str, list[dict]] = {case: [] for case in CASES}
        for _ in range(repeat):
            for case in CASES:  # interleaved: a slower moment of the machine touches every case
                runs[case].append(synth_once(case, jobs, workdir))
        row: dict = {"jobs": jobs}
        for case in CASES:
            row[case] = {
                "synth_s": statistics.median(r["synth_s"] for r in runs[case]),
                "bytes_per_job": runs[case][0]["bytes"] / jobs,
                "resources": runs[case][0]["resources"],
            }
        rows.append(row)
        print(
            f"  {jobs:>4} jobs: synth ours {row['ours']['synth_s']:.2f} s, "
            f"imported {row['imported']['synth_s']:.2f} s, floor {row['floor']['synth_s']:.2f} s, "
            f"peer {row['peer']['synth_s']:.2f} s",
            flush=True,
        )
    return rows


def asset_figures() -> tuple[dict, Path]:
    sys.path.insert(0, str(ROOT / "constructs"))
    from bedrock_customization.asset import staged_asset_dir

    asset = staged_asset_dir()
    files = [p for p in sorted(asset.rglob("*")) if p.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(asset))
    figures = {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "zipped": len(buffer.getvalue())}
    return figures, asset


FLOOR_START = """
import time
t = time.perf_counter()
import boto3, crhelper
boto3.session.Session().client("bedrock")
print(time.perf_counter() - t)
"""
OURS_START = """
import time
t = time.perf_counter()
from bedrock_customization_provider import handler
handler.runtime().clients.bedrock
print(time.perf_counter() - t)
"""


def runtime_python(venv: Path) -> Path:
    """A virtual environment with only boto3 (the repository's pinned version), like Lambda's Python runtime."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("boto")]
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *pins],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return python


def cold_start_figures(asset: Path, repeat: int, workdir: Path, venv: Path | None = None) -> dict:
    from bedrock_customization_provider import contract

    python = runtime_python(venv or workdir / "lambda-like")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(asset),
        "AWS_DATA_PATH": str(asset / contract.BOTOCORE_DATA_DIR),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": "provider",
        contract.ENV_STACK_ID: "arn:aws:cloudformation:us-east-1:111122223333:stack/Bench/0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    times: dict[str, list[float]] = {"floor": [], "ours": []}
    for _ in range(repeat):
        for case, code in (("floor", FLOOR_START), ("ours", OURS_START)):
            answer = subprocess.run(
                [str(python), "-B", "-c", code], capture_output=True, text=True, env=env, cwd=workdir, check=False
            )
            if answer.returncode:
                raise SystemExit(f"cold start ({case}) failed:\n{answer.stderr[-3000:]}")
            times[case].append(float(answer.stdout.strip().splitlines()[-1]))
    return {case: statistics.median(values) for case, values in times.items()}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 10, 100, 400])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold-repeat", type=int, default=21)
    parser.add_argument("--start-only", action="store_true", help="only the asset and the cold start, no synth")
    parser.add_argument("--venv", type=Path, help="keep the boto3-only environment here between runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        workdir = Path(tmp)
        started = time.monotonic()
        synth = []
        if not args.start_only:
            print("synth (fresh process per case, median of", args.repeat, "interleaved runs):", flush=True)
            synth = synth_figures(args.jobs, args.repeat, workdir)
        asset, asset_dir = asset_figures()
        cold = cold_start_figures(asset_dir, args.cold_repeat, workdir, args.venv)
        results = {"synth": synth, "asset": asset, "cold_start": cold, "wall_s": time.monotonic() - started}
    print(report(results))
    return results


def report(results: dict) -> str:
    header = "| jobs | provider | synth / floor | / peer | bytes per job (floor / peer) | resources (floor / peer) |"
    lines = ["", header, "|---|---|---|---|---|---|"] if results["synth"] else []
    for row in results["synth"]:
        floor, peer = row["floor"], row["peer"]
        for case, label in (("ours", "in the stack"), ("imported", "provider stack")):
            ours = row[case]
            lines.append(
                f"| {row['jobs']} | {label} | {ours['synth_s'] / floor['synth_s']:.2f}x ({ours['synth_s']:.2f} s / "
                f"{floor['synth_s']:.2f} s) | {ours['synth_s'] / peer['synth_s']:.2f}x ({peer['synth_s']:.2f} s) | "
                f"{ours['bytes_per_job']:,.0f} ({floor['bytes_per_job']:,.0f} / {peer['bytes_per_job']:,.0f}) | "
                f"{ours['resources']} ({floor['resources']} / {peer['resources']}) |"
            )
    asset, cold = results["asset"], results["cold_start"]
    lines.append("")
    lines.append(
        f"asset: {asset['files']} files, {asset['bytes'] / 1024:.0f} KB, {asset['zipped'] / 1024:.0f} KB zipped "
        f"(goal: at most 200 KB zipped)"
    )
    lines.append(
        f"cold start: {cold['ours'] / cold['floor']:.2f}x the floor (ours {cold['ours'] * 1000:.0f} ms, floor "
        f"{cold['floor'] * 1000:.0f} ms; goal: at most 1.10x)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
