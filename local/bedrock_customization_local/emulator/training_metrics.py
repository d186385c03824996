"""The training metric files Bedrock writes to a job's output location, as pure functions of (job record, virtual now).

What Bedrock writes (User Guide, "Analyze the results of a model customization job"), under
``<outputDataConfig.s3Uri>/model-customization-job-<job id>/``:

- ``training_artifacts/step_wise_training_metrics.csv``: ``step_number,epoch_number,training_loss,perplexity``, one
  row per training step (step_number from 0), growing while the job trains;
- ``validation_artifacts/post_fine_tuning_validation/validation_metrics.csv``: the same columns with
  ``validation_loss``, only for a job given validation data, once it has completed.

Rows as a function of time: the job's steps (``epochCount`` x :data:`STEPS_PER_EPOCH`) are spread evenly over its
scenario's training phase, and the rows present at virtual time t are the steps reached by t, by the job's end (a
Failed job) or by its stop request (a Stopped one, whose rows stay as they were). The losses come from a seeded
random stream (store seed + job id), so every run draws the same curve: an exponential decay from about 1.5-2.5 above
the final loss, with per-step noise, ending exactly on the scenario's ``training_loss`` / ``validation_loss``, the
values GetModelCustomizationJob reports. Each file's rows are a prefix of the finished file.

Where they reach S3 (:func:`publish`, called by the server): right before a request goes to moto's S3, not in
``Store.settle``. ``settle`` runs on Bedrock calls and clock advances, but a watcher that only reads S3 makes neither,
and a clock running at speed moves between Bedrock calls; an S3 request is the moment a reader can look, so writing
what is due then keeps "nothing runs in the background" and still shows every reader the rows of its virtual now.
A file is written only when its row count changed since the emulator last wrote it (kept on the job record), so an
object a client deleted is not brought back unless new rows arrive, and a finished job's files are written once.
Nothing is written when the output bucket does not exist (Bedrock would fail the job; the emulator invents no bucket).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .lifecycle import natural_end, phase_bounds

if TYPE_CHECKING:
    from .state import JobRecord

TRAINING_FILE = "training_artifacts/step_wise_training_metrics.csv"
VALIDATION_FILE = "validation_artifacts/post_fine_tuning_validation/validation_metrics.csv"
TRAINING_COLUMNS = ("step_number", "epoch_number", "training_loss", "perplexity")
VALIDATION_COLUMNS = ("step_number", "epoch_number", "validation_loss", "perplexity")
#: Steps per epoch: fixed, since the emulator never reads the training data (Bedrock's depend on its size and batch).
STEPS_PER_EPOCH = 50
#: Epochs when the job's hyperParameters give no usable ``epochCount``.
DEFAULT_EPOCHS = 2
#: At most this many steps in all: more epochs get fewer steps each, so a file stays small enough to re-render.
MAX_STEPS = 2000


@dataclass(frozen=True)
class MetricsFile:
    """One metric file as due at a virtual time: where it goes, how many data rows it has, and when its last row was
    written (the object's LastModified)."""

    account: str
    bucket: str
    key: str
    name: str  # TRAINING_FILE or VALIDATION_FILE
    rows: int
    modified: datetime


def job_id(job_arn: str) -> str:
    """The job id Bedrock puts in the folder name: the ARN's last segment
    (``arn:aws:bedrock:<region>:<account>:model-customization-job/<base model id>/<job id>``)."""
    return job_arn.rsplit("/", 1)[-1]


def metrics_prefix(output_s3_uri: str, job_arn: str) -> tuple[str, str]:
    """(bucket, key prefix ending in ``/``) of a job's output folder; the metric files are the prefix plus
    :data:`TRAINING_FILE` or :data:`VALIDATION_FILE`.

    >>> metrics_prefix("s3://out-bucket/runs/", "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/m/abc")
    ('out-bucket', 'runs/model-customization-job-abc/')
    """
    if not output_s3_uri.startswith("s3://"):
        raise ValueError(f"not an S3 URI: {output_s3_uri!r}")
    bucket, _, prefix = output_s3_uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {output_s3_uri!r}")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # joined with one slash; a prefix given with its own slash is kept as it is
    return bucket, f"{prefix}model-customization-job-{job_id(job_arn)}/"


def epoch_count(hyper_parameters: dict[str, str] | None) -> int:
    """The job's ``epochCount`` hyperparameter (a string in the API), or :data:`DEFAULT_EPOCHS`."""
    try:
        epochs = int(str((hyper_parameters or {}).get("epochCount", DEFAULT_EPOCHS)))
    except ValueError:
        return DEFAULT_EPOCHS
    return max(epochs, 1)


def steps_per_epoch(epochs: int) -> int:
    return max(1, min(STEPS_PER_EPOCH, MAX_STEPS // epochs))


def _has_validation(job: JobRecord) -> bool:
    return bool((job.request.get("validationDataConfig") or {}).get("validators"))


def _training_pace(job: JobRecord) -> tuple[datetime, timedelta, datetime]:
    """(training start, training length, when training stops advancing: its end, the job's failure or the stop
    request). The pace is the scenario's ``training_seconds`` even for ``run_forever``, whose rows then stop growing
    there while the job keeps training."""
    start = phase_bounds(job.created, job.scenario)["training"][0]
    length = timedelta(seconds=job.scenario.training_seconds)
    halt = natural_end(job.created, job.scenario)
    if job.stop_at is not None and job.stop_at < halt:
        halt = job.stop_at
    return start, length, halt


def steps_reached(job: JobRecord, now: datetime) -> int:
    """How many training steps (rows) are done at ``now``: step i is done at start + (i + 1) / total x length."""
    epochs = epoch_count(job.request.get("hyperParameters"))
    total = epochs * steps_per_epoch(epochs)
    start, length, halt = _training_pace(job)
    at = min(now, halt)
    if at < start:
        return 0
    if at >= start + length:
        return total
    return min(total, (at - start) * total // length)  # timedelta arithmetic: exact, no float rounding at a step


def files_due(job: JobRecord, now: datetime) -> list[MetricsFile]:
    """The metric files that exist at ``now`` (those with at least one row), without their contents."""
    try:
        bucket, prefix = metrics_prefix(job.request["outputDataConfig"]["s3Uri"], job.arn)
    except (KeyError, TypeError, ValueError):
        return []
    account = job.arn.split(":")[4]
    steps = steps_reached(job, now)
    if steps == 0:
        return []
    epochs = epoch_count(job.request.get("hyperParameters"))
    start, length, halt = _training_pace(job)
    written = min(halt, start + length * steps / (epochs * steps_per_epoch(epochs)))
    files = [MetricsFile(account, bucket, prefix + TRAINING_FILE, TRAINING_FILE, steps, written)]
    view = job.view(now)
    if view.status == "Completed" and _has_validation(job):
        assert view.end_time is not None
        files.append(MetricsFile(account, bucket, prefix + VALIDATION_FILE, VALIDATION_FILE, epochs, view.end_time))
    return files


# --- curves ----------------------------------------------------------------------------------------------------------
Row = tuple[int, int, float, float]  # step_number, epoch_number, loss, perplexity


@dataclass(frozen=True)
class _Curve:
    rng: random.Random
    start_gap: float  # how far above the final loss training starts
    decay: float  # exponential decay rate over the run (progress 0..1)
    overfit: float  # validation sits this fraction of the gap above training


def _curve(job: JobRecord, seed: int) -> _Curve:
    rng = random.Random(f"training-metrics:{seed}:{job_id(job.arn)}")  # str seeds hash with SHA-512: stable
    return _Curve(rng, rng.uniform(1.5, 2.5), rng.uniform(3.5, 6.0), rng.uniform(0.05, 0.25))


def _smooth(final: float, gap: float, decay: float, progress: float) -> float:
    """``final`` at progress 1, ``final + gap * (1 - e^-decay)`` at 0."""
    return final + gap * (math.exp(-decay * progress) - math.exp(-decay))


def _noisy(rng: random.Random, value: float, sigma: float) -> float:
    return value * (1 + max(-3 * sigma, min(3 * sigma, rng.gauss(0, sigma))))


def _row(step: int, epoch: int, loss: float) -> Row:
    loss = round(loss, 6)
    return step, epoch, loss, round(math.exp(loss), 4)


def training_rows(job: JobRecord, seed: int) -> list[Row]:
    """Every step's row of the finished file (the file at a time is a prefix of it)."""
    epochs = epoch_count(job.request.get("hyperParameters"))
    per_epoch = steps_per_epoch(epochs)
    total = epochs * per_epoch
    curve = _curve(job, seed)
    final = job.scenario.training_loss
    rows = []
    for step in range(total):
        progress = step / (total - 1) if total > 1 else 1.0
        loss = _noisy(curve.rng, _smooth(final, curve.start_gap, curve.decay, progress), 0.06)
        rows.append(_row(step, step // per_epoch, final if step == total - 1 else loss))
    return rows


def validation_rows(job: JobRecord, seed: int) -> list[Row]:
    """One row per epoch, at its last step, a little above the training curve, ending on ``validation_loss``."""
    epochs = epoch_count(job.request.get("hyperParameters"))
    per_epoch = steps_per_epoch(epochs)
    total = epochs * per_epoch
    curve = _curve(job, seed)
    noise = random.Random(f"validation-metrics:{seed}:{job_id(job.arn)}")
    final = job.scenario.validation_loss
    rows = []
    for epoch in range(epochs):
        step = (epoch + 1) * per_epoch - 1
        progress = step / (total - 1) if total > 1 else 1.0
        smooth = _smooth(final, curve.start_gap * (1 + curve.overfit), curve.decay, progress)
        rows.append(_row(step, epoch, final if epoch == epochs - 1 else _noisy(noise, smooth, 0.02)))
    return rows


def render_csv(columns: Iterable[str], rows: Iterable[Row]) -> str:
    """A header line and one line per row, plain decimals, ``\\n`` line ends."""
    lines = [",".join(columns)]
    lines += [f"{step},{epoch},{loss:.6f},{perplexity:.4f}" for step, epoch, loss, perplexity in rows]
    return "\n".join(lines) + "\n"


def render(job: JobRecord, seed: int, file: MetricsFile) -> str:
    """The CSV text of ``file`` as due: its first ``file.rows`` rows."""
    if file.name == TRAINING_FILE:
        return render_csv(TRAINING_COLUMNS, training_rows(job, seed)[: file.rows])
    return render_csv(VALIDATION_COLUMNS, validation_rows(job, seed)[: file.rows])


# --- publishing ------------------------------------------------------------------------------------------------------
#: Writes one object if its bucket exists (the body is rendered only then); False when the bucket is missing.
Put = Callable[[MetricsFile, Callable[[], str]], bool]


def publish(jobs: Iterable[JobRecord], now: datetime, seed: int, put: Put) -> None:
    """Write each job's files whose row count changed since the last write (call under the store's lock)."""
    for job in jobs:
        for file in files_due(job, now):
            if job.metrics_published.get(file.key) == file.rows:
                continue
            if put(file, lambda job=job, file=file: render(job, seed, file)):
                job.metrics_published[file.key] = file.rows


def put_moto_object(file: MetricsFile, body: Callable[[], str]) -> bool:
    """:data:`Put` into moto's S3 backend, in process: a plain object (no KMS), LastModified = ``file.modified``."""
    from moto.s3.models import s3_backends

    backend = s3_backends[file.account]["aws"]
    if file.bucket not in backend.buckets:
        return False
    key = backend.put_object(file.bucket, file.key, body().encode())
    key.set_metadata({"Content-Type": "text/csv"})
    key.last_modified = file.modified.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC times
    return True
