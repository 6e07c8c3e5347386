"""A real S3-compatible server for the stored-files tests: moto's server (``moto[server]``, a
dev dependency) in a process of its own on a free loopback port, spoken to over HTTP by boto3
exactly as production speaks to its bucket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

from tests.support.processes import free_port

KEYS = {"FILES_S3_ACCESS_KEY_ID": "testing-key-id", "FILES_S3_SECRET_ACCESS_KEY": "testing-secret"}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def settings(self, bucket: str) -> dict[str, Any]:
        """The app's ``FILES_S3_*`` settings for ``bucket`` on this server."""
        return {
            "FILES_S3_BUCKET": bucket,
            "FILES_S3_ENDPOINT_URL": self.endpoint,
            "FILES_S3_REGION": "us-east-1",
            **KEYS,
        }

    def client(self) -> Any:
        from webapp.jobs.files import s3_client

        return s3_client(self.settings("unused"))

    def new_bucket(self) -> str:
        name = f"backoffice-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))


@contextmanager
def moto_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint + "/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield S3Server(endpoint)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
