"""Where files jobs make are kept: a folder on this machine (``make run``) or an S3-compatible
bucket (production: several web processes and workers on different machines read the same
files). Never public: the dashboard streams them to staff allowed to see the job.

Both stores take the same keys (``jobs/<id>/…``), write a finished file from a path on disk
(a ZIP is built in a temporary file, never in memory: S3 gets it as a multipart upload) and
read it back a chunk at a time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

CHUNK = 256 * 1024


class FileStore(Protocol):
    """What jobs and downloads need of a store."""

    where: str

    def put_path(self, key: str, path: str) -> int: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> Iterator[bytes]: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...


def check_key(key: str) -> str:
    """A key made by the back office: ``jobs/…`` with no way out of its folder."""
    parts = key.split("/")
    if not key.startswith("jobs/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a job file key: {key!r}")
    return key


class LocalFiles:
    """Files under one folder (the instance folder under ``make run``)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.where = f"folder {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_path(self, key: str, path: str) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)  # readers never see half a file
        return target.stat().st_size

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, target)

    def read(self, key: str) -> Iterator[bytes]:
        with self._path(key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.exists():
            return 0
        count = sum(1 for entry in folder.rglob("*") if entry.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count


class S3Files:
    """Files in one bucket of an S3-compatible service (AWS, or any endpoint that speaks it)."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client
        endpoint = getattr(getattr(client, "meta", None), "endpoint_url", "") or ""
        self.where = f"bucket {bucket}" + (f" at {endpoint}" if endpoint else "")

    def put_path(self, key: str, path: str) -> int:
        # boto3's managed transfer: a multipart upload past 8 MB, parts sent a few at once
        self.client.upload_file(path, self.bucket, check_key(key))
        return os.path.getsize(path)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data)

    def read(self, key: str) -> Iterator[bytes]:
        answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        check_key(prefix.rstrip("/"))
        deleted = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
                deleted += len(keys)
        return deleted


def s3_client(settings: dict[str, Any]) -> Any:
    """A boto3 client from the ``FILES_S3_*`` settings (keys from the environment's usual
    places when not given: ``AWS_ACCESS_KEY_ID``…, an instance role)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.get("FILES_S3_ENDPOINT_URL") or None,
        region_name=settings.get("FILES_S3_REGION") or None,
        aws_access_key_id=settings.get("FILES_S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=settings.get("FILES_S3_SECRET_ACCESS_KEY") or None,
        config=Config(
            connect_timeout=5, read_timeout=60, retries={"max_attempts": 5, "mode": "standard"}
        ),
    )


def build_store(settings: dict[str, Any], instance_path: str) -> FileStore:
    """The bucket when ``FILES_S3_BUCKET`` is set, else ``FILES_DIR`` (default
    ``instance/job-files``)."""
    bucket = settings.get("FILES_S3_BUCKET")
    if bucket:
        return S3Files(bucket, s3_client(settings))
    return LocalFiles(settings.get("FILES_DIR") or os.path.join(instance_path, "job-files"))
