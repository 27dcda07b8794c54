"""Bench: the floor. The least a runtime can do per invocation, as a reference, not a product.

`http.client` on one kept-alive connection to the Runtime API, `os.posix_spawnp` for the child
(its stdout and stderr on one pipe), the output forwarded to our stdout with its last 4 KiB kept
for the response, `waitpid`. No validation, no timeouts, no logging: whatever a real runtime
spends beyond this is the price of its features.
"""

from __future__ import annotations

import http.client
import json
import os

_BASE = "/2018-06-01/runtime/invocation/"
_TAIL = 4096


def main() -> None:
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    while True:
        connection.request("GET", _BASE + "next")
        reply = connection.getresponse()
        event = json.loads(reply.read())
        request_id = reply.getheader("Lambda-Runtime-Aws-Request-Id")
        status, tail = run([event["program"], *event.get("arguments", ())])
        body = {"exitCode": status, "output": tail.decode(errors="replace")}
        kind = "response" if status == 0 else "error"
        connection.request("POST", f"{_BASE}{request_id}/{kind}", json.dumps(body))
        connection.getresponse().read()


def run(argv: list[str]) -> tuple[int, bytes]:
    read_end, write_end = os.pipe()
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1), (os.POSIX_SPAWN_DUP2, write_end, 2)],
            setsid=True,
        )
    except OSError:
        return 127, b""
    finally:
        os.close(write_end)
    tail = b""
    while chunk := os.read(read_end, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(1, view) :]
        tail = (tail + chunk)[-_TAIL:]
    os.close(read_end)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), tail


if __name__ == "__main__":
    main()
