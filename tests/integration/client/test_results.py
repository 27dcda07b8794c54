"""Integration: `--results FILE` read back after a crash, and appended to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.client.results import ResultsFile, ResultsFileError


def test_a_line_cut_by_a_crash_is_skipped_and_the_next_starts_on_its_own_line(
    tmp_path: Path,
) -> None:
    """Whole records are read; a cut one is ignored; appending starts a fresh line."""
    path = tmp_path / "results.jsonl"
    path.write_text('{"line": 1, "hash": "a", "status": 0}\n{"line": 2, "ha')
    results = ResultsFile(str(path))
    assert results.records() == [{"line": 1, "hash": "a", "status": 0}]
    results.open()
    results.append({"line": 2, "hash": "b", "status": 0})
    results.close()
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1]) == {"line": 2, "hash": "b", "status": 0}
    assert len(ResultsFile(str(path)).records()) == 2


def test_no_file_yet_means_no_records(tmp_path: Path) -> None:
    """A first run has nothing to skip."""
    assert ResultsFile(str(tmp_path / "new.jsonl")).records() == []


def test_a_results_file_that_cannot_be_written_is_refused_with_its_path(tmp_path: Path) -> None:
    """A directory where the file should be: a clear error naming it, before any invoke."""
    with pytest.raises(ResultsFileError, match=r"cannot write the results file .*dir"):
        ResultsFile(str(tmp_path / "dir" / "r.jsonl")).open()
