"""Base images made from Debian's packages, since no container registry can be reached.

`debootstrap --variant=minbase` lays out a root filesystem that `docker import` turns into an
image. Each is tagged by what it is made of and reused while that tag exists in the engine's
data root. The builder gets Python, pip and binutils (what the Dockerfile's builder stage uses),
then, in a small layer built every session, the host's CA certificates and package index
settings, so pip inside the build reaches the package index the way the host does.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .engine import STATE, Engine, mounts_under

SUITE = "bookworm"
NAMESPACE = "run-command-on-aws-lambda-test"
BUILDER_PACKAGES = (
    "python3",
    "python3-venv",
    "python3-pip",
    "python-is-python3",
    "libpython3.11",
    "binutils",
    "ca-certificates",
)
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Docker passes these to a build without an ARG in the Dockerfile (and keeps them out of the
# image's history): a host that reaches the network through a proxy builds through it too.
PROXY_VARIABLES = tuple(
    case(name)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for case in (str.upper, str.lower)
)
# The host's pip settings that say where packages come from; only network locations are kept
# (a file:// index or a wheel directory of the host's is not in the build).
PIP_SETTINGS = ("index-url", "extra-index-url", "trusted-host", "default-timeout", "timeout")


def slim_image(engine: Engine) -> str:
    """The final stage's base: Debian minbase, nothing added."""
    return _debian_image(engine, "slim", ())


def builder_image(engine: Engine) -> str:
    """The builder stage's image: Debian with Python 3.11, pip, venv and binutils, set to
    install into the system Python and to trust the host's certificate authorities."""
    root = _debian_image(engine, "python-root", BUILDER_PACKAGES)
    tag = f"{NAMESPACE}/builder:{SUITE}"
    with tempfile.TemporaryDirectory(dir=STATE) as context:
        directory = Path(context)
        shutil.copyfile(host_certificates(), directory / "ca-certificates.crt")
        (directory / "pip.conf").write_text(host_pip_configuration())
        (directory / "Dockerfile").write_text(
            f"FROM {root}\n"
            # Over the image's own bundle: the same authorities as the host, a proxy's included.
            "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
            "COPY pip.conf /etc/pip.conf\n"
            # Debian's pip refuses to install into the system Python (PEP 668) without it.
            "ENV PIP_BREAK_SYSTEM_PACKAGES=1\n"
        )
        engine.check("build", "--quiet", "--tag", tag, str(directory))
    return tag


def build_arguments() -> list[str]:
    """`--build-arg` options passing the host's proxy settings on to a build."""
    return [
        option
        for name in PROXY_VARIABLES
        if name in os.environ
        for option in ("--build-arg", f"{name}={os.environ[name]}")
    ]


def host_certificates() -> Path:
    """The host's CA bundle: SSL_CERT_FILE if set, else Debian's, else OpenSSL's default."""
    import ssl  # noqa: PLC0415 - only here: the tests of the wheel must not import it early

    candidates = [
        os.environ.get("SSL_CERT_FILE", ""),
        "/etc/ssl/certs/ca-certificates.crt",
        ssl.get_default_verify_paths().cafile or "",
    ]
    found = next((Path(path) for path in candidates if path and Path(path).is_file()), None)
    assert found, (
        f"no CA certificate bundle on the host (tried {', '.join(filter(None, candidates))})"
    )
    return found


def host_pip_configuration() -> str:
    """A pip.conf holding the host's index settings (from its config files and PIP_* variables)."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    settings: dict[str, str] = {}
    for line in listing.stdout.splitlines():
        found = re.fullmatch(r"[^.]*\.([a-z-]+)='(.*)'", line.strip())
        if found and found[1] in PIP_SETTINGS:
            values = [value for value in found[2].split() if not value.startswith("file:")]
            if values:
                settings[found[1]] = " ".join(values)
    return "[global]\n" + "".join(f"{name} = {value}\n" for name, value in settings.items())


def _debian_image(engine: Engine, name: str, packages: tuple[str, ...]) -> str:
    """Debian `SUITE` minbase plus `packages`, imported once and then reused by its tag."""
    digest = hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]
    tag = f"{NAMESPACE}/debian:{SUITE}-{name}-{digest}"
    if engine.docker("image", "inspect", tag).returncode == 0:
        return tag
    root = STATE / f"{name}.rootfs"
    _remove(root)  # what an interrupted run left
    include = [f"--include={','.join(packages)}"] if packages else []
    # The mirror is debootstrap's default unless DEBOOTSTRAP_MIRROR names another.
    mirror = [os.environ["DEBOOTSTRAP_MIRROR"]] if os.environ.get("DEBOOTSTRAP_MIRROR") else []
    command = ["debootstrap", "--variant=minbase", *include, SUITE, str(root), *mirror]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-4000:]}{done.stderr}"
    try:
        # What an image does not need: downloaded packages and package lists.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        _import(engine, root, tag)
    finally:
        _remove(root)
    return tag


def _remove(root: Path) -> None:
    """Remove a tree debootstrap made, unmounting first what it may have left mounted in it
    (/proc, /sys, /dev when it was interrupted): removing through a mount would reach the host's."""
    for point in mounts_under(root):
        subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)
    if not mounts_under(root):
        shutil.rmtree(root, ignore_errors=True)


def _import(engine: Engine, root: Path, tag: str) -> None:
    """`tar -C root -c . | docker import - tag`, the archive streamed, never held in memory."""
    with tempfile.TemporaryFile() as output:
        tar = subprocess.Popen(
            ["tar", "--numeric-owner", "-C", str(root), "-c", "."],
            stdout=subprocess.PIPE,
            stderr=output,
        )
        assert tar.stdout is not None
        importing = engine.start(
            ["import", "--change", f"ENV PATH={PATH}", "-", tag], stdin=tar.stdout, output=output
        )
        tar.stdout.close()  # the import holds the pipe now
        statuses = (tar.wait(600), importing.wait(600))
        output.seek(0)
        assert statuses == (0, 0), f"tar | docker import: {statuses}\n{output.read().decode()}"
