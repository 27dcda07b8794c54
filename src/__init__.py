"""Run a command line from a JSON event, on AWS Lambda or anywhere else.

The public API, importable from here (loaded on first use, so that the console script and
the local transport pay only for what they need):

- `CommandSpec`, `command_from_event`: the command to run, and how an event becomes one;
- `plan_from_event`, `Plan`, `Action`: what an event runs for Terraform's action, if it has
  one (`lifecycle_scope = "CRUD"`): its command, its `onDelete`, or nothing;
- `run(spec)`: run a command here and now, get its `ExecutionResult` (`ReferenceNotResolved`
  when a `{{resolve:...}}` in its variables cannot be resolved: nothing was started);
- `judge(result)`: the verdict, `Success` or `Failure` (with its `ErrorType`);
- `CommandRunner`, `serve`, `Settings`: the serving loop, to drive with any transport;
- `ProcessExecutor`, `LocalTransport`, `FakeTransport`: the adapters;
- `become_child_subreaper()`: for an embedding process that runs only commands, so that the
  executor can stop what they orphan (`ProcessExecutor(reap_orphans=True)`);
- `handler(event, context)`: the handler for AWS's managed Python runtime, which raises an
  `InvocationError` subclass named after the `errorType` when the command fails.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapters.executor.process_executor import ProcessExecutor
    from .adapters.executor.process_group import become_child_subreaper
    from .adapters.fake import FakeTransport
    from .adapters.local import LocalTransport
    from .app.api import run
    from .app.handler import InvocationError, handler
    from .app.service import CommandRunner
    from .app.serving import serve
    from .app.settings import Settings
    from .domain.command import CommandSpec
    from .domain.errors import (
        ConfigurationError,
        ErrorType,
        InvalidEvent,
        ReferenceNotResolved,
        RunCommandError,
    )
    from .domain.event import command_from_event
    from .domain.invocation import Invocation
    from .domain.policy import Failure, Success, Verdict, exit_status, judge
    from .domain.result import Ending, ExecutionResult
    from .domain.terraform import Action, Plan, plan_from_event

_EXPORTS = {
    "ProcessExecutor": ".adapters.executor.process_executor",
    "become_child_subreaper": ".adapters.executor.process_group",
    "FakeTransport": ".adapters.fake",
    "LocalTransport": ".adapters.local",
    "run": ".app.api",
    "InvocationError": ".app.handler",
    "handler": ".app.handler",
    "CommandRunner": ".app.service",
    "serve": ".app.service",
    "Settings": ".app.settings",
    "CommandSpec": ".domain.command",
    "ConfigurationError": ".domain.errors",
    "ErrorType": ".domain.errors",
    "InvalidEvent": ".domain.errors",
    "ReferenceNotResolved": ".domain.errors",
    "RunCommandError": ".domain.errors",
    "command_from_event": ".domain.event",
    "Invocation": ".domain.invocation",
    "Failure": ".domain.policy",
    "Success": ".domain.policy",
    "Verdict": ".domain.policy",
    "exit_status": ".domain.policy",
    "judge": ".domain.policy",
    "Ending": ".domain.result",
    "ExecutionResult": ".domain.result",
    "Action": ".domain.terraform",
    "Plan": ".domain.terraform",
    "plan_from_event": ".domain.terraform",
}

__all__ = [
    "Action",
    "CommandRunner",
    "CommandSpec",
    "ConfigurationError",
    "Ending",
    "ErrorType",
    "ExecutionResult",
    "Failure",
    "FakeTransport",
    "InvalidEvent",
    "Invocation",
    "InvocationError",
    "LocalTransport",
    "Plan",
    "ProcessExecutor",
    "ReferenceNotResolved",
    "RunCommandError",
    "Settings",
    "Success",
    "Verdict",
    "become_child_subreaper",
    "command_from_event",
    "exit_status",
    "handler",
    "judge",
    "plan_from_event",
    "run",
    "serve",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
