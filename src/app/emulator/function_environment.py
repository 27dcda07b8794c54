"""App: the environment an emulated sandbox's runtime starts with, as Lambda sets it."""

from __future__ import annotations

from collections.abc import Mapping


def runtime_environment(environ: Mapping[str, str], region: str) -> dict[str, str]:
    """The runtime's environment: ours, plus what Lambda sets that we do not have."""
    environment = {
        name: value for name, value in environ.items() if name != "AWS_LAMBDA_RUNTIME_API"
    }
    name = environment.setdefault("AWS_LAMBDA_FUNCTION_NAME", "function")
    for variable, value in {
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }.items():
        environment.setdefault(variable, value)
    return environment
