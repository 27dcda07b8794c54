"""A wrapped image's `CMD` is the default command of every event, as on Lambda."""

from __future__ import annotations

from .conftest import LAMBDA_LIKE, docker_run
from .engine import Engine


def test_an_empty_event_runs_the_images_cmd(engine: Engine, image_with_cmd: str) -> None:
    """`echo '{}' | docker run -i image` runs `CMD ["echo", "hello"]`."""
    completed = docker_run(engine, image_with_cmd, {}, *LAMBDA_LIKE)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "hello\n"
    assert 'Running echo ["hello"].' in completed.stderr.decode()


def test_the_events_arguments_replace_the_cmds(engine: Engine, image_with_cmd: str) -> None:
    """`{"arguments": [...]}` keeps the CMD's program and replaces its arguments."""
    completed = docker_run(engine, image_with_cmd, {"arguments": ["goodbye"]})
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "goodbye\n"


def test_arguments_after_the_image_name_replace_the_cmd(
    engine: Engine, image_with_cmd: str
) -> None:
    """`docker run -i image printf ...` makes printf the default command instead."""
    completed = docker_run(engine, image_with_cmd, {}, arguments=("printf", "%s-%s", "a", "b"))
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "a-b"
