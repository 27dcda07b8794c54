"""Unit: the emulator's Runtime API rules, with the runtime's side played by a thread."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator

import pytest

from run_command_on_aws_lambda.adapters.emulator.exchange import RESPONSE_LIMIT, Exchange
from run_command_on_aws_lambda.adapters.emulator.extensions import (
    ContractError,
    SandboxClosedError,
)
from run_command_on_aws_lambda.adapters.emulator.outcomes import (
    Answered,
    Delivery,
    Event,
    Exited,
    InitFailed,
    Outcome,
    ResponseStream,
    TimedOut,
    kept_error_type,
)


def event(request_id: str = "req-1") -> Event:
    return Event(request_id=request_id, payload=b"{}", function_arn="arn:aws:lambda:x")


class Invoker:
    """Runs `exchange.run(event)` in a thread, so the test can act as the runtime."""

    def __init__(
        self,
        exchange: Exchange,
        invocation: Event,
        sink: Callable[[bytes], None] | None = None,
    ) -> None:
        self.outcome: Outcome | None = None
        self._thread = threading.Thread(target=self._run, args=(exchange, invocation, sink))
        self._thread.start()

    def _run(
        self, exchange: Exchange, invocation: Event, sink: Callable[[bytes], None] | None
    ) -> None:
        self.outcome = exchange.run(invocation, sink)

    def result(self) -> Outcome | None:
        self._thread.join(30)
        return self.outcome


@pytest.fixture
def exchange() -> Iterator[Exchange]:
    exchange = Exchange(timeout=30, wall_clock=lambda: 1_000.0)
    yield exchange
    exchange.close()


def refusal(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(ContractError) as refused:
        call()
    return refused.value.status, refused.value.error_type


def test_next_hands_out_the_event_with_a_deadline_from_the_function_timeout(
    exchange: Exchange,
) -> None:
    """Lambda-Runtime-Deadline-Ms is when `next` returned plus the timeout, in epoch ms."""
    invoker = Invoker(exchange, event())
    delivery = exchange.next()
    assert delivery == Delivery(
        event=event(), deadline_ms=1_030_000, invocation_id=delivery.invocation_id
    )
    exchange.respond("req-1", b'{"ok": true}')
    assert invoker.result() == Answered(b'{"ok": true}')


def test_an_error_is_answered_with_the_error_type_lambda_keeps(exchange: Exchange) -> None:
    """The body goes back as posted; the error type header is checked like Lambda does."""
    invoker = Invoker(exchange, event())
    exchange.next()
    exchange.fail("req-1", b'{"errorType": "CommandFailed"}', "Function.CommandFailed")
    assert invoker.result() == Answered(b'{"errorType": "CommandFailed"}', "Function.CommandFailed")


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("Function.CommandFailed", "Function.CommandFailed"),
        ("Runtime.ExitError", "Runtime.ExitError"),
        ("CommandFailed", "Function.Unknown"),
        ("Function.commandFailed", "Function.Unknown"),
        ("Function.Command_Failed", "Function.Unknown"),
        ("Handler.Failed", "Function.Unknown"),
        (None, "Function.Unknown"),
    ],
)
def test_error_types_outside_runtime_or_function_dot_name_become_unknown(
    header: str | None, kept: str
) -> None:
    """Only `(Runtime|Function).Xxx` survives, as on Lambda."""
    assert kept_error_type(header, "Function.Unknown") == kept


def test_an_unknown_request_id_is_a_400_and_a_second_answer_a_403(exchange: Exchange) -> None:
    """Answers are for the current request, once."""
    invoker = Invoker(exchange, event())
    exchange.next()
    assert refusal(lambda: exchange.respond("someone-else", b"{}")) == (400, "InvalidRequestID")
    exchange.respond("req-1", b"{}")
    assert refusal(lambda: exchange.respond("req-1", b"{}"))[0] == 403
    assert refusal(lambda: exchange.fail("req-1", b"{}", None))[0] == 403
    assert invoker.result() == Answered(b"{}")


def test_a_response_over_6_mib_is_a_413_and_closes_the_invocation(exchange: Exchange) -> None:
    """The invoker gets Function.ResponseSizeTooLarge; a later error post is refused."""
    invoker = Invoker(exchange, event())
    exchange.next()
    status, _ = refusal(lambda: exchange.respond("req-1", b"x" * (RESPONSE_LIMIT + 1)))
    assert status == 413
    assert refusal(lambda: exchange.fail("req-1", b"{}", None))[0] == 403
    outcome = invoker.result()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.ResponseSizeTooLarge"
    assert b"Response payload size exceeded" in outcome.body


def test_next_before_answering_the_current_event_is_a_403(exchange: Exchange) -> None:
    """One invocation at a time: the runtime must answer before it asks again."""
    invoker = Invoker(exchange, event())
    exchange.next()
    assert refusal(exchange.next)[0] == 403
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")


def test_an_init_error_before_next_is_what_the_invoker_gets(exchange: Exchange) -> None:
    """init/error ends the invocation waiting for the runtime, with the posted body."""
    invoker = Invoker(exchange, event())
    exchange.init_error(b'{"errorType": "Bad"}', "Runtime.BadSetting")
    assert invoker.result() == InitFailed(b'{"errorType": "Bad"}', "Runtime.BadSetting")


def test_an_init_error_after_next_is_a_403(exchange: Exchange) -> None:
    """Init is over once the runtime asked for an event."""
    invoker = Invoker(exchange, event())
    exchange.next()
    assert refusal(lambda: exchange.init_error(b"{}", None))[0] == 403
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")


def test_a_runtime_that_exits_while_the_invoker_waits_ends_the_invocation(
    exchange: Exchange,
) -> None:
    """The exit status reaches the invoker, which reports it like Lambda."""
    invoker = Invoker(exchange, event())
    exchange.next()
    exchange.runtime_exited(-9)
    assert invoker.result() == Exited(-9)


def test_no_answer_within_the_timeout_is_a_timeout_of_the_task() -> None:
    """The deadline counts from when the runtime took the event."""
    exchange = Exchange(timeout=0.1)
    invoker = Invoker(exchange, event())
    exchange.next()
    assert invoker.result() == TimedOut(0.1, during_init=False)
    assert refusal(lambda: exchange.respond("req-1", b"{}")) == (410, "InvokeTimeout")


def test_a_runtime_that_never_asks_for_the_event_times_out_in_init() -> None:
    """No `next` within the init timeout: the invocation fails, it does not hang."""
    exchange = Exchange(timeout=30, init_timeout=0.1)
    assert exchange.run(event()) == TimedOut(0.1, during_init=True)


def test_init_waits_for_every_registered_extension_to_park() -> None:
    """Like Lambda, the event is handed out only once each extension called event/next."""
    exchange = Exchange(timeout=30, init_timeout=0.2)
    exchange.register_extension()
    taker = threading.Thread(target=lambda: until_closed(exchange.next), daemon=True)
    taker.start()
    assert exchange.run(event()) == TimedOut(0.2, during_init=True)
    exchange.close()
    taker.join(30)


def until_closed(call: Callable[[], object]) -> None:
    """Call a blocking runtime-side method that the test ends by closing the exchange."""
    with contextlib.suppress(SandboxClosedError):
        call()


def test_a_parked_extension_lets_the_event_through(exchange: Exchange) -> None:
    """Registering then calling event/next completes init."""
    identifier = exchange.register_extension()
    parked = threading.Thread(
        target=lambda: until_closed(lambda: exchange.extension_next(identifier)), daemon=True
    )
    parked.start()
    invoker = Invoker(exchange, event())
    assert exchange.next().event == event()
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")


def test_extensions_register_only_during_init_and_with_their_identifier(
    exchange: Exchange,
) -> None:
    """An unknown identifier or a late registration is a 403."""
    assert refusal(lambda: exchange.extension_next("not-registered"))[0] == 403
    invoker = Invoker(exchange, event())
    exchange.next()
    assert refusal(exchange.register_extension)[0] == 403
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")


def test_a_streamed_response_reaches_the_sink_piece_by_piece(exchange: Exchange) -> None:
    """Each piece is handed on as it comes; the outcome's body is empty: nothing is left over."""
    received: list[bytes] = []
    invoker = Invoker(exchange, event(), received.append)
    exchange.next()
    response = exchange.open_stream("req-1")
    exchange.stream(response, b"one\n")
    assert received == [b"one\n"]
    exchange.stream(response, b"two\n")
    exchange.close_stream(response, None, None)
    assert invoker.result() == Answered(b"")
    assert received == [b"one\n", b"two\n"]


