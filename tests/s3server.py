"""A local S3-compatible server for the tests: moto's server, run as a real HTTP process.

The object store is tested over HTTP as production talks to S3 or MinIO, not through
moto's in-process mock: signing, addressing, streaming bodies and errors all cross the wire.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

CREDENTIALS = {"S3_ACCESS_KEY_ID": "portal-test", "S3_SECRET_ACCESS_KEY": "portal-test-secret", "S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(log: Path) -> tuple[subprocess.Popen, str]:
    """Start moto's server on a free port; (process, endpoint URL) once it answers."""
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return process, endpoint
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"moto's S3 server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def new_bucket(endpoint: str) -> dict[str, str]:
    """A fresh bucket on the server; the settings that name it (FILE_STORAGE=s3)."""
    import boto3

    bucket = f"portal-{uuid.uuid4().hex[:12]}"
    settings = {"FILE_STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, "S3_ADDRESSING_STYLE": "path",
                **CREDENTIALS}
    boto3.client("s3", endpoint_url=endpoint, region_name=CREDENTIALS["S3_REGION"],
                 aws_access_key_id=CREDENTIALS["S3_ACCESS_KEY_ID"],
                 aws_secret_access_key=CREDENTIALS["S3_SECRET_ACCESS_KEY"]).create_bucket(Bucket=bucket)
    return settings
