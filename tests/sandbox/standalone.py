"""The standalone build for the sandbox tests, cached by a hash of everything it is made from.

CI builds it once per clean checkout; a developer's repeated runs reuse it until a source file,
the spec or an installed distribution changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
NAME = "run-command-on-aws-lambda"
SPEC = REPOSITORY / "packaging" / "standalone.spec"
CACHE = REPOSITORY / "build" / "sandbox-standalone"


def standalone_build() -> Path:
    """The build directory (holding the executable `NAME`), built now unless cached."""
    key = _source_hash()
    built = CACHE / key / NAME
    if (built / NAME).is_file():
        return built
    shutil.rmtree(CACHE, ignore_errors=True)  # older builds only take room
    partial = CACHE / f"{key}.partial"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={partial}",
            f"--workpath={CACHE / 'work'}",
            str(SPEC),
        ],
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0, "the standalone build failed:\n" + completed.stderr.decode()
    partial.rename(CACHE / key)  # whole or not at all
    return built


def _source_hash() -> str:
    digest = hashlib.sha256()
    sources = [SPEC, *sorted(SPEC.parent.glob("*.py")), *sorted((REPOSITORY / "src").rglob("*.py"))]
    for path in sources:
        digest.update(str(path.relative_to(REPOSITORY)).encode() + b"\0" + path.read_bytes())
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("\n".join([sys.version, platform.machine(), *installed]).encode())
    return digest.hexdigest()[:16]
