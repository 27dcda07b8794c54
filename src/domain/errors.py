"""Domain: the error types a run can end in, and the exceptions the layers raise.

Exception tree::

    RunCommandError            anything this package raises on purpose
    ├── InvalidEvent           the event does not describe a runnable command
    ├── ProgramNotAllowed      the event asks for a program (or change) the settings forbid
    ├── ConfigurationError     the runtime's own settings are wrong (an init error)
    ├── TransportError         the transport cannot deliver invocations or outcomes
    ├── StoreUnavailable       the idempotency store cannot be read or written
    └── ReferenceNotResolved   a `{{resolve:...}}` in a variable cannot be resolved (not run)
"""

from __future__ import annotations

import enum


class ErrorType(enum.StrEnum):
    """The `errorType` of an error body: a public contract that users script against."""

    COMMAND_FAILED = "CommandFailed"
    COMMAND_KILLED = "CommandKilled"
    COMMAND_TIMED_OUT = "CommandTimedOut"
    COMMAND_NOT_FOUND = "CommandNotFound"
    PERMISSION_DENIED = "PermissionDenied"
    INVALID_EVENT = "InvalidEvent"
    PROGRAM_NOT_ALLOWED = "ProgramNotAllowed"
    RUNTIME_FAILURE = "RuntimeFailure"  # a fault of the runtime itself, never of the command
    ALREADY_IN_PROGRESS = "AlreadyInProgress"  # the key's run elsewhere outlasted our deadline
    IDEMPOTENCY_KEY_REUSED = "IdempotencyKeyReused"  # the key was used for another event
    REFERENCE_NOT_RESOLVED = "ReferenceNotResolved"  # a secret the command needs is unavailable


class RunCommandError(Exception):
    """Base of every exception this package raises on purpose."""


class InvalidEvent(RunCommandError):  # noqa: N818 - the public errorType's name
    """The event is not a valid command; the message says what was wrong and how to fix it."""


class ProgramNotAllowed(RunCommandError):  # noqa: N818 - the public errorType's name
    """The allow-list or the lock forbids what the event asks for; nothing is started."""


class ConfigurationError(RunCommandError):
    """A setting of the runtime itself is invalid; reported as an init error."""


class TransportError(RunCommandError):
    """The transport failed in a way the runtime cannot recover from."""


class StoreUnavailable(RunCommandError):  # noqa: N818 - reads as what happened
    """The idempotency store could not be reached or refused a request; nothing was run."""


class ReferenceNotResolved(RunCommandError):  # noqa: N818 - the public errorType's name
    """A reference to a secret or parameter could not be resolved; the command was not started.

    The message names the variable, the reference and what AWS answered, never a value.
    """
