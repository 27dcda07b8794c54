"""App: the allow-list and the lock, applied by the loop to real programs on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict, exit_status


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    """A PATH folder with `hello` and `other` scripts, and a symlink `alias` to `other`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("hello", "other"):
        script = folder / name
        script.write_text(f'#!/bin/sh\necho {name} "$@"\n')
        script.chmod(0o755)
    (folder / "alias").symlink_to(folder / "other")
    return folder


def serve_with(tools: Path, environ: dict[str, str], *events: object) -> list[Verdict]:
    environ = {"PATH": f"{tools}:/usr/bin:/bin", **environ}
    default = ["hello", "default"] if "RUN_COMMAND_LOCK" in environ else []
    settings = Settings.from_environment(environ, default)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        executor = ProcessExecutor(
            stdout=devnull,
            search_path=settings.search_path,
            allowed_programs=settings.allowed_programs,
        )
        runner = CommandRunner(executor=executor, settings=settings, environ=environ)
        transport = FakeTransport(events)
        serve(transport, runner)
    finally:
        os.close(devnull)
    return transport.verdicts


def error_types(verdicts: list[Verdict]) -> list[str]:
    return [v.error_type.value if isinstance(v, Failure) else "ok" for v in verdicts]


def test_only_programs_on_the_allow_list_run(tools: Path) -> None:
    """A name entry allows that name on PATH; everything else is ProgramNotAllowed."""
    verdicts = serve_with(
        tools,
        {"RUN_COMMAND_ALLOWED_PROGRAMS": "hello, /bin/true"},
        {"program": "hello"},
        {"program": "other"},
        {"program": "true"},
        {"program": "/bin/true"},
        {"program": "sh", "arguments": ["-c", "hello"]},
    )
    assert error_types(verdicts) == ["ok", "ProgramNotAllowed", "ok", "ok", "ProgramNotAllowed"]
    refused = verdicts[1]
    assert isinstance(refused, Failure)
    assert exit_status(refused) == 126
    assert "RUN_COMMAND_ALLOWED_PROGRAMS" in refused.message
    assert refused.result is not None
    assert refused.result.returncode is None  # nothing was started


def test_paths_tricks_and_symlinks_do_not_get_around_the_allow_list(tools: Path) -> None:
    """./x, //bin/x, .. and a symlink are compared as the file they name."""
    verdicts = serve_with(
        tools,
        {"RUN_COMMAND_ALLOWED_PROGRAMS": "hello"},
        {"program": f"{tools}/../bin/hello"},
        {"program": f"/{tools}/hello"},
        {"program": "./hello", "directory": str(tools)},
        {"program": "./other", "directory": str(tools)},
        {"program": f"{tools}/../bin/other"},
        {"program": "alias"},
    )
    assert error_types(verdicts) == [
        "ok",
        "ok",
        "ok",
        "ProgramNotAllowed",
        "ProgramNotAllowed",
        "ProgramNotAllowed",
    ]


def test_under_an_allow_list_every_other_program_is_not_allowed_and_nothing_is_revealed(
    tools: Path,
) -> None:
    """Missing, not executable, a directory or elsewhere: all ProgramNotAllowed, in the same words.

    Otherwise an invoker could probe which files exist (CommandNotFound named the resolved path).
    """
    (tools / "plain").write_text("not a program\n")
    (tools / "dangling").symlink_to(tools / "nowhere")
    probes = [
        "./sh",
        "no-such-program",
        "plain",
        "./plain",
        "dangling",
        "./dangling",
        ".",
        str(tools),
        "../bin",
        "other",
        "alias",
        "/bin/sh",
    ]
    verdicts = serve_with(
        tools,
        {"RUN_COMMAND_ALLOWED_PROGRAMS": "hello, missing-tool"},
        *({"program": probe, "directory": str(tools)} for probe in probes),
        {"program": "./sh", "directory": "/no/such/directory"},
        {"program": "missing-tool"},
    )
    *refused, listed = verdicts
    assert error_types(refused) == ["ProgramNotAllowed"] * (len(probes) + 1)
    for probe, verdict in zip([*probes, "./sh"], refused, strict=True):
        assert isinstance(verdict, Failure)
        assert verdict.message == (
            f"{probe} is not allowed. Add it to RUN_COMMAND_ALLOWED_PROGRAMS to let events run it."
        )
        assert verdict.result is not None
        assert verdict.result.detail == ""
    # An entry of the list that is not installed is the operator's to fix: said, no PATH shown.
    assert isinstance(listed, Failure)
    assert (listed.error_type.value, listed.message) == (
        "CommandNotFound",
        "missing-tool was not found.",
    )


def test_a_symlink_to_an_allowed_program_runs_the_allowed_file(tools: Path) -> None:
    """The resolved real path is what runs: `alias` runs `other`'s file when `other` is allowed."""
    verdicts = serve_with(
        tools, {"RUN_COMMAND_ALLOWED_PROGRAMS": "other"}, {"program": "alias", "arguments": ["x"]}
    )
    [verdict] = verdicts
    assert isinstance(verdict, Success)
    assert verdict.result.output == b"other x\n"


def test_a_program_lock_lets_events_pass_only_arguments_and_environment(tools: Path) -> None:
    """RUN_COMMAND_LOCK=program with a default command."""
    verdicts = serve_with(
        tools,
        {"RUN_COMMAND_LOCK": "program"},
        {},
        {"arguments": ["given"]},
        {"program": "other"},
    )
    assert error_types(verdicts) == ["ok", "ok", "ProgramNotAllowed"]
    first, second = verdicts[0], verdicts[1]
    assert isinstance(first, Success)
    assert isinstance(second, Success)
    assert first.result.output == b"hello default\n"
    assert second.result.output == b"hello given\n"


def test_a_command_lock_accepts_only_empty_events(tools: Path) -> None:
    """RUN_COMMAND_LOCK=command: the configured command and nothing else."""
    verdicts = serve_with(tools, {"RUN_COMMAND_LOCK": "command"}, {}, {"arguments": ["x"]})
    assert error_types(verdicts) == ["ok", "ProgramNotAllowed"]
