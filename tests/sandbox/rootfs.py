"""A root filesystem that imitates Lambda's, and a way to run a program inside it.

The tree holds a static busybox, the C library and loader the standalone build needs (found with
ldd), a passwd naming Lambda's sandbox user, and the build under /opt: no Python anywhere. A
program runs in it through `unshare` (private mount and PID namespaces) and `chroot`, with the
root read-only, a fresh tmpfs on /tmp (mode 700, owned by the sandbox user, as on Lambda), as an
unprivileged uid/gid, with only the variables given (so no HOME). The network is the host's, so
a server on the host's 127.0.0.1 is reachable from inside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

SANDBOX_USER = "sbx_user1051"
SANDBOX_UID = 993
SANDBOX_GID = 990
INSTALL_DIRECTORY = "/opt/run-command-on-aws-lambda"
BUSYBOX = Path("/bin/busybox")
DEVICES = ("null", "zero", "random", "urandom")
HOST_TOOLS = ("unshare", "chroot", "mount", "ldd", "env")
# Another apt-get (an unattended upgrade, another suite) may hold dpkg's lock: wait for it.
APT_GET = ("apt-get", "-o", "DPkg::Lock::Timeout=300")

# Runs on the host inside the new namespaces: $1 is the tree, the rest the command to run.
# The shell stays PID 1 of the namespace, so the runtime is not the init process (as on Lambda).
_ENTER = r"""
root=$1; shift
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o "mode=700,uid=$SANDBOX_UID,gid=$SANDBOX_GID,size=64m" tmpfs "$root/tmp"
mount -t proc proc "$root/proc"
for device in $SANDBOX_DEVICES; do mount --bind "/dev/$device" "$root/dev/$device"; done
"$@"
"""


def ensure_host_tools() -> None:
    """Install what the sandbox needs when it is missing (CI starts from a bare machine)."""
    assert os.geteuid() == 0, "the sandbox tests need root: mount namespaces, chroot, apt-get"
    missing = [tool for tool in HOST_TOOLS if shutil.which(tool) is None]
    assert not missing, f"the sandbox tests need {', '.join(missing)} (util-linux, coreutils)"
    packages = []
    if not _is_static(BUSYBOX):
        packages.append("busybox-static")
    if shutil.which("objdump") is None:  # PyInstaller needs it on Linux
        packages.append("binutils")
    if packages:
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            [*APT_GET, "update", "-qq"],
            [*APT_GET, "install", "-y", "-qq", "--no-install-recommends", *packages],
        ):
            done = subprocess.run(
                command, env=environment, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr}"
        assert _is_static(BUSYBOX), f"{BUSYBOX} is still not a static busybox"


def assemble(root: Path, build: Path) -> None:
    """Lay out the tree at `root` with the standalone `build` in INSTALL_DIRECTORY."""
    root.chmod(0o755)
    for directory in ("bin", "etc", "tmp", "proc", "dev", "opt"):
        (root / directory).mkdir()
    for device in DEVICES:
        (root / "dev" / device).touch()  # mount points for the host's devices
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_GID}::/home/{SANDBOX_USER}:/sbin/nologin\n"
    )
    (root / "etc" / "group").write_text("root:x:0:\n")
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, check=True, text=True)
    for applet in applets.stdout.split():
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    installed = root / INSTALL_DIRECTORY.lstrip("/")
    shutil.copytree(build, installed, symlinks=True)
    for library in sorted(system_libraries(installed)):
        target = root / library.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(library).resolve(), target)


def system_libraries(build: Path) -> set[str]:
    """What the build loads from outside itself: libc, the loader, and the bootloader's libz."""
    found: set[str] = set()
    for path in build.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
            # The bootloader sets LD_LIBRARY_PATH to the build's own libraries for everything it
            # loads, but its own dependencies come from the system.
            bootloader = path == build / build.name
            found.update(_ldd(path, None if bootloader else build / "_internal"))
    return {library for library in found if not library.startswith(f"{build}/")}


def _ldd(path: Path, library_path: Path | None) -> set[str]:
    environment = {"PATH": os.environ.get("PATH", "")}
    if library_path is not None:
        environment["LD_LIBRARY_PATH"] = str(library_path)
    listing = subprocess.run(
        ["ldd", str(path)], capture_output=True, text=True, check=False, env=environment
    )
    libraries: set[str] = set()
    for line in listing.stdout.splitlines():
        assert "not found" not in line, f"{path.name} needs a missing library: {line.strip()}"
        libraries.update(word for word in line.replace("=>", " ").split() if word.startswith("/"))
    return libraries


def python_names(root: Path) -> list[str]:
    """Paths in the tree whose name says Python, other than the build's embedded interpreter."""
    embedded = root / INSTALL_DIRECTORY.lstrip("/") / "_internal"
    return sorted(
        "/" + str(path.relative_to(root))
        for path in root.rglob("*")
        if "python" in path.name.lower() and not path.is_relative_to(embedded)
    )


def run_inside(
    root: Path,
    argv: Sequence[str],
    *,
    environment: Mapping[str, str],
    stdin: bytes = b"",
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv` in the sandbox at `root` with exactly `environment`; capture its output."""
    return subprocess.run(
        sandbox_command(root, argv, environment),
        input=stdin,
        capture_output=True,
        env=_host_environment(),
        timeout=timeout,
        check=False,
    )


def start_inside(
    root: Path, argv: Sequence[str], *, environment: Mapping[str, str], log: BinaryIO
) -> subprocess.Popen[bytes]:
    """Start `argv` in the sandbox with its output going to `log`; killing the process it
    returns ends everything in the sandbox (`unshare --kill-child`, and its PID namespace)."""
    return subprocess.Popen(
        sandbox_command(root, argv, environment, kill_child=True),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=_host_environment(),
    )


def sandbox_command(
    root: Path, argv: Sequence[str], environment: Mapping[str, str], *, kill_child: bool = False
) -> list[str]:
    """The host command line that runs `argv` in the sandbox at `root`."""
    chroot = shutil.which("chroot")  # `env -i` leaves no PATH to find it by
    assert chroot is not None
    namespaces = ["unshare", "--mount", "--pid", "--fork", "--propagation", "private"]
    if kill_child:
        namespaces.append("--kill-child")
    enter = ["/bin/sh", "-eu", "-c", _ENTER, "sandbox", str(root)]
    variables = [f"{name}={value}" for name, value in environment.items()]
    user = [f"--userspec={SANDBOX_UID}:{SANDBOX_GID}", f"--groups={SANDBOX_GID}"]
    return [*namespaces, "--", *enter, "env", "-i", *variables, chroot, *user, str(root), *argv]


def _host_environment() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "SANDBOX_UID": str(SANDBOX_UID),
        "SANDBOX_GID": str(SANDBOX_GID),
        "SANDBOX_DEVICES": " ".join(DEVICES),
    }


def _is_static(executable: Path) -> bool:
    if not executable.is_file():
        return False
    listing = subprocess.run(["ldd", str(executable)], capture_output=True, text=True, check=False)
    return "not a dynamic executable" in listing.stdout + listing.stderr
