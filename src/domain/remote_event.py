"""Domain: the event `--invoke` sends, built from the command line as local mode would run it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .errors import RunCommandError
from .event import IDEMPOTENCY_KEY_FIELD

if TYPE_CHECKING:
    from .remote_outcome import InvokeOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteInvocation:
    """One event to send to `function` (a name, an ARN, or NAME:QUALIFIER), as `tenant_id`
    for a function with tenant isolation."""

    function: str
    payload: bytes
    stream: bool = True
    log_tail: bool = False
    tenant_id: str | None = None


class RemoteInvoker(Protocol):
    """Sends one invocation to Lambda, once, and says what became of it."""

    def invoke(
        self,
        invocation: RemoteInvocation,
        on_output: Callable[[bytes], None] | None = None,
        on_answer: Callable[[str | None], None] | None = None,
    ) -> InvokeOutcome:
        """Wait for the end; output goes to `on_output` as it comes (else into the outcome).

        `on_answer` gets the request id (None when AWS gave none) as soon as Lambda's answer
        begins, before its output: whoever stops waiting can still say which request it was.
        """
        ...


class EventOptionError(RunCommandError):
    """`--event` and the command line do not make one event; the message says how to fix it."""


def build_event(
    command: Sequence[str],
    event_text: bytes | None,
    *,
    stream: bool,
    idempotency_key: str | None = None,
) -> bytes:
    """The JSON payload of `compose_event`; with `stream`, it asks for a streamed response.

    `idempotency_key` (`--idempotency-key`) becomes the event's `idempotencyKey`.
    """
    event = compose_event(command, event_text)
    if stream:
        event["stream"] = True
    if idempotency_key is not None:
        _add_key(event, idempotency_key)
    return json.dumps(event, ensure_ascii=False).encode()


def _add_key(event: dict[str, object], key: str) -> None:
    if not key.strip():
        raise EventOptionError(
            "--idempotency-key must not be empty: name what this run is for, such as migrate-4.2."
        )
    given = event.get(IDEMPOTENCY_KEY_FIELD)
    if given is not None and given != key:
        raise EventOptionError(
            f'--event sets "{IDEMPOTENCY_KEY_FIELD}" and --idempotency-key gives another: '
            "give the key one way only."
        )
    event[IDEMPOTENCY_KEY_FIELD] = key


def compose_event(command: Sequence[str], event_text: bytes | None) -> dict[str, object]:
    """`event_text` (a JSON object, or nothing for `{}`) with the command of the command line.

    The command line gives `program` and `arguments`; `--event` gives the other fields.
    Giving the program both ways is refused rather than silently choosing one.
    """
    event = _parse(event_text) if event_text is not None and event_text.strip() else {}
    if command:
        given = [name for name in ("program", "arguments") if name in event]
        if given:
            raise EventOptionError(
                f'--event sets "{given[0]}" and a command is given on the command line too: '
                "give the command one way only."
            )
        event["program"], event["arguments"] = command[0], list(command[1:])
    return event


def _parse(event_text: bytes) -> dict[str, object]:
    try:
        event = json.loads(event_text)
    except (ValueError, RecursionError) as error:
        raise EventOptionError(
            f"--event is not valid JSON ({error}). Example: "
            '--event \'{"environment": {"STAGE": "test"}, "timeout": 60}\''
        ) from None
    if not isinstance(event, dict):
        raise EventOptionError(
            f"--event must be a JSON object, not {type(event).__name__}: "
            'for example {"timeout": 60}.'
        )
    return event
