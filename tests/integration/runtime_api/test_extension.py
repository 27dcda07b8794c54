"""Integration: the no-op internal extension against a real (fake) Extensions API."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
import urllib3

from run_command_on_aws_lambda.adapters.runtime_api.client import ExtensionsApiClient, open_pool
from run_command_on_aws_lambda.adapters.runtime_api.extension import NoOpExtension
from tests.fake_runtime_api import FakeRuntimeApi, Slow, closed_port


def extension_for(address: str, **options: urllib3.Timeout) -> NoOpExtension:
    return NoOpExtension(ExtensionsApiClient(open_pool(address), **options))


def test_the_extension_registers_and_parks_on_event_next(runtime_api: FakeRuntimeApi) -> None:
    """Registered under its name for no events, then waiting on event/next with its id."""
    extension = extension_for(runtime_api.address)
    assert extension.start() is True
    assert extension.identifier == "extension-0001"
    runtime_api.wait_for(lambda: runtime_api.extension_polls or None)
    assert runtime_api.extension_polls == ["extension-0001"]
    registration = runtime_api.registrations[0]
    assert registration["lambda-extension-name"] == "run-command-on-aws-lambda"


def test_a_registration_answered_late_is_still_followed_by_event_next(
    runtime_api: FakeRuntimeApi,
) -> None:
    """start() goes on after its wait; the API took the registration, so init waits for the
    extension's event/next, which still comes once the answer does."""
    runtime_api.fail("register", Slow(0.5))
    extension = extension_for(runtime_api.address)
    assert extension.start(wait=0.1) is False
    runtime_api.wait_for(lambda: runtime_api.extension_polls or None)
    assert runtime_api.extension_polls == ["extension-0001"]


def test_a_refused_registration_is_logged_not_fatal(
    runtime_api: FakeRuntimeApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 on register: start() returns False with a warning, and nothing is raised."""
    runtime_api.fail("register", 500)
    with caplog.at_level(logging.WARNING, "run_command_on_aws_lambda"):
        assert extension_for(runtime_api.address).start() is False
    assert "Could not register the shutdown extension" in caplog.text
    assert runtime_api.extension_polls == []


def test_an_unreachable_extensions_api_is_logged_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listening: start() returns False with a warning."""
    with caplog.at_level(logging.WARNING, "run_command_on_aws_lambda"):
        assert extension_for(f"127.0.0.1:{closed_port()}").start() is False
    assert "cannot reach the API" in caplog.text


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog does) but never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"127.0.0.1:{listener.getsockname()[1]}"


def test_a_registration_that_never_answers_does_not_hold_up_start(
    silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """start() stops waiting after its bounded wait; the request itself then times out."""
    with caplog.at_level(logging.WARNING, "run_command_on_aws_lambda"):
        short = urllib3.Timeout(connect=0.3, read=0.3)
        assert extension_for(silent_server, register_timeout=short).start(wait=0.1) is False
        assert "did not register within 0.1 s" in caplog.text
        give_up = time.monotonic() + 30
        while "Could not register" not in caplog.text and time.monotonic() < give_up:
            time.sleep(0.05)
    assert "Read timed out" in caplog.text
