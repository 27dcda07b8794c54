"""Unit: no two files of src/ import each other, directly or round about.

Every `from ... import` counts, lazy and `TYPE_CHECKING` ones too: a circle makes the layers
harder to see and to change, whenever the import runs. What both files need goes to a third.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "run_command_on_aws_lambda"


def imported_files(path: Path, files: set[Path], sources: Path = SOURCES) -> set[Path]:
    """The files of `sources` (not packages' `__init__`) that `path` imports from."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        package = list(path.relative_to(sources).parent.parts)
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            module = node.module.split(".") if node.module else []
        elif (node.module or "").split(".")[0] == PACKAGE:
            base, module = [], (node.module or "").split(".")[1:]
        else:
            continue
        for parts in [*(base + module + [alias.name] for alias in node.names), base + module]:
            candidate = sources.joinpath(*parts).with_suffix(".py")
            if candidate in files and candidate != path:
                found.add(candidate)
    return found


def circles() -> list[tuple[str, str]]:
    """Pairs of files that reach each other through imports."""
    files = {path for path in SOURCES.rglob("*.py") if path.name != "__init__.py"}
    graph = {path: imported_files(path, files) for path in files}

    def reaches(start: Path, goal: Path) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for following in graph[todo.pop()]:
                if following == goal:
                    return True
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return False

    pairs = {
        tuple(sorted((str(a.relative_to(SOURCES)), str(b.relative_to(SOURCES)))))
        for a in graph
        for b in graph[a]
        if reaches(b, a)
    }
    return sorted((a, b) for a, b in pairs)


def test_no_two_files_of_src_import_each_other() -> None:
    """Settings, the CLI and the client's commands each import downwards only."""
    assert circles() == []


def test_the_check_sees_a_circle(tmp_path: Path) -> None:
    """The graph finds a relative import both ways (so that the test above can fail)."""
    files = {tmp_path / "a.py", tmp_path / "b.py"}
    (tmp_path / "a.py").write_text("from .b import thing\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import other\n")
    assert imported_files(tmp_path / "a.py", files, tmp_path) == {tmp_path / "b.py"}
    assert imported_files(tmp_path / "b.py", files, tmp_path) == {tmp_path / "a.py"}
