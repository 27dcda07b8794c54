"""Unit: the allow-list and lock settings, parsed strictly and applied to events."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.allowlist import AllowList, Lock
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ConfigurationError, ProgramNotAllowed
from run_command_on_aws_lambda.domain.event import command_from_event

DEFAULT = CommandSpec(program="dotnet", arguments=("Migrate.dll",))
FILES = {"psql": "/usr/bin/psql", "dotnet": "/usr/share/dotnet/dotnet", "/bin/sh": "/bin/sh"}


def test_entries_are_names_or_absolute_paths_with_spaces_ignored() -> None:
    """`psql, /usr/bin/../bin/sh ,dotnet` holds two names and one normalised path."""
    allow = AllowList.parse("psql, /usr/bin/../bin/sh ,dotnet")
    assert allow.names == {"psql", "dotnet"}
    assert allow.paths == {"/usr/bin/sh"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is set but empty"),
        (" , ", "is set but empty"),
        ("psql,,dotnet", "has an empty entry (number 2)"),
        ("psql,", "has an empty entry (number 2)"),
        ("./tool", "'./tool' is a relative path"),
        ("bin/sh", "'bin/sh' is a relative path"),
    ],
)
def test_an_invalid_allow_list_is_a_configuration_error(text: str, fragment: str) -> None:
    """Reported at start-up (an init error), not on the first invocation."""
    with pytest.raises(ConfigurationError) as caught:
        AllowList.parse(text)
    assert fragment in str(caught.value)


def test_a_program_is_allowed_when_it_is_the_file_an_entry_names() -> None:
    """Names are resolved like the program; files are compared, not strings."""
    allow = AllowList.parse("psql,/bin/sh")
    assert allow.allows("/usr/bin/psql", FILES.get)
    assert allow.allows("/bin/sh", FILES.get)
    assert not allow.allows("/usr/share/dotnet/dotnet", FILES.get)


@pytest.mark.parametrize(
    ("text", "has_default", "expected"),
    [(None, False, Lock.NONE), ("", True, Lock.NONE), ("Program", True, Lock.PROGRAM)],
)
def test_the_lock_setting_is_parsed(text: str | None, has_default: bool, expected: Lock) -> None:
    """Unset means no lock; values are case-insensitive."""
    assert Lock.parse(text, has_default=has_default) is expected


@pytest.mark.parametrize(
    ("text", "has_default", "fragment"),
    [("yes", True, "use one of none, program, command"), ("program", False, "needs a default")],
)
def test_an_invalid_lock_is_a_configuration_error(
    text: str, has_default: bool, fragment: str
) -> None:
    """A lock without a default command would lock nothing."""
    with pytest.raises(ConfigurationError) as caught:
        Lock.parse(text, has_default=has_default)
    assert fragment in str(caught.value)


def test_a_program_lock_accepts_arguments_and_environment_but_not_a_program() -> None:
    """RUN_COMMAND_LOCK=program: only the configured program runs."""
    spec = command_from_event(
        {"arguments": ["--dry-run"], "environment": {"A": "1"}}, DEFAULT, Lock.PROGRAM
    )
    assert spec.program == "dotnet"
    assert spec.arguments == ("--dry-run",)
    with pytest.raises(ProgramNotAllowed, match='may not set "program"'):
        command_from_event({"program": "sh"}, DEFAULT, Lock.PROGRAM)


def test_a_command_lock_accepts_only_an_empty_event() -> None:
    """RUN_COMMAND_LOCK=command: the event may change nothing."""
    assert command_from_event({}, DEFAULT, Lock.COMMAND) == DEFAULT
    with pytest.raises(ProgramNotAllowed, match="may not change it"):
        command_from_event({"arguments": ["x"]}, DEFAULT, Lock.COMMAND)


def test_a_command_lock_still_lets_the_event_ask_for_a_stream() -> None:
    """`stream` changes how the output is delivered, not what runs: a locked command allows it."""
    spec = command_from_event({"stream": True}, DEFAULT, Lock.COMMAND)
    assert spec.argv == DEFAULT.argv
    assert spec.stream is True


def test_an_event_s_program_is_listed_only_when_written_as_an_entry() -> None:
    """A name entry matches that name; a path entry matches that path, normalised."""
    allowed = AllowList.parse("psql, /opt/tool")
    assert allowed.lists("psql")
    assert allowed.lists("/opt//tool")
    assert not allowed.lists("./psql")
    assert not allowed.lists("tool")
    assert not allowed.lists("/usr/bin/psql")
