"""A tiny runtime for the emulator's tests: speaks the Runtime API with http.client.

The event says what to do: {"print": text}, then one of {"echo": true} (answer with the event
and the headers of `next`), {"fail": error_type}, {"exit": status}, {"hang": true},
{"size": bytes}, {"twice": true}, {"stream": [piece, ...]} (a streamed response, a chunk a
piece; with "wait_for": path, the first piece is sent, then the rest once that file exists;
with "trailers": {name: value}, those end it; with "then_exit": status, it exits instead);
the default is to answer with the event itself.
`stand_in_runtime.py init-error` reports an init error and exits instead.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
NEXT_HEADERS = (
    "Lambda-Runtime-Aws-Request-Id",
    "Lambda-Runtime-Deadline-Ms",
    "Lambda-Runtime-Invoked-Function-Arn",
    "Lambda-Runtime-Trace-Id",
    "Lambda-Runtime-Client-Context",
)


def call(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read(), response


def park_extension() -> None:
    connection = http.client.HTTPConnection(API)
    _, _, response = call(
        connection,
        "POST",
        "/2020-01-01/extension/register",
        b'{"events": []}',
        {"Lambda-Extension-Name": "stand-in"},
    )
    identifier = response.headers["Lambda-Extension-Identifier"]
    ready = threading.Event()

    def wait() -> None:
        waiting = http.client.HTTPConnection(API)
        waiting.putrequest("GET", "/2020-01-01/extension/event/next")
        waiting.putheader("Lambda-Extension-Identifier", identifier)
        waiting.endheaders()
        ready.set()
        waiting.getresponse().read()

    threading.Thread(target=wait, daemon=True).start()
    ready.wait()


def serve() -> None:
    connection = http.client.HTTPConnection(API)
    while True:
        status, payload, response = call(connection, "GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            sys.exit(f"next answered {status}")
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        answer(connection, request_id, json.loads(payload or b"{}"), response)


def answer(
    connection: http.client.HTTPConnection,
    request_id: str,
    event: dict[str, object],
    response: http.client.HTTPResponse,
) -> None:
    base = f"/2018-06-01/runtime/invocation/{request_id}"
    if "print" in event:
        print(event["print"], flush=True)
    if "exit" in event:
        os._exit(int(str(event["exit"])))
    if event.get("hang"):
        subprocess.Popen(["sleep", "3600"], start_new_session=True)
        time.sleep(3600)
    if "fail" in event:
        document = {"errorType": "Failed", "errorMessage": "it failed", "stackTrace": []}
        headers = {"Lambda-Runtime-Function-Error-Type": str(event["fail"])}
        call(connection, "POST", f"{base}/error", json.dumps(document).encode(), headers)
        return
    if "size" in event:
        status, _, _ = call(connection, "POST", f"{base}/response", b"x" * int(str(event["size"])))
        error_status, _, _ = call(connection, "POST", f"{base}/error", b"{}")
        print(f"response {status}, then error {error_status}", flush=True)
        return
    if "stream" in event:
        stream(connection.host, connection.port, base, event)
        return
    body = event
    if event.get("echo"):
        body = {"event": event, "headers": {name: response.headers[name] for name in NEXT_HEADERS}}
    status, _, _ = call(connection, "POST", f"{base}/response", json.dumps(body).encode())
    if event.get("twice"):
        again, _, _ = call(connection, "POST", f"{base}/response", b"{}")
        print(f"response {status}, then again {again}", flush=True)


def stream(host: str, port: int, base: str, event: dict[str, Any]) -> None:
    """A streamed response written by hand: http.client cannot send trailers."""
    with socket.create_connection((host, port)) as connection:
        connection.sendall(
            f"POST {base}/response HTTP/1.1\r\nHost: {host}\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
            "\r\n\r\n".encode()
        )
        for index, piece in enumerate(event["stream"]):
            data = str(piece).encode()
            connection.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            while index == 0 and "wait_for" in event and not os.path.exists(event["wait_for"]):
                time.sleep(0.01)
        if "then_exit" in event:
            os._exit(int(event["then_exit"]))
        trailers = "".join(f"{k}: {v}\r\n" for k, v in event.get("trailers", {}).items())
        connection.sendall(f"0\r\n{trailers}\r\n".encode())
        response = http.client.HTTPResponse(connection)
        response.begin()
        print(f"stream answered {response.status}", flush=True)


def main() -> None:
    if sys.argv[1:] == ["init-error"]:
        connection = http.client.HTTPConnection(API)
        document = {"errorType": "BadSetting", "errorMessage": "The setting is bad."}
        headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.BadSetting"}
        path = "/2018-06-01/runtime/init/error"
        call(connection, "POST", path, json.dumps(document).encode(), headers)
        sys.exit(1)
    park_extension()
    print("stand-in runtime ready", flush=True)
    serve()


if __name__ == "__main__":
    main()
