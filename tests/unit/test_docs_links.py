"""The documentation: every relative link and `#anchor` in the README and `docs/` resolves.

Anchors follow GitHub's heading slugs: the heading's text, lowercased, without punctuation
(hyphens, underscores and spaces stay), spaces turned into hyphens; a repeated heading gets
`-1`, `-2`, ... after it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text, before duplicates are numbered."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor the headings of a page define, duplicates numbered as GitHub does."""
    seen: Counter[str] = Counter()
    found = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        base = slug(heading)
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(markdown: str) -> list[str]:
    """The targets of the inline links outside code blocks and code spans."""
    prose = CODE_SPAN.sub("", FENCE.sub("", markdown))
    return LINK.findall(prose)


def broken_links(page: Path) -> list[str]:
    """The links of `page` whose file does not exist or whose anchor is not a heading there."""
    broken = []
    for target in links(page.read_text()):
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path)).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (
            destination.suffix != ".md" or unquote(anchor) not in anchors(destination.read_text())
        ):
            broken.append(f"{target}: no such heading in {destination.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    """Each link to a file, a heading on the same page or a heading on another page leads there."""
    assert broken_links(page) == []


def test_the_readme_links_every_docs_page() -> None:
    """The README's map of the docs reaches every page in docs/, one click away."""
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(PAGES[0].read_text())}
    assert [page.name for page in PAGES[1:] if page not in linked] == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The event and the outcome", "the-event-and-the-outcome"),
        ("`--serve`: a local Lambda", "--serve-a-local-lambda"),
        ("Add two lines to the vendor's image", "add-two-lines-to-the-vendors-image"),
        ("2. Deploy it, and invoke it (Terraform)", "2-deploy-it-and-invoke-it-terraform"),
        ("RUN_COMMAND_LOCK and [Security](security.md)", "run_command_lock-and-security"),
    ],
)
def test_heading_slugs_follow_github(heading: str, anchor: str) -> None:
    """Punctuation goes, hyphens and underscores stay, spaces become hyphens, case is dropped."""
    assert slug(heading) == anchor


def test_repeated_headings_are_numbered_and_code_blocks_define_none() -> None:
    """A second `## Logs` is `logs-1`, a third `logs-2`; a `#` line in a code block is none."""
    page = "# Logs\n## Logs\n```sh\n# not a heading\n```\n### Logs\n"
    assert anchors(page) == {"logs", "logs-1", "logs-2"}


def test_a_link_to_a_missing_heading_or_file_is_reported(tmp_path: Path) -> None:
    """A broken anchor on the same page, on another page, and a missing file are each caught."""
    (tmp_path / "other.md").write_text("# Other page\n## Kept\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](#page) [ok](other.md#kept) [ok](other.md) [web](https://example.com/#x)\n"
        "[same](#nowhere) [other](other.md#gone) [file](missing.md) `[code](#span)`\n"
    )
    assert broken_links(page) == [
        "#nowhere: no such heading in page.md",
        "other.md#gone: no such heading in other.md",
        "missing.md: no such file",
    ]
