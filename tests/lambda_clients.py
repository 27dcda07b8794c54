"""AWS's own clients pointed at an emulator: boto3's Lambda client and the AWS CLI."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from mypy_boto3_lambda import LambdaClient

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def boto3_lambda(endpoint: str) -> LambdaClient:
    """A Lambda client for `endpoint` (http://host:port), no retries, dummy credentials."""
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy: the emulator checks none
        config=Config(retries={"total_max_attempts": 1}, read_timeout=120, connect_timeout=10),
    )


@dataclass(frozen=True)
class Invoked:
    """What a client got back from Invoke."""

    status: int
    function_error: str | None
    body: Any
    log: str


def invoke_with_boto3(client: LambdaClient, event: object, name: str = "function") -> Invoked:
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return Invoked(
        status=answer["StatusCode"],
        function_error=answer.get("FunctionError"),
        body=json.loads(answer["Payload"].read()),
        log=base64.b64decode(answer["LogResult"]).decode(errors="replace"),
    )


def invoke_with_aws_cli(endpoint: str, event: object, tmp_path: Path) -> Invoked:
    """`aws lambda invoke --endpoint-url ... --payload fileb://event.json --log-type Tail out`."""
    event_file, out_file = tmp_path / "event.json", tmp_path / "out.json"
    event_file.write_text(json.dumps(event))
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "aws"),
            "lambda",
            "invoke",
            "--endpoint-url",
            endpoint,
            "--function-name",
            "function",
            "--payload",
            f"fileb://{event_file}",
            "--log-type",
            "Tail",
            str(out_file),
        ],
        capture_output=True,
        env={**os.environ, **DUMMY_CREDENTIALS, "AWS_CONFIG_FILE": "/dev/null"},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    metadata = json.loads(completed.stdout)
    return Invoked(
        status=metadata["StatusCode"],
        function_error=metadata.get("FunctionError"),
        body=json.loads(out_file.read_bytes()),
        log=base64.b64decode(metadata["LogResult"]).decode(errors="replace"),
    )


@dataclass(frozen=True)
class Streamed:
    """What a client got back from InvokeWithResponseStream."""

    status: int
    content_type: str
    chunks: list[bytes]
    complete: dict[str, Any]
    """The InvokeComplete event: ErrorCode, ErrorDetails, LogResult, each when there."""

    @property
    def output(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def log(self) -> str:
        return base64.b64decode(self.complete.get("LogResult", "")).decode(errors="replace")


def stream_with_boto3(
    client: LambdaClient,
    event: object,
    *,
    name: str = "function",
    on_chunk: Callable[[bytes], None] = lambda chunk: None,
) -> Streamed:
    """`invoke_with_response_stream` with the log tail; `on_chunk` sees each chunk on arrival."""
    answer = client.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail"
    )
    chunks: list[bytes] = []
    completes: list[dict[str, Any]] = []
    for item in answer["EventStream"]:
        if "PayloadChunk" in item:
            chunks.append(item["PayloadChunk"]["Payload"])
            on_chunk(chunks[-1])
        elif "InvokeComplete" in item:
            completes.append(dict(item["InvokeComplete"]))
    assert len(completes) == 1, "exactly one InvokeComplete ends the stream"
    return Streamed(
        status=answer["StatusCode"],
        content_type=answer["ResponseMetadata"]["HTTPHeaders"]["content-type"],
        chunks=chunks,
        complete=completes[0],
    )
