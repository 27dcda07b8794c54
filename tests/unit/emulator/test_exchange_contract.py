"""Unit: the emulated Runtime API's newer contract: invocation ids, SnapStart's restore calls,
tenants, and a function timeout that runs from the hand-over whatever the init allowance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from run_command_on_aws_lambda.adapters.emulator.exchange import Exchange
from run_command_on_aws_lambda.adapters.emulator.outcomes import (
    Answered,
    Event,
    InitFailed,
    ResponseStream,
    TimedOut,
)
from run_command_on_aws_lambda.adapters.emulator.shared_exchange import SharedExchange
from tests.unit.emulator.test_exchange import Invoker, event, refusal

LONG_INIT = 3600.0  # an invoker still waiting on this allowance would fail the join in `result`


def test_each_delivery_has_a_fresh_invocation_id() -> None:
    """Two invocations, two different ids; the right one (or none) is accepted."""
    exchange = Exchange(timeout=30)
    first = Invoker(exchange, event("req-1"))
    delivery = exchange.next()
    exchange.respond("req-1", b"{}", delivery.invocation_id)
    assert first.result() == Answered(b"{}")
    second = Invoker(exchange, event("req-2"))
    again = exchange.next()
    exchange.fail("req-2", b"{}", "Function.Failed")
    assert second.result() == Answered(b"{}", "Function.Failed")
    assert delivery.invocation_id
    assert again.invocation_id
    assert delivery.invocation_id != again.invocation_id
    exchange.close()


@pytest.mark.parametrize("answer", ["respond", "fail", "stream"])
def test_an_answer_with_a_wrong_invocation_id_is_410_invoke_timeout(answer: str) -> None:
    """A response, an error or a streamed response carrying another id is Gone; the
    invocation stays open for its own answer."""
    exchange = Exchange(timeout=30)
    invoker = Invoker(exchange, event())
    delivery = exchange.next()
    calls = {
        "respond": lambda: exchange.respond("req-1", b"{}", "stale"),
        "fail": lambda: exchange.fail("req-1", b"{}", None, "stale"),
        "stream": lambda: exchange.open_stream("req-1", "stale"),
    }
    assert refusal(calls[answer]) == (410, "InvokeTimeout")
    exchange.respond("req-1", b"{}", delivery.invocation_id)
    assert invoker.result() == Answered(b"{}")
    exchange.close()


def test_a_taken_event_times_out_after_the_function_timeout_not_the_init_allowance() -> None:
    """The timeout runs from the hand-over: the invoker is woken by it, whatever init allows."""
    exchange = Exchange(timeout=0.2, init_timeout=LONG_INIT)
    taker = threading.Thread(target=exchange.next)  # then the runtime freezes: no answer
    taker.start()
    while exchange.init_seconds is None:  # the runtime waits in `next` before the event comes
        time.sleep(0.01)
    assert Invoker(exchange, event()).result() == TimedOut(0.2, during_init=False)
    taker.join(30)
    exchange.close()


def test_a_warm_runtime_that_does_not_take_the_event_times_out_as_the_function() -> None:
    """After init, an event nobody takes counts against the function's timeout."""
    exchange = Exchange(timeout=0.2, init_timeout=LONG_INIT)
    first = Invoker(exchange, event("req-1"))
    exchange.next()
    exchange.respond("req-1", b"{}")
    assert first.result() == Answered(b"{}")
    assert Invoker(exchange, event("req-2")).result() == TimedOut(0.2, during_init=False)
    exchange.close()


def test_restore_next_comes_before_the_first_next_only() -> None:
    """restore/next is answered during init; after invocation/next it is a 403."""
    exchange = Exchange(timeout=30)
    exchange.restore_next()
    invoker = Invoker(exchange, event())
    exchange.next()
    assert refusal(exchange.restore_next) == (403, "InvalidStateTransition")
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")
    exchange.close()


def test_a_restore_error_is_what_the_invoker_gets() -> None:
    """restore/error after restore/next fails the invocation with the error type Lambda keeps."""
    exchange = Exchange(timeout=30)
    assert refusal(lambda: exchange.restore_error(b"{}", None)) == (403, "InvalidStateTransition")
    exchange.restore_next()
    exchange.restore_error(b'{"errorType": "x"}', "Runtime.AfterRestoreError")
    assert exchange.run(event()) == InitFailed(b'{"errorType": "x"}', "Runtime.AfterRestoreError")
    exchange.close()


def test_the_tenant_travels_with_the_event() -> None:
    """The event's tenant is in what `next` hands out."""
    exchange = Exchange(timeout=30)
    tenant_event = Event(request_id="req-1", payload=b"{}", function_arn="arn", tenant_id="acme")
    invoker = Invoker(exchange, tenant_event)
    assert exchange.next().event.tenant_id == "acme"
    exchange.respond("req-1", b"{}")
    assert invoker.result() == Answered(b"{}")
    exchange.close()


def late_answer(exchange: Exchange, answer: str, request_id: str = "req-1") -> Callable[[], object]:
    """The runtime's answer of `request_id` in the shape `answer`, with no invocation id."""
    calls: dict[str, Callable[[], object]] = {
        "respond": lambda: exchange.respond(request_id, b"{}"),
        "fail": lambda: exchange.fail(request_id, b"{}", "Function.Failed"),
        "stream": lambda: exchange.open_stream(request_id),
        "close_stream": lambda: exchange.close_stream(ResponseStream(request_id), None, None),
    }
    return calls[answer]


@pytest.mark.parametrize("kind", [Exchange, SharedExchange])
@pytest.mark.parametrize("answer", ["respond", "fail", "stream", "close_stream"])
def test_an_answer_after_its_invocation_timed_out_is_410_invoke_timeout(
    kind: type[Exchange], answer: str
) -> None:
    """Lambda's 410 Gone for a late answer, in both exchanges; the invoker keeps its timeout."""
    exchange = kind(timeout=0.1)
    invoker = Invoker(exchange, event())
    exchange.next()
    assert invoker.result() == TimedOut(0.1, during_init=False)
    assert refusal(late_answer(exchange, answer)) == (410, "InvokeTimeout")
    exchange.close()


@pytest.mark.parametrize("kind", [Exchange, SharedExchange])
def test_an_unknown_id_stays_400_and_an_answered_one_403_after_a_timeout(
    kind: type[Exchange],
) -> None:
    """Only the invocation that timed out is Gone: others keep their refusals."""
    exchange = kind(timeout=0.1)
    answered = Invoker(exchange, event("req-1"))
    exchange.next()
    exchange.respond("req-1", b"{}")
    assert answered.result() == Answered(b"{}")
    late = Invoker(exchange, event("req-2"))
    exchange.next()
    assert late.result() == TimedOut(0.1, during_init=False)
    assert refusal(late_answer(exchange, "respond", "req-1")) == (403, "InvalidStateTransition")
    assert refusal(late_answer(exchange, "respond", "never")) == (400, "InvalidRequestID")
    assert refusal(late_answer(exchange, "fail", "req-2")) == (410, "InvokeTimeout")
    exchange.close()


def test_an_event_nobody_took_before_the_timeout_leaves_no_410() -> None:
    """A timeout before the hand-over: the runtime never had the id, so it stays unknown."""
    exchange = Exchange(timeout=30, init_timeout=0.1)
    assert exchange.run(event()) == TimedOut(0.1, during_init=True)
    assert refusal(late_answer(exchange, "respond")) == (400, "InvalidRequestID")
    exchange.close()