def test_a_streamed_response_to_a_buffered_invoker_is_joined(exchange: Exchange) -> None:
    """Without a sink, the invoker gets the whole streamed body, as with a buffered response."""
    invoker = Invoker(exchange, event())
    exchange.next()
    response = exchange.open_stream("req-1")
    for piece in (b"one\n", b"two\n"):
        exchange.stream(response, piece)
    exchange.close_stream(response, None, None)
    assert invoker.result() == Answered(b"one\ntwo\n")


def test_error_trailers_end_the_stream_as_a_function_error(exchange: Exchange) -> None:
    """The error type is kept as Lambda keeps it; the body is decoded from base64."""
    invoker = Invoker(exchange, event())
    exchange.next()
    response = exchange.open_stream("req-1")
    exchange.stream(response, b"partial output\n")
    body = base64.b64encode(b'{"errorType": "CommandFailed", "exitCode": 3}').decode()
    exchange.close_stream(response, "Function.CommandFailed", body)
    assert invoker.result() == Answered(
        b'{"errorType": "CommandFailed", "exitCode": 3}', "Function.CommandFailed"
    )


@pytest.mark.parametrize(
    ("error_type", "error_body", "kept"),
    [
        ("Function.CommandFailed", "not base64!", "Function.CommandFailed"),
        ("Function.CommandFailed", None, "Function.CommandFailed"),
        (None, base64.b64encode(b'{"errorType": "X"}').decode(), "Function.Unknown"),
        ("oops", "", "Function.Unknown"),
    ],
)
def test_incomplete_error_trailers_still_make_a_function_error(
    exchange: Exchange, error_type: str | None, error_body: str | None, kept: str
) -> None:
    """One trailer is enough to fail; a body that is not base64 is replaced by one that says so."""
    invoker = Invoker(exchange, event())
    exchange.next()
    exchange.close_stream(exchange.open_stream("req-1"), error_type, error_body)
    outcome = invoker.result()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == kept
    assert json.loads(outcome.body)["errorType"]


