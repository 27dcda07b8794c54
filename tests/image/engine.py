"""A Docker engine of the image tests' own: Debian's dockerd, started by hand and stopped by pid.

No engine is installed on CI's machines and none may be assumed: the tests install Debian's
`docker.io` (and `debootstrap`, for the base images) when they are missing, and start a dockerd
with its own data root, exec root, pid file and socket, so that nothing else on the machine is
used or disturbed. It runs without iptables and without a bridge (neither is needed nor always
possible in a VM or a container): containers get `--network none` or `--network host`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPOSITORY = Path(__file__).resolve().parents[2]
# Kept between runs (`make clean` removes it): the base images live in the data root, so only
# the first run on a machine pays for debootstrap.
STATE = REPOSITORY / "build" / "docker"
PACKAGES = {"dockerd": "docker.io", "docker": "docker.io", "debootstrap": "debootstrap"}
# The client of the distribution's engine: another client earlier on PATH (a newer docker CLI,
# say) may speak another dialect of the build API.
CLIENT_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
START_TIMEOUT = 60
# Another apt-get (an unattended upgrade, the sandbox tests) may hold dpkg's lock: wait for it.
APT_GET = ("apt-get", "-o", "DPkg::Lock::Timeout=300")


def ensure_packages() -> None:
    """Install docker.io and debootstrap when missing (CI starts from a bare machine, as root)."""
    assert os.geteuid() == 0, "the image tests need root: they start dockerd and run apt-get"
    missing = sorted({package for tool, package in PACKAGES.items() if not _which(tool)})
    if not missing:
        return
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [*APT_GET, "update", "-qq"],
        [*APT_GET, "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr}"
    still = sorted(tool for tool in PACKAGES if not _which(tool))
    assert not still, f"installed {', '.join(missing)} but {', '.join(still)} is still missing"


@dataclass
class Engine:
    """A running dockerd of ours and the client that talks to it."""

    process: subprocess.Popen[bytes]
    run_directory: Path
    log: Path

    @property
    def environment(self) -> dict[str, str]:
        """The client's environment: our socket, no user configuration, the classic builder."""
        return {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.run_directory / 'docker.sock'}",
            "DOCKER_CONFIG": str(self.run_directory / "client"),
            "DOCKER_BUILDKIT": "0",
        }

    def docker(
        self,
        *arguments: str,
        stdin: bytes | None = b"",
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run the docker client with `arguments`; capture its output, never raise on failure."""
        return subprocess.run(
            [_client(), *arguments],
            input=stdin,
            capture_output=True,
            env={**self.environment, **(env or {})},
            timeout=timeout,
            check=False,
        )

    def check(self, *arguments: str, stdin: bytes = b"", timeout: float = 600) -> str:
        """Run the docker client; fail with its output unless it succeeds. Returns stdout."""
        done = self.docker(*arguments, stdin=stdin, timeout=timeout)
        assert done.returncode == 0, (
            f"docker {' '.join(arguments)} exited {done.returncode}:\n"
            f"{done.stdout.decode(errors='replace')[-4000:]}\n"
            f"{done.stderr.decode(errors='replace')[-4000:]}"
        )
        return done.stdout.decode()

    def start(
        self, arguments: Sequence[str], *, stdin: int | IO[bytes], output: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        """Start the docker client with `arguments` (a `docker run` that serves, an import that
        reads a pipe), its output going to `output`."""
        return subprocess.Popen(
            [_client(), *arguments], stdin=stdin, stdout=output, stderr=output, env=self.environment
        )

    def stop(self) -> None:
        """Stop our dockerd by its pid (SIGTERM, then SIGKILL after a minute) and clean up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        # dockerd leaves mounts behind: its network namespace under the exec root, and the data
        # root bound onto itself. Unmounted, they no longer pile up run after run.
        for point in mounts_under(self.run_directory, STATE):
            subprocess.run(["umount", point], capture_output=True, check=False)
        shutil.rmtree(self.run_directory, ignore_errors=True)


def mounts_under(*directories: Path) -> list[str]:
    """Mount points at or under `directories`, deepest first."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        # The fifth field; spaces and the like are octal escapes there.
        point = line.split()[4].encode().decode("unicode_escape")
        if any(Path(point).is_relative_to(directory) for directory in directories):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def start_engine() -> Engine:
    """Start a dockerd of ours; return once it answers. Fails loudly if it cannot start."""
    dockerd = _which("dockerd")
    assert dockerd, "dockerd is missing: ensure_packages() installs docker.io"
    STATE.mkdir(parents=True, exist_ok=True)
    # A fresh, short directory for the sockets: a unix socket's path is capped at 108 bytes,
    # and a checkout's path may be long.
    run_directory = Path(tempfile.mkdtemp(prefix="rcoal-dockerd-"))
    (run_directory / "client").mkdir()
    log = STATE / "dockerd.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                dockerd,
                "--storage-driver=overlay2",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                f"--data-root={STATE / 'data-root'}",
                f"--exec-root={run_directory / 'exec'}",
                # In STATE, not in the fresh directory: dockerd refuses to start while the pid
                # file names a running dockerd, so a leftover one never shares our data root.
                f"--pidfile={STATE / 'dockerd.pid'}",
                f"--host=unix://{run_directory / 'docker.sock'}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    engine = Engine(process=process, run_directory=run_directory, log=log)
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up and process.poll() is None:
        if engine.docker("version", timeout=30).returncode == 0:
            return engine
        time.sleep(0.2)
    engine.stop()
    tail = log.read_text(errors="replace")[-4000:]
    raise AssertionError(f"dockerd did not start (exit status {process.returncode}):\n{tail}")


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=f"{CLIENT_PATH}:{os.environ.get('PATH', '')}")


def _client() -> str:
    client = _which("docker")
    assert client, "the docker client is missing: ensure_packages() installs docker.io"
    return client
