"""Where Bedrock writes a job's metric CSVs, and reading them from S3.

Bedrock writes under the job's output URI, in a folder named after the job id (the last segment of the job ARN):

- ``<output>/model-customization-job-<job id>/training_artifacts/step_wise_training_metrics.csv``
- ``<output>/model-customization-job-<job id>/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv``

Why list before reading: without ``s3:ListBucket`` S3 answers a missing object with AccessDenied, not NoSuchKey, so
"not written yet" and "not allowed" would look the same. One ListObjectsV2 on the job's folder tells them apart, and
each AccessDenied names the bucket, the prefix and the permission that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .errors import MetricsAccessError, MetricsFormatError
from .training_metrics import MetricsSeries, parse_metrics

TRAINING_FILE = "training_artifacts/step_wise_training_metrics.csv"
VALIDATION_FILE = "validation_artifacts/post_fine_tuning_validation/validation_metrics.csv"
_DENIED = {"AccessDenied", "AccessDeniedException", "403", "Forbidden", "AllAccessDisabled"}
_KMS_DENIED = ("KMS", "kms")


@dataclass(frozen=True)
class MetricLocation:
    bucket: str
    #: The job's folder: ``<output prefix>model-customization-job-<job id>/``.
    prefix: str

    @property
    def training_key(self) -> str:
        return self.prefix + TRAINING_FILE

    @property
    def validation_key(self) -> str:
        return self.prefix + VALIDATION_FILE

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class JobMetrics:
    location: MetricLocation
    training: MetricsSeries | None = None
    validation: MetricsSeries | None = None
    #: Why a file that should be there could not be used (format problems; access problems raise instead).
    problems: tuple[str, ...] = ()

    @property
    def has_any(self) -> bool:
        return bool((self.training and self.training.rows) or (self.validation and self.validation.rows))


def job_id(job_arn: str) -> str:
    """``arn:aws:bedrock:us-east-1:111122223333:model-customization-job/<model>/<id>`` -> ``<id>``."""
    return job_arn.rstrip("/").rsplit("/", 1)[-1]


def metric_location(output_s3_uri: str, job_arn: str) -> MetricLocation:
    """The job's metrics folder under its ``outputDataConfig.s3Uri`` (with or without a trailing slash)."""
    if not output_s3_uri.startswith("s3://"):
        raise ValueError(f"output URI {output_s3_uri!r} is not an s3:// URI")
    bucket, _, prefix = output_s3_uri[len("s3://") :].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return MetricLocation(bucket, f"{prefix}model-customization-job-{job_id(job_arn)}/")


def read_job_metrics(s3: Any, location: MetricLocation) -> JobMetrics:
    """Both CSVs that exist under ``location`` (None for a file not written yet).

    Raises :class:`MetricsAccessError` when the folder cannot be listed or a file cannot be read.
    """
    present = _list_keys(s3, location)
    problems: list[str] = []
    series: dict[str, MetricsSeries | None] = {}
    for name, key in (("training", location.training_key), ("validation", location.validation_key)):
        if key not in present:
            series[name] = None
            continue
        text = _get_text(s3, location.bucket, key)
        if text is None:  # removed between the listing and the read
            series[name] = None
            continue
        try:
            series[name] = parse_metrics(text, source=f"s3://{location.bucket}/{key}")
        except MetricsFormatError as exc:
            series[name] = None
            problems.append(str(exc))
    return JobMetrics(location, series["training"], series["validation"], tuple(problems))


def _list_keys(s3: Any, location: MetricLocation) -> set[str]:
    keys: set[str] = set()
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.prefix):
            keys.update(item["Key"] for item in page.get("Contents", []))
    except ClientError as exc:
        code = _code(exc)
        if code in _DENIED:
            raise MetricsAccessError(
                f"cannot list s3://{location.bucket}/{location.prefix}: {code} "
                f"(needs s3:ListBucket on arn:aws:s3:::{location.bucket} with s3:prefix {location.prefix}*)"
            ) from exc
        if code == "NoSuchBucket":
            raise MetricsAccessError(
                f"cannot read the job's output: bucket {location.bucket} does not exist (NoSuchBucket)"
            ) from exc
        raise
    return keys


def _get_text(s3: Any, bucket: str, key: str) -> str | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        code = _code(exc)
        if code == "NoSuchKey":
            return None
        message = str(exc.response.get("Error", {}).get("Message") or "")
        if code in _DENIED or code.startswith("KMS."):
            kms = " and kms:Decrypt on the bucket's KMS key" if any(w in code + message for w in _KMS_DENIED) else ""
            raise MetricsAccessError(
                f"cannot read s3://{bucket}/{key}: {code} (needs s3:GetObject on arn:aws:s3:::{bucket}/{key}{kms})"
            ) from exc
        raise
    return body.decode("utf-8", errors="replace")


def _code(exc: ClientError) -> str:
    return str(
        exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    )
