"""Fixtures of the image tests: our own Docker engine, and the project's image built by it."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .base_images import NAMESPACE, build_arguments, builder_image, slim_image
from .engine import REPOSITORY, STATE, Engine, ensure_packages, start_engine

IMAGE = f"{NAMESPACE}/image:latest"
IMAGE_WITH_CMD = f"{NAMESPACE}/image-with-cmd:latest"
# Lambda's sandbox, as the README's "Try it locally" runs it: a read-only root, a writable /tmp
# only, and an unprivileged user with no passwd entry.
LAMBDA_LIKE = ("--read-only", "--tmpfs", "/tmp:exec", "--user", "993:990")


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """A dockerd of our own for the session, stopped by its pid at the end (even on failure)."""
    ensure_packages()
    started = start_engine()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def image(engine: Engine) -> str:
    """The project's Dockerfile, unchanged, built on the Debian-made base images."""
    # The two debootstraps mostly wait on the network: side by side they take the time of one.
    with ThreadPoolExecutor(2) as pool:
        slim = pool.submit(slim_image, engine)
        builder = pool.submit(builder_image, engine)
        bases = ["--build-arg", f"PYTHON_IMAGE={builder.result()}"]
        bases += ["--build-arg", f"BASE_IMAGE={slim.result()}"]
    # The builder reaches the package index over the host's network, as `docker build` would
    # through the default bridge.
    engine.check(
        "build", "--network", "host", *bases, *build_arguments(), "--tag", IMAGE, str(REPOSITORY)
    )
    return IMAGE


@pytest.fixture(scope="session")
def image_with_cmd(engine: Engine, image: str) -> str:
    """A wrapped image in the README's way: FROM the runtime's image, with a default CMD."""
    with tempfile.TemporaryDirectory(dir=STATE) as context:
        (Path(context) / "Dockerfile").write_text(f'FROM {image}\nCMD ["echo", "hello"]\n')
        engine.check("build", "--quiet", "--tag", IMAGE_WITH_CMD, context)
    return IMAGE_WITH_CMD


def docker_run(
    engine: Engine,
    image: str,
    event: object,
    *options: str,
    arguments: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[bytes]:
    """`docker run -i --rm --network none [options] image [arguments] < event.json`."""
    return engine.docker(
        "run",
        "-i",
        "--rm",
        "--network",
        "none",
        *options,
        image,
        *arguments,
        stdin=json.dumps(event).encode(),
    )