def test_a_stream_after_its_invocation_timed_out_is_refused_and_not_passed_on() -> None:
    """Once the invoker has its answer, no late piece reaches it."""
    exchange = Exchange(timeout=0.1)
    received: list[bytes] = []
    invoker = Invoker(exchange, event(), received.append)
    exchange.next()
    assert invoker.result() == TimedOut(0.1, during_init=False)
    assert refusal(lambda: exchange.open_stream("req-1")) == (410, "InvokeTimeout")
    # A stream opened in time, still sending:
    assert refusal(lambda: exchange.stream(ResponseStream("req-1"), b"late"))[0] == 410
    assert received == []


def test_a_stream_past_its_limit_is_a_413_and_ends_the_invocation() -> None:
    """Function.ResponseSizeTooLarge; what came before the limit was passed on."""
    exchange = Exchange(timeout=30, stream_limit=10)
    received: list[bytes] = []
    invoker = Invoker(exchange, event(), received.append)
    exchange.next()
    response = exchange.open_stream("req-1")
    exchange.stream(response, b"x" * 10)
    assert refusal(lambda: exchange.stream(response, b"y"))[0] == 413
    assert refusal(lambda: exchange.close_stream(response, None, None))[0] == 403
    outcome = invoker.result()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.ResponseSizeTooLarge"
    assert received == [b"x" * 10]


def test_a_stream_to_a_buffered_invoker_past_6_mib_is_a_413(exchange: Exchange) -> None:
    """The invoker waits for a whole body, so the buffered limit applies."""
    invoker = Invoker(exchange, event())
    exchange.next()
    response = exchange.open_stream("req-1")
    exchange.stream(response, b"x" * RESPONSE_LIMIT)
    assert refusal(lambda: exchange.stream(response, b"y"))[0] == 413
    outcome = invoker.result()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.ResponseSizeTooLarge"
