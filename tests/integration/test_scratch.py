"""The private TMPDIR of a command: made fresh and private, removed with all it holds."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from run_command_on_aws_lambda.adapters.scratch import private_tmp


def test_the_directory_is_private_and_removed_with_everything_in_it(tmp_path: Path) -> None:
    """Mode 0700 inside; afterwards gone, subdirectories, files and links included."""
    with private_tmp(str(tmp_path)) as directory:
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        nested = Path(directory, "a", "b")
        nested.mkdir(parents=True)
        (nested / "file").write_text("left behind")
        Path(directory, "link").symlink_to(tmp_path)
    assert not os.path.exists(directory)
    assert list(tmp_path.iterdir()) == []


def test_two_commands_never_get_the_same_directory(tmp_path: Path) -> None:
    """Directories made at once are distinct."""
    with private_tmp(str(tmp_path)) as first, private_tmp(str(tmp_path)) as second:
        assert first != second
